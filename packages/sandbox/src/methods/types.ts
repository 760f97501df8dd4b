/**
 * The method registry's shape: one table entry per REST method, with its scope, whether it
 * writes (lost-response faults apply to writes), whether it needs an application (OAuth)
 * context, and a synchronous handler.
 */
import type { CrmHost, Origin } from '../crm/entities';
import type { Params } from '../util';

export interface CallContext {
  /** What a method sees of the portal: its state, clock, time zone and event bus (portal.ts implements it). */
  portal: CrmHost;
  /** The user the call runs as (the webhook's user, or the application's user). */
  userId: number;
  isAdmin: boolean;
  auth: 'webhook' | 'app';
  /** The caller's scopes (the inbound webhook's, or the local application's). */
  scopes: readonly string[];
  origin: Origin;
  viaBatch: boolean;
  /** Request parameters before method-specific parsing (for auth_connector etc.). */
  raw: Params;
}

export interface MethodOutput {
  result: unknown;
  total?: number;
  next?: number;
  /** Rows produced (list methods), for the operating cost model. */
  rows?: number;
}

export interface MethodSpec {
  scope: 'crm' | 'user' | 'department' | 'task' | 'im' | 'bizproc' | 'basic' | 'catalog';
  write?: boolean;
  /** Works only with application (OAuth) authorization — event.* (Bitrix\Rest\AuthTypeException). */
  appOnly?: boolean;
  /** Refused inside batch (ERROR_BATCH_METHOD_NOT_ALLOWED). */
  noBatch?: boolean;
  run(p: Params, ctx: CallContext): MethodOutput;
}

export type MethodTable = Record<string, MethodSpec>;

export const ok = (result: unknown): MethodOutput => ({ result });
