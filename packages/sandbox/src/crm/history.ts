/**
 * Stage history of deals and leads (api-reference/crm/crm-stage-history-list.md): an entry each
 * time an element is created (TYPE_ID 1, in its first stage) or enters another stage (2 an
 * intermediate stage, 3 a final one — success or failure), and when its pipeline changes (5).
 * The write rules (entities.ts) record it once a write has been applied, so a refused write
 * leaves no entry; CREATED_TIME is the host's clock (the seed's clock for seeded deals).
 */
import type { PortalState, Rec, StageHistoryRec } from '../store';
import { nextId } from '../store';
import type { CrmHost } from './entities';

export type HistoryKind = 'deal' | 'lead';

const ENTITY_TYPE: Record<HistoryKind, 1 | 2> = { lead: 1, deal: 2 };
const SEQ: Record<HistoryKind, string> = { deal: 'dealStageHistory', lead: 'leadStatusHistory' };

/** TYPE_ID of a move into a stage of `semantic` (P intermediate, S/F final). */
export function moveType(semantic: unknown): 2 | 3 {
  return semantic === 'S' || semantic === 'F' ? 3 : 2;
}

/** Records that `rec` (as stored after the write) entered its current stage now. */
export function recordStageHistory(host: CrmHost, kind: HistoryKind, rec: Rec, typeId: StageHistoryRec['TYPE_ID']): void {
  const state = host.state;
  state.stageHistory.push({
    ID: nextId(state, SEQ[kind]),
    ENTITY_TYPE_ID: ENTITY_TYPE[kind],
    TYPE_ID: typeId,
    OWNER_ID: Number(rec.ID),
    CREATED_TIME: host.now(),
    CATEGORY_ID: kind === 'deal' ? Number(rec.CATEGORY_ID ?? 0) : null,
    STAGE_ID: String(kind === 'deal' ? rec.STAGE_ID : rec.STATUS_ID),
    SEMANTIC_ID: (kind === 'deal' ? rec.STAGE_SEMANTIC_ID : rec.STATUS_SEMANTIC_ID) as StageHistoryRec['SEMANTIC_ID'],
  });
}

/** A deleted element takes its history with it. */
export function forgetStageHistory(state: PortalState, kind: HistoryKind, ownerId: number): void {
  state.stageHistory = state.stageHistory.filter((h) => !(h.ENTITY_TYPE_ID === ENTITY_TYPE[kind] && h.OWNER_ID === ownerId));
}
