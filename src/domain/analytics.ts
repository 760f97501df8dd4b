/**
 * The numbers the head of sales asks for: how many reactivated, won, lost, still in progress;
 * conversion by loss reason, manager, pipeline, month (in the portal's time zone) and attempt;
 * upcoming reactivations per manager. Pure: src/analytics reads the deals the service created
 * and the waits Temporal holds, and passes them in with `now`.
 */
import { DateTime } from 'luxon';
import { parseOriginKey, type WorkflowKey } from '../shared/names';

export type ReactivationKind = 'lost' | 'client' | 'expiry';
export type StageSemantic = 'P' | 'S' | 'F';

/** One deal the service created (ORIGINATOR_ID `b24-reactivation`), as read from the CRM. */
export interface ReactivationDealRow {
  id: number;
  /** `reactivation-deal-110#1`, `client-company-5#p120-1-cycle-1`, `expiry-deal-7#...` */
  originId: string | null;
  /** The reason mark (lostDeals.marks.reasonField), when the portal has the field. */
  reasonMark: string | null;
  /** Without a reason mark: the stage of the source (lost) deal, named through `names.reasonsByStage`. */
  sourceStageId?: string | null;
  /** The attempt mark; without it, the attempt in ORIGIN_ID. */
  attempt: number | null;
  responsibleId: number | null;
  pipelineId: number;
  /** DATE_CREATE, ISO 8601. */
  createdAt: string | null;
  stageSemantic: StageSemantic | null;
  amount: number;
}

/** A running workflow that wakes up later (search attributes NextWakeUp, Responsible, Scenario). */
export interface UpcomingWait {
  responsibleId: number | null;
  wakeUpAt: string;
  scenario: string | null;
}

export interface AnalyticsNames {
  users?: Record<number, string>;
  pipelines?: Record<number, string>;
  /** Failure stage → loss reason name (from the rules). */
  reasonsByStage?: Record<string, string>;
}

export interface AnalyticsInput {
  deals: ReactivationDealRow[];
  waits: UpcomingWait[];
  now: Date;
  /** The rules' calendar time zone: months and the from/to days are local to it. */
  timeZone: string;
  /** Local days `YYYY-MM-DD`, both inclusive, on the reactivation deal's creation date. */
  from?: string;
  to?: string;
  names?: AnalyticsNames;
}

export interface Outcomes {
  reactivated: number;
  won: number;
  lost: number;
  inProgress: number;
  /** Sum of OPPORTUNITY of the won ones. */
  wonAmount: number;
  /** won ÷ (won + lost) and won ÷ reactivated; null when there is nothing to divide by. */
  conversion: { ofClosed: number | null; ofAll: number | null };
}

export interface Group extends Outcomes {
  key: string;
  label: string;
}

export interface UpcomingRow {
  key: string;
  label: string;
  responsibleId: number | null;
  next7Days: number;
  next30Days: number;
  /** Within 30 days, per scenario (lost-deal, client, expiry). */
  scenarios: Record<string, number>;
}

export interface AnalyticsReport {
  generatedAt: string;
  timeZone: string;
  period: { from: string | null; to: string | null };
  totals: Outcomes;
  byKind: Group[];
  byReason: Group[];
  byManager: Group[];
  byPipeline: Group[];
  byMonth: Group[];
  byAttempt: Group[];
  upcoming: { next7Days: number; next30Days: number; byManager: UpcomingRow[] };
}

const DAY_MS = 86_400_000;
const KINDS: Record<WorkflowKey['scenario'], ReactivationKind | undefined> = { lost: 'lost', client: 'client', expiry: 'expiry', inbox: undefined };

/** What ORIGIN_ID tells: the scenario, the source element or client id, and the step. */
export function parseReactivationOrigin(originId: string | null): { kind: ReactivationKind; sourceId: number; step: string; attempt: number | null } | null {
  const origin = parseOriginKey(originId);
  const kind = origin?.workflow && KINDS[origin.workflow.scenario];
  if (!origin?.workflow || !kind) return null;
  return { kind, sourceId: origin.workflow.id, step: origin.step, attempt: origin.attempt };
}

function reasonOf(row: ReactivationDealRow, origin: NonNullable<ReturnType<typeof parseReactivationOrigin>>, names: AnalyticsNames): string {
  const mark = row.reasonMark?.trim();
  if (mark) return mark;
  if (origin.kind === 'expiry') return 'Expiry reminder';
  if (origin.kind === 'client') {
    const chain = /-chain:([^:]+):/.exec(origin.step)?.[1];
    return chain ? `Sales chain «${chain}»` : 'Repeat purchase';
  }
  const stage = row.sourceStageId ?? undefined;
  return (stage && names.reasonsByStage?.[stage]) || stage || 'Unknown reason';
}

const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);

function emptyOutcomes(): Outcomes {
  return { reactivated: 0, won: 0, lost: 0, inProgress: 0, wonAmount: 0, conversion: { ofClosed: null, ofAll: null } };
}

function add(o: Outcomes, row: ReactivationDealRow): void {
  o.reactivated++;
  if (row.stageSemantic === 'S') {
    o.won++;
    o.wonAmount += row.amount;
  } else if (row.stageSemantic === 'F') o.lost++;
  else o.inProgress++;
  o.conversion = { ofClosed: ratio(o.won, o.won + o.lost), ofAll: ratio(o.won, o.reactivated) };
}

/** Local day (inclusive bounds) → [start, end) instants in the zone. */
function bounds(from: string | undefined, to: string | undefined, zone: string): [number, number] {
  const day = (d: string) => {
    const t = DateTime.fromISO(d, { zone }).startOf('day');
    if (!t.isValid) throw new Error(`not a calendar date: ${d}`);
    return t;
  };
  return [from ? day(from).toMillis() : -Infinity, to ? day(to).plus({ days: 1 }).toMillis() : Infinity];
}

export function computeAnalytics(input: AnalyticsInput): AnalyticsReport {
  const names = input.names ?? {};
  const zone = input.timeZone;
  const [start, end] = bounds(input.from, input.to, zone);
  const userName = (id: number | null) => (id === null ? 'Unassigned' : names.users?.[id] ?? `User ${id}`);

  const totals = emptyOutcomes();
  const groups = { byKind: new Map<string, Group>(), byReason: new Map<string, Group>(), byManager: new Map<string, Group>(), byPipeline: new Map<string, Group>(), byMonth: new Map<string, Group>(), byAttempt: new Map<string, Group>() };
  const put = (map: Map<string, Group>, key: string, label: string, row: ReactivationDealRow) => {
    const g = map.get(key) ?? { key, label, ...emptyOutcomes() };
    map.set(key, g);
    add(g, row);
  };

  for (const row of input.deals) {
    const origin = parseReactivationOrigin(row.originId);
    if (!origin) continue;
    const created = row.createdAt ? Date.parse(row.createdAt) : NaN;
    if ((input.from || input.to) && !(created >= start && created < end)) continue;
    add(totals, row);
    const reason = reasonOf(row, origin, names);
    const month = Number.isFinite(created) ? DateTime.fromMillis(created, { zone }).toFormat('yyyy-MM') : 'unknown';
    const attempt = row.attempt ?? origin.attempt;
    put(groups.byKind, origin.kind, origin.kind, row);
    put(groups.byReason, reason, reason, row);
    put(groups.byManager, String(row.responsibleId ?? 'none'), userName(row.responsibleId), row);
    put(groups.byPipeline, String(row.pipelineId), names.pipelines?.[row.pipelineId] ?? `Pipeline ${row.pipelineId}`, row);
    put(groups.byMonth, month, month, row);
    put(groups.byAttempt, attempt === null ? 'none' : String(attempt), attempt === null ? 'No attempt' : `Attempt ${attempt}`, row);
  }

  const bySize = (m: Map<string, Group>) => [...m.values()].sort((a, b) => b.reactivated - a.reactivated || b.won - a.won || a.label.localeCompare(b.label));
  const byKey = (m: Map<string, Group>) => [...m.values()].sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));

  const now = input.now.getTime();
  const upcoming = new Map<string, UpcomingRow>();
  let next7Days = 0;
  let next30Days = 0;
  for (const wait of input.waits) {
    const ahead = Date.parse(wait.wakeUpAt) - now;
    if (!(ahead > 0 && ahead <= 30 * DAY_MS)) continue;
    const key = String(wait.responsibleId ?? 'none');
    const row = upcoming.get(key) ?? { key, label: userName(wait.responsibleId), responsibleId: wait.responsibleId, next7Days: 0, next30Days: 0, scenarios: {} };
    upcoming.set(key, row);
    const within7 = ahead <= 7 * DAY_MS ? 1 : 0;
    row.next7Days += within7;
    row.next30Days++;
    next7Days += within7;
    next30Days++;
    const scenario = wait.scenario ?? 'unknown';
    row.scenarios[scenario] = (row.scenarios[scenario] ?? 0) + 1;
  }

  return {
    generatedAt: input.now.toISOString(),
    timeZone: zone,
    period: { from: input.from ?? null, to: input.to ?? null },
    totals,
    byKind: bySize(groups.byKind),
    byReason: bySize(groups.byReason),
    byManager: bySize(groups.byManager),
    byPipeline: bySize(groups.byPipeline),
    byMonth: byKey(groups.byMonth),
    byAttempt: byKey(groups.byAttempt),
    upcoming: {
      next7Days,
      next30Days,
      byManager: [...upcoming.values()].sort((a, b) => b.next30Days - a.next30Days || b.next7Days - a.next7Days || a.label.localeCompare(b.label)),
    },
  };
}
