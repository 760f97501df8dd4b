/**
 * The method registry: every REST method the sandbox answers, by lower-case name.
 * (`batch` is handled by the dispatcher itself, rest.ts.)
 */
import { formatDateTime, param, phpTruthy } from '../util';
import { activityMethods } from './activities';
import { catalogMethods } from './catalog';
import { crmMethods } from './crm';
import { directoryMethods } from './directories';
import { eventMethods } from './events';
import { historyMethods } from './history';
import { itemMethods } from './items';
import { notifyMethods } from './notify';
import { taskMethods } from './tasks';
import type { MethodTable } from './types';
import { userMethods } from './users';

export const METHODS: MethodTable = {
  ...crmMethods,
  ...historyMethods,
  ...itemMethods,
  ...directoryMethods,
  ...catalogMethods,
  ...userMethods,
  ...activityMethods,
  ...taskMethods,
  ...notifyMethods,
  ...eventMethods,
  'server.time': { scope: 'basic', run: (_p, ctx) => ({ result: formatDateTime(ctx.portal.now(), ctx.portal.tz) }) },
  // api-reference/common/system/scope.md: without parameters "all permissions available for this
  // application" (the caller's); with full=true "the complete list of permissions".
  scope: { scope: 'basic', run: (p, ctx) => ({ result: phpTruthy(param(p, 'full')) ? [...ALL_SCOPES] : [...ctx.scopes] }) },
};

/** Scopes an inbound webhook gets unless told otherwise. */
export const DEFAULT_SCOPES = ['crm', 'user', 'department', 'task', 'im', 'bizproc', 'catalog'];

/** The scope codes of api-reference/scopes/permissions.md (what `scope` with full=true lists). */
export const ALL_SCOPES: readonly string[] = [
  'ai_admin', 'biconnector', 'bizproc', 'booking', 'calendar', 'call', 'cashbox', 'catalog', 'contact_center', 'crm',
  'documentgenerator', 'delivery', 'department', 'disk', 'entity', 'humanresources', 'humanresources.hcmlink', 'im',
  'imbot', 'imconnector', 'imopenlines', 'intranet', 'landing', 'lists', 'log', 'mailservice', 'main', 'messageservice',
  'mobile', 'pay_system', 'placement', 'pull', 'rpa', 'sale', 'salescenter', 'sign.b2e', 'sonet_group', 'socialnetwork',
  'task', 'telephony', 'timeman', 'user', 'user_brief', 'user_basic', 'user.userfield', 'userfieldconfig', 'userconsent', 'vote',
];

export type { CallContext, MethodOutput, MethodSpec, MethodTable } from './types';
