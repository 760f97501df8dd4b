/**
 * Paging of list methods (`iterate`, `listAll` of the client): by the portal's `next` offset,
 * or by id with `start: -1` for big tables; and `rowsOf`, which finds the rows in an answer.
 */
import { Bitrix24Error } from './errors';
import { callEnvelope, type Requester } from './request';

export interface ListOptions {
  /** Stop after this many rows. */
  max?: number;
  /**
   * Page with `start: -1` and a `>ID` filter ordered by ID ascending (b24restdocs
   * settings/performance/huge-data.md): no COUNT on the portal, for big tables. Any `order`
   * you pass is replaced by the id order. `true` = ID; or name the id field.
   */
  fastById?: boolean | { idField?: string; filterField?: string };
  /** Where the rows are when `result` is an object (`categories`, `items`, `tasks`). Auto by default. */
  itemsKey?: string;
}

const PAGE_SIZE = 50;

/** Page by page (50 rows each). */
export async function* iterate<T>(r: Requester, method: string, params: Record<string, unknown> = {}, lopts: ListOptions = {}): AsyncGenerator<T[]> {
  if (lopts.fastById) yield* iterateById<T>(r, method, params, lopts);
  else yield* iterateByOffset<T>(r, method, params, lopts);
}

export async function listAll<T>(r: Requester, method: string, params: Record<string, unknown> = {}, lopts: ListOptions = {}): Promise<T[]> {
  const rows: T[] = [];
  for await (const page of iterate<T>(r, method, params, lopts)) rows.push(...page);
  return rows;
}

async function* iterateById<T>(r: Requester, method: string, params: Record<string, unknown>, lopts: ListOptions): AsyncGenerator<T[]> {
  const max = lopts.max ?? Number.POSITIVE_INFINITY;
  let seen = 0;
  const idField = typeof lopts.fastById === 'object' ? lopts.fastById.idField ?? 'ID' : 'ID';
  const filterField = typeof lopts.fastById === 'object' ? lopts.fastById.filterField ?? idField : idField;
  const baseFilter = { ...((params.filter as Record<string, unknown> | undefined) ?? {}) };
  let lastId = Number(baseFilter[`>${filterField}`] ?? 0) || 0;
  delete baseFilter[`>${filterField}`];
  for (;;) {
    const page = rowsOf<T>(
      (await callEnvelope<unknown>(r, method, {
        ...params,
        order: { [filterField]: 'ASC' },
        filter: { ...baseFilter, [`>${filterField}`]: lastId },
        start: -1,
      })).result,
      lopts.itemsKey,
      method,
    );
    if (page.length === 0) return;
    const take = page.slice(0, Math.max(0, max - seen));
    seen += take.length;
    yield take;
    if (page.length < PAGE_SIZE || seen >= max) return;
    const last = page[page.length - 1] as Record<string, unknown>;
    const id = Number(last?.[idField]);
    if (!Number.isFinite(id) || id <= lastId) {
      throw new Bitrix24Error({ code: 'UNEXPECTED_RESPONSE', description: `${method}: rows carry no increasing ${idField}; cannot page by id`, httpStatus: 200, method, kind: 'final' });
    }
    lastId = id;
  }
}

async function* iterateByOffset<T>(r: Requester, method: string, params: Record<string, unknown>, lopts: ListOptions): AsyncGenerator<T[]> {
  const max = lopts.max ?? Number.POSITIVE_INFINITY;
  let seen = 0;
  let start = Number(params.start ?? 0) || 0;
  for (;;) {
    const env = await callEnvelope<unknown>(r, method, { ...params, start });
    const page = rowsOf<T>(env.result, lopts.itemsKey, method);
    const take = page.slice(0, Math.max(0, max - seen));
    seen += take.length;
    if (take.length > 0) yield take;
    if (env.next === undefined || page.length === 0 || seen >= max) return;
    if (env.next <= start) {
      throw new Bitrix24Error({ code: 'UNEXPECTED_RESPONSE', description: `${method}: next offset does not advance`, httpStatus: 200, method, kind: 'final' });
    }
    start = env.next;
  }
}

/** The rows of a list answer: the array itself, or the one array inside an object. */
export function rowsOf<T>(result: unknown, itemsKey: string | undefined, method: string): T[] {
  if (Array.isArray(result)) return result as T[];
  if (result && typeof result === 'object') {
    const obj = result as Record<string, unknown>;
    if (itemsKey !== undefined) {
      const v = obj[itemsKey];
      if (Array.isArray(v)) return v as T[];
    } else {
      const arrays = Object.values(obj).filter(Array.isArray);
      if (arrays.length === 1) return arrays[0] as T[];
      if (Object.keys(obj).length === 0) return [];
    }
  }
  if (result === null || result === undefined) return [];
  throw new Bitrix24Error({ code: 'UNEXPECTED_RESPONSE', description: `${method}: the answer is not a list`, httpStatus: 200, method, kind: 'final' });
}
