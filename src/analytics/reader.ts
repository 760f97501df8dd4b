/**
 * Reads what the analytics count, outside any workflow or activity: the reactivation deals from
 * Bitrix24 (crm.deal.list by ORIGINATOR_ID through the one client, a minimal select with the mark
 * fields of the rules, paged by ID), the names of managers and pipelines, and the upcoming
 * wake-ups from Temporal visibility. One snapshot is cached for `cacheMs` (60 s) so that a page
 * left open does not spend the portal's REST budget; `fresh` reads again.
 */
import type { Client } from '@temporalio/client';
import { ORIGINATOR } from '../activities/shared';
import { parseOriginKey } from '../shared/names';
import type { CrmApi } from '../bitrix24';
import type { Rules } from '../config/rules';
import { parseReactivationOrigin, type AnalyticsNames, type ReactivationDealRow, type UpcomingWait } from '../domain/analytics';
import type { Logger } from '../shared/log';
import { SA } from '../shared/search-attributes';

export interface AnalyticsSnapshot {
  readAt: string;
  timeZone: string;
  deals: ReactivationDealRow[];
  waits: UpcomingWait[];
  names: AnalyticsNames;
}

export interface AnalyticsReader {
  snapshot(opts?: { fresh?: boolean }): Promise<AnalyticsSnapshot>;
}

export interface AnalyticsReaderDeps {
  crm: CrmApi;
  temporal: Client;
  rules: () => Rules;
  log: Logger;
  cacheMs?: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;
/** More waits than this in 30 days: counted up to here (and logged), not read without end. */
const MAX_WAITS = 20_000;

/** Running workflows that wake up within 30 days (custom search attribute NextWakeUp). */
export function upcomingQuery(now: Date): string {
  const until = new Date(now.getTime() + 30 * DAY_MS);
  return `ExecutionStatus = 'Running' AND NextWakeUp > '${now.toISOString()}' AND NextWakeUp <= '${until.toISOString()}'`;
}

const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

export function createAnalyticsReader(deps: AnalyticsReaderDeps): AnalyticsReader {
  const now = deps.now ?? (() => new Date());
  const cacheMs = deps.cacheMs ?? 60_000;
  let cached: { at: number; value: Promise<AnalyticsSnapshot> } | undefined;

  /** Names are a nicety: a portal that refuses user.get or crm.category.list still gets its numbers. */
  const orEmpty = <T>(what: string, p: Promise<T[]>): Promise<T[]> =>
    p.catch((error: unknown) => {
      deps.log.warn(`analytics: could not read ${what}; ids are shown instead`, { error });
      return [];
    });

  async function readDeals(rules: Rules): Promise<ReactivationDealRow[]> {
    const m = rules.lostDeals.marks;
    const select = ['ID', 'ORIGINATOR_ID', 'ORIGIN_ID', 'ASSIGNED_BY_ID', 'CATEGORY_ID', 'STAGE_SEMANTIC_ID', 'DATE_CREATE', 'OPPORTUNITY', m.sourceField, m.reasonField, m.attemptField];
    const deals = (await deps.crm.listDeals({ ORIGINATOR_ID: ORIGINATOR }, select, undefined, { fastById: true })).filter((d) => d.originatorId === ORIGINATOR);
    const rows = deals.map(
      (d): ReactivationDealRow => ({
        id: d.id,
        originId: d.originId,
        reasonMark: typeof d.userFields[m.reasonField] === 'string' ? (d.userFields[m.reasonField] as string) : null,
        attempt: num(d.userFields[m.attemptField]),
        responsibleId: d.assignedById,
        pipelineId: d.categoryId,
        createdAt: d.createdAt,
        stageSemantic: d.stageSemantic,
        amount: d.opportunity,
      }),
    );
    // Without a reason mark (the portal lacks the field: setup not run), the source deal's stage
    // names the reason: one crm.deal.list per 50 such deals.
    const sourceOf = new Map<ReactivationDealRow, number>();
    deals.forEach((d, i) => {
      const origin = parseReactivationOrigin(d.originId);
      const from = parseOriginKey(d.originId)?.workflow;
      const source = num(d.userFields[m.sourceField]) ?? (from?.scenario === 'lost' && from.entity === 'deal' ? from.id : null);
      if (!rows[i]!.reasonMark?.trim() && origin?.kind === 'lost' && source) sourceOf.set(rows[i]!, source);
    });
    const ids = [...new Set(sourceOf.values())];
    const stages = new Map<number, string>();
    for (let i = 0; i < ids.length; i += 50) {
      for (const s of await deps.crm.listDeals({ '@ID': ids.slice(i, i + 50) }, ['ID', 'STAGE_ID'])) stages.set(s.id, s.stageId);
    }
    for (const [row, source] of sourceOf) row.sourceStageId = stages.get(source) ?? null;
    return rows;
  }

  async function readWaits(at: Date): Promise<UpcomingWait[]> {
    const waits: UpcomingWait[] = [];
    for await (const w of deps.temporal.workflow.list({ query: upcomingQuery(at) })) {
      const sa = w.typedSearchAttributes;
      const wakeUp = sa.get(SA.NextWakeUp);
      if (!wakeUp) continue;
      waits.push({ responsibleId: sa.get(SA.Responsible) ?? null, wakeUpAt: wakeUp.toISOString(), scenario: sa.get(SA.Scenario) ?? null });
      if (waits.length >= MAX_WAITS) {
        deps.log.warn('analytics: too many upcoming wake-ups; counted the first ones only', { counted: waits.length });
        break;
      }
    }
    return waits;
  }

  async function read(): Promise<AnalyticsSnapshot> {
    const rules = deps.rules();
    const at = now();
    const [rows, waits] = await Promise.all([readDeals(rules), readWaits(at)]);
    const userIds = [...new Set([...rows.map((r) => r.responsibleId), ...waits.map((w) => w.responsibleId)])].filter((id): id is number => id !== null);
    const [users, categories] = await Promise.all([orEmpty('user names', deps.crm.getUser(userIds)), orEmpty('pipeline names', deps.crm.listCategories())]);
    const names: Required<AnalyticsNames> = { users: {}, pipelines: {}, reasonsByStage: {} };
    for (const u of users) names.users[u.id] = [u.name, u.lastName].filter(Boolean).join(' ') || `User ${u.id}`;
    for (const p of rules.lostDeals.pipelines) {
      if (p.name) names.pipelines[p.categoryId] = p.name;
      for (const r of p.reasons) if (r.stageId) names.reasonsByStage[r.stageId] = r.name;
    }
    for (const c of categories) names.pipelines[c.id] = c.name;
    deps.log.info('analytics read', { deals: rows.length, waits: waits.length, ms: now().getTime() - at.getTime() });
    return { readAt: at.toISOString(), timeZone: rules.defaults.calendar.timeZone, deals: rows, waits, names };
  }

  return {
    snapshot({ fresh = false } = {}) {
      const t = now().getTime();
      if (fresh || !cached || t - cached.at >= cacheMs) {
        const value = read();
        const entry = { at: t, value };
        cached = entry;
        // A failed read is not cached: the next request tries again.
        value.catch(() => {
          if (cached === entry) cached = undefined;
        });
      }
      return cached.value;
    },
  };
}
