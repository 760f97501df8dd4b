/**
 * The method registry: every REST method the sandbox answers, by lower-case name.
 * (`batch` is handled by the dispatcher itself, rest.ts.)
 */
import { formatDateTime } from '../util';
import { activityMethods } from './activities';
import { catalogMethods } from './catalog';
import { crmMethods } from './crm';
import { directoryMethods } from './directories';
import { eventMethods } from './events';
import { itemMethods } from './items';
import { notifyMethods } from './notify';
import { taskMethods } from './tasks';
import type { MethodTable } from './types';
import { userMethods } from './users';

export const METHODS: MethodTable = {
  ...crmMethods,
  ...itemMethods,
  ...directoryMethods,
  ...catalogMethods,
  ...userMethods,
  ...activityMethods,
  ...taskMethods,
  ...notifyMethods,
  ...eventMethods,
  'server.time': { scope: 'basic', run: (_p, ctx) => ({ result: formatDateTime(ctx.portal.now(), ctx.portal.tz) }) },
};

/** Scopes an inbound webhook gets unless told otherwise. */
export const DEFAULT_SCOPES = ['crm', 'user', 'department', 'task', 'im', 'bizproc', 'catalog'];

export type { CallContext, MethodOutput, MethodSpec, MethodTable } from './types';
