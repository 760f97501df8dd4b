/**
 * Backfill (`npm run backfill -- --since 2025-01-01 [--dry-run] [--spread 6h] [--resume]`):
 * the portal's history since a date — lost deals (STAGE_SEMANTIC_ID F) in the configured
 * pipelines and junk leads (by DATE_MODIFY), won deals (S) in the pipelines whose purchases
 * count (changed since, then bought since by their stage history) — read with fast `>ID` paging,
 * judged by the same code the workflows use (planLostReactivation, planExpiry, readPurchase,
 * clientOfDeal/duePurchase, fed from the listed pages so judging costs no request per element:
 * a page's stage histories and product rows are one batch each), and either reported (dry run)
 * or handed to each element's inbox with handOffEvent(source 'backfill') — the webhook's
 * idempotent path.
 *
 * Spread (docs/decisions.md D-BACKFILL-2): hand-off number k of N gets Temporal's `startDelay`
 * of spread·k/N, so the inbox workflows — and the reads, plans and overdue wake-ups behind
 * them — start evenly over the spread instead of all at once. A real event for an element
 * during its delay starts its inbox at once (the signal-with-start rule), which is right.
 *
 * Idempotent (D-BACKFILL-3): an element is skipped when Temporal shows it handled — its inbox
 * runs (or waits for its delay), or ran after the element's last change, or its scenario
 * workflow already covers this loss / purchase. A second run hands off nothing new.
 *
 * Resumable: a checkpoint in DATA_DIR keeps the last finished ID per list and the spread
 * schedule; after Ctrl-C `--resume` continues there.
 */
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../activities/shared';
import type { Bitrix24Client, CrmApi, Deal, Lead } from '../bitrix24';
import type { Rules } from '../config/rules';
import { durationMs, type Duration } from '../domain';
import { createLogger, type Logger } from '../shared/log';
import { TASK_QUEUE } from '../shared/names';
import { createStarter, type Starter } from '../temporal/starter';
import { emptyStreams, loadCheckpoint, saveCheckpoint, STREAMS, CheckpointError, type Checkpoint, type StreamName } from './checkpoint';
import { ClientsSeen } from './clients';
import { createHistoryCache, type HistoryCache } from './history-cache';
import { createJudge, type Candidate, type Judge } from './judge';
import { STREAM_LABEL, type BackfillProgress, type BackfillReporter } from './progress';
import { bump, describeMs, describeStreams, EarliestWakeUps, normalizeWhy, printReport, wakeUpOf, type BackfillReport } from './report';
import { autoSpreadMs, BACKFILL_RATE_PER_S, BackfillError, backfillStreams, PAGE, PORTAL_RATE_PER_S, resolveSince, type StreamSpec } from './streams';

export { autoSpreadMs, BackfillError, backfillStreams, resolveSince } from './streams';
export { describeMs, type BackfillReport, type ScheduleEstimate, type WakeUp } from './report';
export { CheckpointError };

export interface BackfillOptions {
  /** `YYYY-MM-DD` (midnight in the portal's time zone) or an ISO 8601 instant. Optional with `resume`. */
  since?: string;
  dryRun?: boolean;
  /** Spread the hand-offs over this long; undefined = sized to the REST budget (see autoSpreadMs). */
  spread?: Duration;
  /** Continue from the checkpoint. */
  resume?: boolean;
  /** The checkpoint file (DATA_DIR/backfill-checkpoint.json); required unless dryRun. */
  checkpointFile?: string;
  /** Ctrl-C: stop after the element in hand, save the checkpoint. */
  signal?: AbortSignal;
  /** How many of the earliest wake-ups to report. Default 10. */
  wakeUpSample?: number;
}

export interface BackfillDeps {
  b24: Bitrix24Client;
  crm: CrmApi;
  rules: Rules;
  /** Required for a real run; a dry run never touches Temporal. */
  temporal?: Client;
  taskQueue?: string;
  reporter: BackfillReporter;
  log?: Logger;
  /** Portal origin for links (messages are not sent by the backfill; kept for the activity deps). */
  portalUrl?: string;
  now?: () => Date;
}

/**
 * DATE_MODIFY has whole seconds and the portal's clock is not ours: an inbox counts as having
 * seen the element's last change only if it started this much after it (else: hand off again,
 * which is harmless — the inbox and the scenarios are idempotent).
 */
const CHANGE_MARGIN_MS = 5_000;

export async function runBackfill(deps: BackfillDeps, opts: BackfillOptions): Promise<BackfillReport> {
  const dryRun = opts.dryRun === true;
  if (!dryRun && !deps.temporal) throw new BackfillError('a backfill that schedules needs a Temporal client (or use --dry-run)');
  if (!dryRun && !opts.checkpointFile) throw new BackfillError('a backfill that schedules needs a checkpoint file');
  const run = new BackfillRun(deps, opts, dryRun);
  return run.run();
}

/** One backfill run: open (or resume) the checkpoint, read the lists, hand off, report. */
class BackfillRun {
  private readonly rules: Rules;
  private readonly zone: string;
  private readonly out: BackfillReporter;
  private readonly log: Logger;
  private readonly taskQueue: string;
  private readonly requestsBefore: number;
  private readonly starter?: Starter;
  private cp!: Checkpoint;
  private streams: StreamSpec[] = [];
  private report!: BackfillReport;
  private cache!: HistoryCache;
  private judge!: Judge;
  private readonly wakeUps: EarliestWakeUps;
  private readonly clients: ClientsSeen;
  private temporalRequests = 0;
  private restEstimate = 0;
  private stopped = false;

  constructor(
    private readonly deps: BackfillDeps,
    private readonly opts: BackfillOptions,
    private readonly dryRun: boolean,
  ) {
    this.rules = deps.rules;
    this.zone = deps.rules.defaults.calendar.timeZone;
    this.out = deps.reporter;
    this.log = deps.log ?? createLogger({ level: 'error', sink: () => undefined });
    this.taskQueue = deps.taskQueue ?? TASK_QUEUE;
    this.requestsBefore = deps.b24.requestCount;
    this.starter = deps.temporal ? createStarter(deps.temporal, this.taskQueue) : undefined;
    this.wakeUps = new EarliestWakeUps(opts.wakeUpSample ?? 10);
    this.clients = new ClientsSeen(deps.rules);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async run(): Promise<BackfillReport> {
    const { since, sinceAt } = await this.openCheckpoint();
    this.report = this.emptyReport(since, sinceAt);
    this.cache = createHistoryCache(this.deps.b24, this.deps.crm);
    this.judge = createJudge(this.rules, this.activityDeps(), { wonSince: sinceAt });
    try {
      for (const spec of this.streams) {
        if (this.cp.streams[spec.name].done) continue;
        if (this.stopped) break;
        await this.readStream(spec);
        if (this.stopped) break;
        this.cp.streams[spec.name].done = true;
        this.save();
        this.out.endStream(this.progressOf(spec.name));
      }
    } catch (error) {
      this.save();
      throw error;
    }
    return this.finish();
  }

  // ---- Checkpoint / resume, totals, spread ------------------------------------------------------

  private async openCheckpoint(): Promise<{ since: string; sinceAt: Date }> {
    const { opts, dryRun, out } = this;
    const previous = opts.checkpointFile ? loadCheckpoint(opts.checkpointFile) : undefined;
    let checkpoint: Checkpoint | undefined;
    if (opts.resume) {
      if (dryRun) throw new BackfillError('--resume continues a scheduling backfill; a dry run has nothing to resume');
      if (!previous) throw new BackfillError(`--resume: no checkpoint at ${opts.checkpointFile} (start without --resume)`);
      if (opts.since !== undefined && resolveSince(opts.since, this.zone).getTime() !== Date.parse(previous.sinceAt)) {
        throw new BackfillError(`--since ${opts.since} differs from the checkpoint's ${previous.since}: drop --since to resume, or drop --resume to start over`);
      }
      checkpoint = previous;
    } else if (opts.since === undefined) {
      throw new BackfillError('--since is required (e.g. --since 2025-01-01)');
    }
    const since = checkpoint?.since ?? opts.since!;
    const sinceAt = checkpoint ? new Date(checkpoint.sinceAt) : resolveSince(since, this.zone);
    this.streams = backfillStreams(this.rules, sinceAt);

    out.line(`Backfill${dryRun ? ' (dry run: nothing is scheduled)' : ''} of ${this.deps.b24.origin} since ${since} (${sinceAt.toISOString()})`);
    if (previous && !opts.resume && !dryRun && !previous.finishedAt) {
      out.line(`  note: an unfinished backfill (since ${previous.since}) stopped at ${describeStreams(previous)}; starting over — what it handed off is skipped. Use --resume to continue it instead.`);
    }
    if (checkpoint?.finishedAt) out.line(`Nothing to resume: the backfill since ${checkpoint.since} finished at ${checkpoint.finishedAt}.`);
    if (this.streams.length === 0) out.line('  the rules enable no scenario that looks at history: nothing to do');

    if (!checkpoint) checkpoint = await this.freshCheckpoint(since, sinceAt);
    else if (opts.resume) out.line(`  resuming: ${describeStreams(checkpoint)}`);
    this.cp = checkpoint;
    const totals = this.totals();
    out.line(
      `  to read: ${this.streams.map((s) => `${totals[s.name]} ${STREAM_LABEL[s.name]}`).join(', ') || 'nothing'}; ` +
        `spread ${describeMs(checkpoint.spreadMs)}${checkpoint.spreadAuto ? ` (auto: about ${BACKFILL_RATE_PER_S} REST request/s, half the portal's sustained ${PORTAL_RATE_PER_S}/s)` : ''}`,
    );
    return { since, sinceAt };
  }

  /** A new checkpoint: the lists' totals (one request per list) and the spread they need. */
  private async freshCheckpoint(since: string, sinceAt: Date): Promise<Checkpoint> {
    const totals: Record<StreamName, number> = { lostDeals: 0, wonDeals: 0, junkLeads: 0 };
    for (const s of this.streams) {
      const env = await this.deps.b24.callEnvelope<unknown[]>(s.method, { filter: s.filter, select: ['ID'], order: { ID: 'ASC' }, start: 0 });
      totals[s.name] = env.total ?? (Array.isArray(env.result) ? env.result.length : 0);
    }
    const auto = this.opts.spread === undefined;
    const spreadMs = auto ? autoSpreadMs(totals) : durationMs(this.opts.spread!, this.now(), this.zone);
    const started = this.now().toISOString();
    const fresh = emptyStreams();
    for (const name of STREAMS) {
      fresh[name].total = totals[name];
      if (!this.streams.some((s) => s.name === name)) fresh[name].done = true;
    }
    return {
      version: 1,
      since,
      sinceAt: sinceAt.toISOString(),
      startedAt: started,
      updatedAt: started,
      spreadMs,
      spreadAuto: auto,
      spreadStartAt: started,
      total: STREAMS.reduce((n, s) => n + totals[s], 0),
      slot: 0,
      handedOff: 0,
      streams: fresh,
    };
  }

  private totals(): Record<StreamName, number> {
    return Object.fromEntries(STREAMS.map((s) => [s, this.cp.streams[s].total])) as Record<StreamName, number>;
  }

  /** Hand-off number `slot` of the spread starts at spreadStartAt + spreadMs·slot/total. */
  private slotStart(slot: number): Date {
    const cp = this.cp;
    return new Date(Date.parse(cp.spreadStartAt) + (cp.total > 0 ? Math.floor((cp.spreadMs * Math.min(slot, cp.total)) / cp.total) : 0));
  }

  private save(): void {
    if (this.dryRun || !this.opts.checkpointFile) return;
    this.cp.updatedAt = this.now().toISOString();
    saveCheckpoint(this.opts.checkpointFile, this.cp);
  }

  /** The activities' own judgement, fed from the listed pages. */
  private activityDeps(): ActivityDeps {
    return {
      b24: this.deps.b24,
      crm: this.cache.crm,
      rules: () => this.rules,
      // Planning never touches Temporal; the hand-off uses the starter.
      temporal: this.deps.temporal as Client,
      taskQueue: this.taskQueue,
      log: this.log,
      portalUrl: this.deps.portalUrl ?? this.deps.b24.origin,
      now: () => this.now(),
    };
  }

  private emptyReport(since: string, sinceAt: Date): BackfillReport {
    const cp = this.cp;
    return {
      dryRun: this.dryRun,
      since,
      sinceAt: sinceAt.toISOString(),
      resumed: this.opts.resume === true,
      interrupted: false,
      scanned: { lostDeals: 0, wonDeals: 0, junkLeads: 0 },
      scannedSoFar: { lostDeals: 0, wonDeals: 0, junkLeads: 0 },
      totals: this.totals(),
      candidates: 0,
      handedOff: 0,
      handedOffSample: [],
      alreadyHandled: 0,
      alreadyHandledWhy: {},
      byRule: {},
      skipped: {},
      wakeUps: [],
      restCalls: 0,
      spread: { ms: cp.spreadMs, auto: cp.spreadAuto, startAt: cp.spreadStartAt },
      estimate: { handOffs: 0, temporalRequests: 0, restRequests: 0, restSecondsAtLimit: 0, budgetShare: 0 },
      checkpointFile: this.opts.checkpointFile,
    };
  }

  private progressOf(stream: StreamName): BackfillProgress {
    const r = this.report;
    return {
      stream,
      processed: this.cp.streams[stream].scanned,
      total: r.totals[stream],
      handedOff: r.handedOff,
      skipped: Object.values(r.skipped).reduce((a, b) => a + b, 0),
      alreadyHandled: r.alreadyHandled,
      dryRun: this.dryRun,
    };
  }

  // ---- The lists ----------------------------------------------------------------------------------

  /** One list, page by page of 50 by `>ID` (start: -1, no COUNT on the portal), from the checkpoint on. */
  private async readStream(spec: StreamSpec): Promise<void> {
    const state = this.cp.streams[spec.name];
    for (;;) {
      const filter = { ...spec.filter, '>ID': state.lastId };
      const elements: (Deal | Lead)[] =
        spec.method === 'crm.deal.list'
          ? await this.deps.crm.listDeals(filter, spec.select, undefined, { fastById: true, max: PAGE })
          : await this.deps.crm.listLeads(filter, spec.select, undefined, { fastById: true, max: PAGE });
      if (elements.length === 0) break;
      this.cache.remember(elements, spec.method === 'crm.deal.list' ? 'deal' : 'lead');
      if (spec.name === 'wonDeals') await this.cache.prefetchPurchases(elements.map((e) => e.id), { stageHistory: true });
      if (spec.name === 'lostDeals') await this.cache.prefetchPurchases(elements.filter((e) => this.judge.needsProducts(e as Deal)).map((e) => e.id));
      for (const element of elements) {
        if (this.opts.signal?.aborted) {
          this.stopped = true;
          break;
        }
        await this.consider(spec, element);
        this.cp.slot++;
        state.lastId = element.id;
        state.scanned++;
        this.report.scanned[spec.name]++;
        this.out.progress(this.progressOf(spec.name));
      }
      if (this.stopped) break;
      this.save();
      this.cache.forget(elements);
      if (elements.length < PAGE) break;
    }
  }

  /** Judge one element; hand a candidate that Temporal has not handled to its inbox. */
  private async consider(spec: StreamSpec, element: Deal | Lead): Promise<void> {
    const report = this.report;
    const decision = spec.name === 'wonDeals' ? await this.judge.judgeWon(element as Deal) : await this.judge.judgeLost(spec.name === 'junkLeads' ? 'lead' : 'deal', element);
    if (decision.kind === 'skip') {
      bump(report.skipped, normalizeWhy(decision.why));
      return;
    }
    const c = decision.candidate;
    report.candidates++;
    for (const label of c.labels) bump(report.byRule, label);
    const handled = this.dryRun ? undefined : await this.alreadyHandled(c);
    if (handled) {
      report.alreadyHandled++;
      bump(report.alreadyHandledWhy, handled);
      return;
    }
    const slot = this.cp.slot;
    const startAt = this.slotStart(slot);
    for (const w of c.wakeUps) this.wakeUps.note(wakeUpOf(c, w, startAt));
    if (c.client && c.purchase) this.clients.note(c.client, c.purchase, slot);
    this.restEstimate += c.restCost;
    if (!this.dryRun) {
      const delayMs = Math.max(0, startAt.getTime() - this.now().getTime());
      this.temporalRequests++;
      await this.starter!.handOffEvent(c.entity, c.id, { event: 'BACKFILL', at: this.now().toISOString(), source: 'backfill' }, { startDelayMs: delayMs });
      this.cp.handedOff++;
    }
    report.handedOff++;
    if (report.handedOffSample.length < 1000) report.handedOffSample.push(`${c.entity}-${c.id}`);
  }

  /** "Already handled" (real run): why Temporal shows this candidate handled; undefined: hand it off. */
  private async alreadyHandled(c: Candidate): Promise<string | undefined> {
    const starter = this.starter!;
    this.temporalRequests++;
    const inbox = await starter.inbox(c.entity, c.id);
    if (starter.running(inbox)) return 'its inbox is running or waiting for its start';
    const changed = c.modifiedAt ? Date.parse(c.modifiedAt) : Number.NaN;
    if (inbox?.status.name === 'COMPLETED' && Number.isFinite(changed) && inbox.startTime.getTime() >= changed + CHANGE_MARGIN_MS) {
      return 'its inbox ran after its last change';
    }
    if (c.lossKey) {
      this.temporalRequests++;
      const state = await starter.lossState(c.entity, c.id, c.lossKey);
      if (state === 'running') return 'its reactivation is running';
      if (state === 'handled') return 'this loss was already handled';
      return undefined;
    }
    let covered = true;
    if (c.client && c.purchase) {
      this.temporalRequests++;
      covered &&= await starter.purchaseHandled(c.client, c.purchase.at);
    }
    if (c.expiry) {
      this.temporalRequests++;
      covered &&= await starter.expiryExists(c.id);
    }
    return covered ? 'its scenario workflows already cover this purchase' : undefined;
  }

  // ---- The end --------------------------------------------------------------------------------------

  private finish(): BackfillReport {
    const { report, cp, dryRun } = this;
    // Clients: one cycle per client, planned from its latest purchase (earlier ones teach the period).
    const clients = this.clients.plan(this.now(), (slot) => this.slotStart(slot));
    for (const w of clients.wakeUps) this.wakeUps.note(w);
    this.restEstimate += clients.restRequests;
    if (this.stopped) {
      report.interrupted = true;
      this.save();
    } else if (!dryRun && !cp.finishedAt) {
      cp.finishedAt = this.now().toISOString();
      this.save();
    }
    report.wakeUps = this.wakeUps.list;
    for (const s of STREAMS) report.scannedSoFar[s] = cp.streams[s].scanned;
    report.restCalls = this.deps.b24.requestCount - this.requestsBefore;
    const spreadS = Math.max(1, cp.spreadMs / 1000);
    report.estimate = {
      handOffs: report.handedOff,
      temporalRequests: dryRun ? report.candidates * 3 : this.temporalRequests,
      restRequests: this.restEstimate,
      restSecondsAtLimit: Math.ceil(this.restEstimate / PORTAL_RATE_PER_S),
      budgetShare: this.restEstimate / (spreadS * PORTAL_RATE_PER_S),
    };
    printReport(report, this.out, { interruptedAt: this.stopped ? describeStreams(cp) : undefined });
    this.log.info('backfill done', { dryRun, handedOff: report.handedOff, alreadyHandled: report.alreadyHandled, restCalls: report.restCalls, interrupted: report.interrupted });
    return report;
  }
}
