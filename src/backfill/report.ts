/**
 * The backfill's report: what it read, handed off, skipped and why, the first wake-ups and the
 * scheduling cost — as data (BackfillReport) and as the lines the terminal shows.
 */
import type { Duration } from '../domain';
import { formatDuration } from '../domain';
import { STREAMS, type Checkpoint, type StreamName } from './checkpoint';
import { STREAM_LABEL, type BackfillReporter } from './progress';
import { BACKFILL_RATE_PER_S, PORTAL_RATE_PER_S } from './streams';
import type { Candidate } from './judge';

export interface WakeUp {
  /** When it would wake (ISO), the spread taken into account. */
  at: string;
  /** What the rules plan, before the spread. */
  plannedAt: string;
  element: string;
  what: string;
}

export interface BackfillReport {
  dryRun: boolean;
  since: string;
  sinceAt: string;
  resumed: boolean;
  interrupted: boolean;
  /** Rows read per list in this run; in the whole backfill (with earlier runs it resumes); what the portal counted. */
  scanned: Record<StreamName, number>;
  scannedSoFar: Record<StreamName, number>;
  totals: Record<StreamName, number>;
  /** Elements that concern a scenario. */
  candidates: number;
  /** Handed to their inbox (dry run: would be). */
  handedOff: number;
  /** `deal-110`, `lead-504`: the first 1000 handed off (dry run: would be), in order. */
  handedOffSample: string[];
  /** Real run: already handled in Temporal, and why. */
  alreadyHandled: number;
  alreadyHandledWhy: Record<string, number>;
  /** Per reason / rule: how many elements. */
  byRule: Record<string, number>;
  /** Per reason for skipping: how many elements. */
  skipped: Record<string, number>;
  wakeUps: WakeUp[];
  /** REST requests this run cost. */
  restCalls: number;
  spread: { ms: number; auto: boolean; startAt: string };
  estimate: ScheduleEstimate;
  checkpointFile?: string;
}

export interface ScheduleEstimate {
  handOffs: number;
  /** Temporal requests of the hand-offs (describe checks + signal-with-start). */
  temporalRequests: number;
  /** REST requests of the inbox reads and the workflows' first planning steps. */
  restRequests: number;
  /** Those requests at the portal's sustained rate (standard: 2 per second). */
  restSecondsAtLimit: number;
  /** Share of the portal's sustained budget they take over the spread (0..1+). */
  budgetShare: number;
}

/** Adds one to `map[key]`. */
export function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** The earliest `size` wake-ups, kept in order as they are noted. */
export class EarliestWakeUps {
  readonly list: WakeUp[] = [];
  constructor(private readonly size: number) {}

  note(w: WakeUp): void {
    this.list.push(w);
    this.list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.element.localeCompare(b.element));
    if (this.list.length > this.size) this.list.length = this.size;
  }
}

export function wakeUpOf(c: Candidate, w: { at: Date; what: string }, startAt: Date): WakeUp {
  return {
    at: new Date(Math.max(w.at.getTime(), startAt.getTime())).toISOString(),
    plannedAt: w.at.toISOString(),
    element: `${c.entity} ${c.id}`,
    what: w.what,
  };
}

export function printReport(r: BackfillReport, out: BackfillReporter, extra: { interruptedAt?: string }): void {
  const would = r.dryRun ? 'would be handed off' : 'handed off';
  out.line('');
  const scanned = STREAMS.filter((s) => r.totals[s] > 0 || r.scannedSoFar[s] > 0).map(
    (s) => `${r.scannedSoFar[s]} of ${r.totals[s]} ${STREAM_LABEL[s]}${r.scannedSoFar[s] !== r.scanned[s] ? ` (${r.scanned[s]} in this run)` : ''}`,
  );
  out.line(`Scanned: ${scanned.join(', ') || 'nothing'}`);
  out.line(`Elements that concern a scenario: ${r.candidates}; ${would}: ${r.handedOff}${r.dryRun ? '' : `; already handled: ${r.alreadyHandled}`}`);
  const table = (title: string, map: Record<string, number>) => {
    const rows = Object.entries(map).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (rows.length === 0) return;
    out.line(title);
    for (const [key, n] of rows) out.line(`  ${String(n).padStart(6)}  ${key}`);
  };
  table('By reason / rule:', r.byRule);
  table('Skipped, and why:', r.skipped);
  table('Already handled, and why:', r.alreadyHandledWhy);
  if (r.wakeUps.length > 0) {
    out.line(`First wake-ups (earliest ${r.wakeUps.length}, with the spread):`);
    for (const w of r.wakeUps) {
      const moved = w.at !== w.plannedAt ? ` (planned ${w.plannedAt})` : '';
      out.line(`  ${w.at}  ${w.element}${moved}: ${w.what}`);
    }
  }
  out.line(`REST requests this run: ${r.restCalls}`);
  const e = r.estimate;
  out.line(
    `Scheduling cost: ${e.handOffs} hand-off${e.handOffs === 1 ? '' : 's'} (≈${e.temporalRequests} Temporal requests); their inbox reads and first planning steps ≈${e.restRequests} REST requests ` +
      `(≈${describeMs(e.restSecondsAtLimit * 1000)} of the portal's sustained ${PORTAL_RATE_PER_S} req/s), spread over ${describeMs(r.spread.ms)}: ≈${Math.round(e.budgetShare * 100)}% of the portal's budget`,
  );
  if (e.budgetShare > 0.5) out.line(`  warning: that is more than half the portal's budget; consider --spread ${describeMs(Math.ceil((e.restRequests / BACKFILL_RATE_PER_S) * 1000))} or longer`);
  if (extra.interruptedAt) out.line(`Stopped at ${extra.interruptedAt}; the checkpoint is in ${r.checkpointFile}. Continue with: npm run backfill -- --resume`);
  else if (!r.dryRun) out.line(`Done. Checkpoint: ${r.checkpointFile}`);
}

export function describeStreams(cp: Checkpoint): string {
  return STREAMS.filter((s) => cp.streams[s].total > 0 || cp.streams[s].scanned > 0)
    .map((s) => `${STREAM_LABEL[s]} ${cp.streams[s].done ? 'done' : `after ID ${cp.streams[s].lastId}`} (${cp.streams[s].scanned}/${cp.streams[s].total})`)
    .join(', ') || 'nothing read yet';
}

/** Skip reasons without element ids, so equal reasons count together. */
export function normalizeWhy(why: string): string {
  return why.replace(/\b(deal|lead) \d+/g, '$1');
}

export function describeMs(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const parts: Duration = { hours: Math.floor(s / 3600) || undefined, minutes: Math.floor((s % 3600) / 60) || undefined, seconds: s % 60 || undefined };
  return formatDuration(parts);
}
