/**
 * Stage history (crm.stagehistory.list, b24restdocs api-reference/crm/crm-stage-history-list.md):
 * when a deal or a lead entered each of its stages. The answer is `result.items` (not a plain
 * array like crm.deal.list), UPPER_CASE keys, typed values; TYPE_ID 1 = the element was created
 * (in the entry's stage), 2 = moved to an intermediate stage, 3 = moved to a final stage, 5 = its
 * pipeline changed. Deals carry CATEGORY_ID, STAGE_ID and STAGE_SEMANTIC_ID; leads STATUS_ID and
 * STATUS_SEMANTIC_ID. CREATED_TIME is the moment of the move.
 *
 * The page documents no list of filterable fields (a field that cannot filter is a 400
 * INVALID_ARG_VALUE); its examples filter by OWNER_ID only. So these helpers filter by owner
 * only (`OWNER_ID`, or `@OWNER_ID` — the documented IN — for many) and pick in code.
 */
import { z } from 'zod';
import type { Bitrix24Client } from '../client';
import { Bitrix24Error } from '../errors';
import { rowsOf } from '../paging';
import { id, int, isoDate, row, semantic, str } from '../parse';
import { CrmEntityTypeId, parseList, type StageSemantic } from './common';

export type StageHistoryEntity = 'deal' | 'lead';

/** TYPE_ID of a stage history entry (crm-stage-history-list.md "Items Object"; there is no 4). */
export const StageHistoryType = { created: 1, intermediate: 2, final: 3, pipelineChanged: 5 } as const;

export interface StageHistoryEntry {
  id: number;
  /** 1 created, 2 to an intermediate stage, 3 to a final stage, 5 pipeline changed. */
  typeId: number;
  ownerId: number;
  /** When the element entered the stage (UTC ISO); null when the portal sent no readable time. */
  createdTime: string | null;
  /** The deal's pipeline; null for leads. */
  categoryId: number | null;
  /** STAGE_ID of a deal, STATUS_ID of a lead. */
  stageId: string;
  semantic: StageSemantic | null;
}

/** An owner's entries, newest first; null when the portal would not give them (a final error). */
export type StageHistory = StageHistoryEntry[] | null;

const METHOD = 'crm.stagehistory.list';

const SELECT: Record<StageHistoryEntity, string[]> = {
  deal: ['ID', 'TYPE_ID', 'OWNER_ID', 'CREATED_TIME', 'CATEGORY_ID', 'STAGE_ID', 'STAGE_SEMANTIC_ID'],
  lead: ['ID', 'TYPE_ID', 'OWNER_ID', 'CREATED_TIME', 'STATUS_ID', 'STATUS_SEMANTIC_ID'],
};

const entrySchema = row({
  ID: id, TYPE_ID: int(0), OWNER_ID: id, CREATED_TIME: isoDate, CATEGORY_ID: z.unknown(),
  STAGE_ID: str, STAGE_SEMANTIC_ID: semantic, STATUS_ID: str, STATUS_SEMANTIC_ID: semantic,
}).transform((r): StageHistoryEntry => ({
  id: r.ID,
  typeId: r.TYPE_ID,
  ownerId: r.OWNER_ID,
  createdTime: r.CREATED_TIME,
  categoryId: r.CATEGORY_ID === null || r.CATEGORY_ID === undefined || r.CATEGORY_ID === '' ? null : Number(r.CATEGORY_ID),
  stageId: r.STAGE_ID || r.STATUS_ID,
  semantic: r.STAGE_SEMANTIC_ID ?? r.STATUS_SEMANTIC_ID,
}));

function params(entity: StageHistoryEntity, ownerIds: number[], order: 'ASC' | 'DESC'): Record<string, unknown> {
  const owners = [...new Set(ownerIds)];
  return {
    entityTypeId: CrmEntityTypeId[entity],
    filter: owners.length === 1 ? { OWNER_ID: owners[0] } : { '@OWNER_ID': owners },
    order: { ID: order },
    select: SELECT[entity],
  };
}

const parseEntries = (result: unknown): StageHistoryEntry[] => parseList(entrySchema, rowsOf<unknown>(result, 'items', METHOD), METHOD);

/** A refusal that a retry will not change (method missing, not allowed, unreadable answer). */
const unreadable = (e: unknown): boolean => e instanceof Bitrix24Error && e.kind !== 'retryable';

/** One owner's entries (only its own: a portal that ignored the filter adds nothing), or null when refused for good. */
async function ownHistory(owner: number, answer: () => Promise<unknown>): Promise<StageHistory> {
  try {
    return parseEntries(await answer()).filter((e) => e.ownerId === owner);
  } catch (e) {
    if (unreadable(e)) return null;
    throw e;
  }
}

export interface StageHistoryApi {
  /**
   * crm.stagehistory.list of these owners (`OWNER_ID`, or `@OWNER_ID` for many), ordered by ID:
   * ceil(entries / 50) requests, at least 1; `max` stops early. No owners: no request.
   */
  listStageHistory(entity: StageHistoryEntity, ownerIds: number[], opts?: { order?: 'ASC' | 'DESC'; max?: number }): Promise<StageHistoryEntry[]>;
  /**
   * The latest 50 entries of each owner, newest first. One owner: 1 request; more: ONE batch
   * request per 50 owners (a command per owner, so one owner's long history cannot push
   * another's latest entries off a shared page). An owner whose history the portal refuses for
   * good maps to null (unreadable); retryable failures throw. No owners: no request.
   */
  latestStageHistory(entity: StageHistoryEntity, ownerIds: number[]): Promise<Map<number, StageHistory>>;
}

export function createStageHistoryApi(client: Bitrix24Client): StageHistoryApi {
  return {
    listStageHistory: async (entity, ownerIds, opts = {}) => {
      if (ownerIds.length === 0) return [];
      const rows = await client.listAll<unknown>(METHOD, params(entity, ownerIds, opts.order ?? 'ASC'), { itemsKey: 'items', max: opts.max });
      return parseList(entrySchema, rows, METHOD);
    },

    latestStageHistory: async (entity, ownerIds) => {
      const owners = [...new Set(ownerIds)];
      const out = new Map<number, StageHistory>();
      if (owners.length === 1) {
        out.set(owners[0]!, await ownHistory(owners[0]!, () => client.call<unknown>(METHOD, params(entity, owners, 'DESC'))));
      } else if (owners.length > 1) {
        const key = (owner: number) => `h${owner}`;
        const b = await client.batch<unknown>(Object.fromEntries(owners.map((owner) => [key(owner), { method: METHOD, params: params(entity, [owner], 'DESC') }])));
        for (const owner of owners) {
          const error = b.errors[key(owner)];
          out.set(owner, await ownHistory(owner, async () => {
            if (error) throw error;
            return b.results[key(owner)];
          }));
        }
      }
      return out;
    },
  };
}
