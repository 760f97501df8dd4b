/**
 * What every CRM area (deals.ts, leads.ts, ...) shares: the raw field/filter shapes, the CRM
 * object type ids, and the small parsing and "not found is null" helpers. Internal to
 * src/bitrix24/crm; index.ts re-exports only the public part.
 */
import { z } from 'zod';
import { Bitrix24Error } from '../errors';
import { id, parseWith, userFieldsOf } from '../parse';

export type StageSemantic = 'P' | 'S' | 'F';
/** Raw field values for add/update, in the portal's field names (TITLE, STAGE_ID, UF_CRM_...). */
export type CrmFields = Record<string, unknown>;
export type CrmFilter = Record<string, unknown>;
export type CrmOrder = Record<string, 'ASC' | 'DESC' | 'asc' | 'desc'>;

/** CRM object type ids (b24restdocs api-reference/crm/data-types.md#object_type). */
export const CrmEntityTypeId = { lead: 1, deal: 2, contact: 3, company: 4 } as const;

export type CrmDocumentEntity = 'deal' | 'lead' | 'company' | 'contact';

export function withUserFields<T>(schema: z.ZodType<T>, row: unknown, method: string): T & { userFields: Record<string, unknown> } {
  return { ...parseWith(schema, row, method), userFields: userFieldsOf(row) } as T & { userFields: Record<string, unknown> };
}

export const parseList = <T>(schema: z.ZodType<T>, rows: unknown, method: string): T[] =>
  parseWith(z.array(z.unknown()), rows ?? [], method).map((r) => parseWith(schema, r, method));

/**
 * A REST `datetime` as the docs write it, `YYYY-MM-DDThh:mm:ss±hh:mm` (b24restdocs
 * api-reference/data-types.md): whole seconds, an explicit offset. `toISOString()` gives
 * milliseconds and `Z`, which only a lenient parser takes. Unparseable input is sent as is.
 */
export function restDateTime(value: string | number | Date): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) return String(value);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function ensureSelect(select: string[]): string[] {
  return select.includes('*') || select.includes('ID') ? select : ['ID', ...select];
}

/** The params of a `crm.*.list` call: the filter, the select (with ID), the order when given. */
export function listParams(filter: CrmFilter, select: string[], order: CrmOrder | undefined): Record<string, unknown> {
  const params: Record<string, unknown> = { filter, select: ensureSelect(select) };
  if (order) params.order = order;
  return params;
}

export function toId(value: unknown, method: string): number {
  const v = value && typeof value === 'object' && 'id' in (value as object) ? (value as { id: unknown }).id : value;
  return parseWith(id, v, method);
}

export async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Bitrix24Error && e.kind === 'not_found') return null;
    throw e;
  }
}
