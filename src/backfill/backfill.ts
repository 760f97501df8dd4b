/**
 * Backfill (`npm run backfill -- --since 2025-01-01 [--dry-run] [--spread 6h] [--resume]`):
 * the portal's history since a date — lost deals (STAGE_SEMANTIC_ID F) in the configured
 * pipelines and junk leads (by DATE_MODIFY), won deals (S) in the pipelines whose purchases
 * count (by CLOSEDATE) — read with fast `>ID` paging, judged by the same code the workflows use
 * (planLostReactivation, planExpiry, readPurchase, clientOfDeal/duePurchase, fed from the listed
 * pages so judging costs no request per element), and either reported (dry run) or handed to
 * each element's inbox with handOffEvent(source 'backfill') — the webhook's idempotent path.
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
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { DateTime } from 'luxon';
import type { ExpiryPlan, LostPlan, PurchaseFact } from '../activities/contracts';
import { lossKeyOf } from '../activities/loss-key';
import { createExpiryActivities } from '../activities/expiry';
import { createLostDealActivities } from '../activities/lost-deal';
import { readPurchase, toDomainPurchase } from '../activities/purchases';
import { ORIGINATOR, type ActivityDeps } from '../activities/shared';
import { handOffEvent } from '../api/bitrix24-events';
import {
  DEAL_SELECT,
  LEAD_SELECT,
  type Bitrix24Client,
  type CrmApi,
  type Deal,
  type Lead,
  type Product,
  type ProductRow,
} from '../bitrix24';
import type { Rules } from '../config/rules';
import { clientOfDeal, duePurchase, findLostRule, formatDuration, type ClientKey, type Duration, durationMs } from '../domain';
import { createLogger, type Logger } from '../shared/log';
import { clientWorkflowId, crmEventsWorkflowId, expiryWorkflowId, lostWorkflowId, TASK_QUEUE, type CrmEntity } from '../shared/names';
import { emptyStreams, loadCheckpoint, saveCheckpoint, STREAMS, CheckpointError, type Checkpoint, type StreamName } from './checkpoint';
import { STREAM_LABEL, type BackfillProgress, type BackfillReporter } from './progress';

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

/** The portal's sustained rate (standard tariff, limits.md) and the share a backfill may take. */
const PORTAL_RATE_PER_S = 2;
const BACKFILL_RATE_PER_S = 1;

/**
 * REST requests behind one hand-off, from the activities' own costs (src/bitrix24/crm.ts):
 * inbox dispatch reads the element (1); a won deal's purchase: product rows + products (2);
 * lost-deal planning: getDealContext (1, one batch) + products when the period is by section (1);
 * the at-loss notice re-reads the element (1) + one request per notice; expiry planning: deal +
 * purchase (3); a client's first planning: its won deals (1) + their purchases (2 each, ≤ 12).
 */
const PAGE = 50;

/**
 * DATE_MODIFY has whole seconds and the portal's clock is not ours: an inbox counts as having
 * seen the element's last change only if it started this much after it (else: hand off again,
 * which is harmless — the inbox and the scenarios are idempotent).
 */
const CHANGE_MARGIN_MS = 5_000;

const COST = { inboxRead: 1, purchaseRead: 2, lostPlan: 1, bySection: 1, expiryPlan: 3, clientPlanBase: 1, perClientPurchase: 2, maxClientPurchases: 12 };

/** Auto spread: what the hand-offs cost, at half the portal's sustained rate; at least a minute. */
export function autoSpreadMs(totals: Record<StreamName, number>): number {
  const requests = totals.lostDeals * (COST.inboxRead + COST.lostPlan) + totals.wonDeals * (COST.inboxRead + COST.purchaseRead + COST.expiryPlan) + totals.junkLeads * (COST.inboxRead + COST.lostPlan);
  return Math.max(60_000, Math.ceil((requests / BACKFILL_RATE_PER_S) * 1000));
}

interface StreamSpec {
  name: StreamName;
  method: 'crm.deal.list' | 'crm.lead.list';
  filter: Record<string, unknown>;
  select: string[];
}

type Candidate = {
  entity: CrmEntity;
  id: number;
  modifiedAt: string | null;
  labels: string[];
  wakeUps: { at: Date; what: string }[];
  lossKey?: string;
  purchase?: PurchaseFact;
  client?: ClientKey;
  expiry?: boolean;
  restCost: number;
};

type Decision = { kind: 'skip'; why: string } | { kind: 'candidate'; candidate: Candidate };

export class BackfillError extends Error {
  override readonly name = 'BackfillError';
}

/** `2025-01-01` → midnight of that day in `zone`; an ISO instant as is. */
export function resolveSince(since: string, zone: string): Date {
  const text = since.trim();
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? DateTime.fromISO(text, { zone }) : DateTime.fromISO(text, { setZone: true });
  if (!date.isValid) throw new BackfillError(`--since: "${since}" is not a date (expected YYYY-MM-DD or an ISO 8601 date-time)`);
  return date.toJSDate();
}

/** The lists the rules need, with their filters. */
export function backfillStreams(rules: Rules, sinceAt: Date): StreamSpec[] {
  const zone = rules.defaults.calendar.timeZone;
  const sinceText = DateTime.fromJSDate(sinceAt, { zone }).toISO({ suppressMilliseconds: true })!;
  const streams: StreamSpec[] = [];
  const lost = rules.lostDeals;
  if (lost.enabled && lost.pipelines.length > 0) {
    streams.push({
      name: 'lostDeals',
      method: 'crm.deal.list',
      filter: { STAGE_SEMANTIC_ID: 'F', CATEGORY_ID: lost.pipelines.map((p) => p.categoryId), '>=DATE_MODIFY': sinceText },
      select: DEAL_SELECT,
    });
  }
  const won = new Set<number>([...(rules.clients?.enabled ? rules.clients.wonIn : []), ...(rules.expiry?.enabled ? rules.expiry.wonIn : [])]);
  if (won.size > 0) {
    streams.push({
      name: 'wonDeals',
      method: 'crm.deal.list',
      filter: { STAGE_SEMANTIC_ID: 'S', CATEGORY_ID: [...won].sort((a, b) => a - b), '>=CLOSEDATE': sinceText },
      select: DEAL_SELECT,
    });
  }
  if (lost.enabled && lost.leads?.enabled) {
    streams.push({ name: 'junkLeads', method: 'crm.lead.list', filter: { STATUS_SEMANTIC_ID: 'F', '>=DATE_MODIFY': sinceText }, select: LEAD_SELECT });
  }
  return streams;
}

export async function runBackfill(deps: BackfillDeps, opts: BackfillOptions): Promise<BackfillReport> {
  const dryRun = opts.dryRun === true;
  const rules = deps.rules;
  const zone = rules.defaults.calendar.timeZone;
  const now = () => deps.now?.() ?? new Date();
  const out = deps.reporter;
  const log = deps.log ?? createLogger({ level: 'error', sink: () => undefined });
  const taskQueue = deps.taskQueue ?? TASK_QUEUE;
  if (!dryRun && !deps.temporal) throw new BackfillError('a backfill that schedules needs a Temporal client (or use --dry-run)');
  if (!dryRun && !opts.checkpointFile) throw new BackfillError('a backfill that schedules needs a checkpoint file');
  const requestsBefore = deps.b24.requestCount;

  // ---- Checkpoint / resume -------------------------------------------------------------------
  let checkpoint: Checkpoint | undefined;
  const previous = opts.checkpointFile ? loadCheckpoint(opts.checkpointFile) : undefined;
  if (opts.resume) {
    if (dryRun) throw new BackfillError('--resume continues a scheduling backfill; a dry run has nothing to resume');
    if (!previous) throw new BackfillError(`--resume: no checkpoint at ${opts.checkpointFile} (start without --resume)`);
    if (opts.since !== undefined && resolveSince(opts.since, zone).getTime() !== Date.parse(previous.sinceAt)) {
      throw new BackfillError(`--since ${opts.since} differs from the checkpoint's ${previous.since}: drop --since to resume, or drop --resume to start over`);
    }
    checkpoint = previous;
  } else if (opts.since === undefined) {
    throw new BackfillError('--since is required (e.g. --since 2025-01-01)');
  }
  const since = checkpoint?.since ?? opts.since!;
  const sinceAt = checkpoint ? new Date(checkpoint.sinceAt) : resolveSince(since, zone);
  const streams = backfillStreams(rules, sinceAt);

  out.line(`Backfill${dryRun ? ' (dry run: nothing is scheduled)' : ''} of ${deps.b24.origin} since ${since} (${sinceAt.toISOString()})`);
  if (previous && !opts.resume && !dryRun && !previous.finishedAt) {
    out.line(`  note: an unfinished backfill (since ${previous.since}) stopped at ${describeStreams(previous)}; starting over — what it handed off is skipped. Use --resume to continue it instead.`);
  }
  if (checkpoint?.finishedAt) {
    out.line(`Nothing to resume: the backfill since ${checkpoint.since} finished at ${checkpoint.finishedAt}.`);
  }
  if (streams.length === 0) out.line('  the rules enable no scenario that looks at history: nothing to do');

  // ---- Totals (one request per list), spread -----------------------------------------------
  if (!checkpoint) {
    const totals: Record<StreamName, number> = { lostDeals: 0, wonDeals: 0, junkLeads: 0 };
    for (const s of streams) {
      const env = await deps.b24.callEnvelope<unknown[]>(s.method, { filter: s.filter, select: ['ID'], order: { ID: 'ASC' }, start: 0 });
      totals[s.name] = env.total ?? (Array.isArray(env.result) ? env.result.length : 0);
    }
    const auto = opts.spread === undefined;
    const spreadMs = auto ? autoSpreadMs(totals) : durationMs(opts.spread!, now(), zone);
    const started = now().toISOString();
    const fresh = emptyStreams();
    for (const name of STREAMS) {
      fresh[name].total = totals[name];
      if (!streams.some((s) => s.name === name)) fresh[name].done = true;
    }
    checkpoint = {
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
  } else if (opts.resume) {
    out.line(`  resuming: ${describeStreams(checkpoint)}`);
  }
  const cp = checkpoint;
  const totals = Object.fromEntries(STREAMS.map((s) => [s, cp.streams[s].total])) as Record<StreamName, number>;
  const spreadStart = Date.parse(cp.spreadStartAt);
  const slotStart = (slot: number) => new Date(spreadStart + (cp.total > 0 ? Math.floor((cp.spreadMs * Math.min(slot, cp.total)) / cp.total) : 0));
  out.line(
    `  to read: ${streams.map((s) => `${totals[s.name]} ${STREAM_LABEL[s.name]}`).join(', ') || 'nothing'}; ` +
      `spread ${describeMs(cp.spreadMs)}${cp.spreadAuto ? ` (auto: about ${BACKFILL_RATE_PER_S} REST request/s, half the portal's sustained ${PORTAL_RATE_PER_S}/s)` : ''}`,
  );
  const save = () => {
    if (dryRun || !opts.checkpointFile) return;
    cp.updatedAt = now().toISOString();
    saveCheckpoint(opts.checkpointFile, cp);
  };

  // ---- The activities' own judgement, fed from the listed pages --------------------------------
  const cache = {
    deals: new Map<number, Deal>(),
    leads: new Map<number, Lead>(),
    rows: new Map<number, ProductRow[]>(),
    products: new Map<number, Product>(),
    /** Product ids asked for (a deleted product is absent from `products` but not asked again). */
    productsAsked: new Set<number>(),
  };
  const crmView: CrmApi = {
    ...deps.crm,
    getDealContext: async (id) => {
      const deal = cache.deals.get(id);
      return deal ? { deal, productRows: cache.rows.get(id) ?? [], contacts: [], assignedUser: null, clientName: null } : deps.crm.getDealContext(id);
    },
    getDeal: async (id) => cache.deals.get(id) ?? deps.crm.getDeal(id),
    getLead: async (id) => cache.leads.get(id) ?? deps.crm.getLead(id),
    getDealProductRows: async (id) => cache.rows.get(id) ?? deps.crm.getDealProductRows(id),
    listProducts: async (filter, select, order) => {
      const ids = Array.isArray(filter?.ID) ? (filter.ID as unknown[]).map(Number) : undefined;
      if (ids && ids.every((id) => cache.productsAsked.has(id))) return ids.flatMap((id) => cache.products.get(id) ?? []);
      return deps.crm.listProducts(filter, select, order);
    },
  };
  const activityDeps: ActivityDeps = {
    b24: deps.b24,
    crm: crmView,
    rules: () => rules,
    // Planning never touches Temporal; the hand-off below uses deps.temporal.
    temporal: deps.temporal as Client,
    taskQueue,
    log,
    portalUrl: deps.portalUrl ?? deps.b24.origin,
    now,
  };
  const { planLostReactivation } = createLostDealActivities(activityDeps);
  const { planExpiry } = createExpiryActivities(activityDeps);

  /** The page is judged: let its rows go (a long history must not pile up in memory). */
  function forget(elements: (Deal | Lead)[]): void {
    for (const e of elements) {
      cache.deals.delete(e.id);
      cache.leads.delete(e.id);
      cache.rows.delete(e.id);
    }
    if (cache.productsAsked.size > 5000) {
      cache.products.clear();
      cache.productsAsked.clear();
    }
  }

  /** Product rows (one batch per 50 deals) and their products (one request per 50). */
  async function prefetchPurchases(dealIds: number[]): Promise<void> {
    const ids = dealIds.filter((id) => !cache.rows.has(id));
    for (let i = 0; i < ids.length; i += 50) {
      const part = ids.slice(i, i + 50);
      const batch = await deps.b24.batch<unknown>(Object.fromEntries(part.map((id) => [`d${id}`, { method: 'crm.deal.productrows.get', params: { id } }])));
      for (const id of part) {
        const error = batch.errors[`d${id}`];
        if (error && error.kind !== 'not_found') throw error;
        cache.rows.set(id, toProductRows(batch.results[`d${id}`]));
      }
    }
    const productIds = [...new Set(dealIds.flatMap((id) => (cache.rows.get(id) ?? []).map((r) => r.productId)).filter((p): p is number => p !== null && p > 0 && !cache.productsAsked.has(p)))];
    for (let i = 0; i < productIds.length; i += 50) {
      const part = productIds.slice(i, i + 50);
      for (const p of await deps.crm.listProducts({ ID: part }, ['ID', 'NAME', 'SECTION_ID', 'PRICE'])) cache.products.set(p.id, p);
      for (const id of part) cache.productsAsked.add(id);
    }
  }

  // ---- Report state --------------------------------------------------------------------------
  const report: BackfillReport = {
    dryRun,
    since,
    sinceAt: sinceAt.toISOString(),
    resumed: opts.resume === true,
    interrupted: false,
    scanned: { lostDeals: 0, wonDeals: 0, junkLeads: 0 },
    scannedSoFar: { lostDeals: 0, wonDeals: 0, junkLeads: 0 },
    totals,
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
    checkpointFile: opts.checkpointFile,
  };
  const sample = opts.wakeUpSample ?? 10;
  const wakeUps: WakeUp[] = [];
  const noteWakeUp = (w: WakeUp) => {
    wakeUps.push(w);
    wakeUps.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.element.localeCompare(b.element));
    if (wakeUps.length > sample) wakeUps.length = sample;
  };
  const bump = (map: Record<string, number>, key: string) => {
    map[key] = (map[key] ?? 0) + 1;
  };
  /** Clients seen among the won deals: their latest purchase and the earlier ones (for learning). */
  const clientsSeen = new Map<string, { client: ClientKey; latest: PurchaseFact; history: PurchaseFact[]; slot: number }>();

  // ---- Judging one element -------------------------------------------------------------------
  function lostLookup(entity: CrmEntity, element: Deal | Lead) {
    return entity === 'deal'
      ? findLostRule(rules, { entity: 'deal', categoryId: (element as Deal).categoryId, stageId: (element as Deal).stageId, fields: element.userFields })
      : findLostRule(rules, { entity: 'lead', statusId: (element as Lead).statusId, fields: element.userFields });
  }
  /** A period by product section needs the deal's products (prefetched per page, not per deal). */
  function needsSections(lookup: ReturnType<typeof findLostRule>): boolean {
    return lookup.decision === 'reactivate' && lookup.rule.returnPeriod.kind === 'bySection';
  }

  async function judgeLost(entity: CrmEntity, element: Deal | Lead): Promise<Decision> {
    if (entity === 'deal' && (element as Deal).originatorId === ORIGINATOR) {
      return { kind: 'skip', why: 'a reactivation deal made by this service (its own workflow follows it)' };
    }
    const lookup = lostLookup(entity, element);
    const bySection = needsSections(lookup);
    const plan: LostPlan = await planLostReactivation({ entity, id: element.id, lostElementId: element.id, attempt: 1 });
    if (plan.decision === 'skip') return { kind: 'skip', why: plan.why };
    const where = entity === 'deal' ? `lost deal · pipeline ${(element as Deal).categoryId}` : 'junk lead';
    return {
      kind: 'candidate',
      candidate: {
        entity,
        id: element.id,
        modifiedAt: element.modifiedAt,
        labels: [`${where} · «${plan.reason.name}»`],
        wakeUps: [{ at: new Date(plan.returnAt), what: plan.why }],
        lossKey: lossKeyOf(entity === 'deal' ? { stageId: (element as Deal).stageId, movedAt: element.movedAt, modifiedAt: element.modifiedAt } : { statusId: (element as Lead).statusId, movedAt: element.movedAt, modifiedAt: element.modifiedAt }),
        // Backfilled losses are old news: their workflows send no "at loss" notice.
        restCost: COST.inboxRead + COST.lostPlan + (bySection ? COST.bySection : 0),
      },
    };
  }

  async function judgeWon(deal: Deal): Promise<Decision> {
    const clients = rules.clients;
    const expiry = rules.expiry;
    const labels: string[] = [];
    const wake: Candidate['wakeUps'] = [];
    const skipWhy: string[] = [];
    let restCost = COST.inboxRead + COST.purchaseRead;
    const purchase = await readPurchase(activityDeps, deal);
    let client: ClientKey | undefined;
    if (clients?.enabled && clients.wonIn.includes(deal.categoryId)) {
      client = clientOfDeal({ companyId: deal.companyId ?? undefined, contactId: deal.contactId ?? undefined }, clients.clientOf);
      if (client) labels.push(`won deal · client cycle (${clients.clientOf})`);
      else skipWhy.push(`no ${clients.clientOf === 'companyOrContact' ? 'company or contact' : clients.clientOf} on the deal`);
    }
    let expiryOn = false;
    if (expiry?.enabled && expiry.wonIn.includes(deal.categoryId)) {
      const plan: ExpiryPlan = await planExpiry({ dealId: deal.id });
      if (plan.decision === 'remind') {
        expiryOn = true;
        restCost += COST.expiryPlan;
        labels.push('won deal · expiry reminders');
        const first = plan.reminders[0];
        if (first) wake.push({ at: new Date(first.at), what: `expiry ${plan.expiresAt.slice(0, 10)}, reminder ${first.offset} (${first.action})` });
      } else {
        skipWhy.push(`expiry: ${plan.why}`);
      }
    }
    if (!client && !expiryOn) return { kind: 'skip', why: `won deal concerns no scenario: ${skipWhy.join('; ') || 'its pipeline is not configured'}` };
    return { kind: 'candidate', candidate: { entity: 'deal', id: deal.id, modifiedAt: deal.modifiedAt, labels, wakeUps: wake, purchase, client, expiry: expiryOn, restCost } };
  }

  // ---- "Already handled" (real run) ----------------------------------------------------------
  async function describe(workflowId: string) {
    try {
      return await deps.temporal!.workflow.getHandle(workflowId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }
  let temporalRequests = 0;
  async function alreadyHandled(c: Candidate): Promise<string | undefined> {
    temporalRequests++;
    const inbox = await describe(crmEventsWorkflowId(c.entity, c.id));
    if (inbox?.status.name === 'RUNNING') return 'its inbox is running or waiting for its start';
    const changed = c.modifiedAt ? Date.parse(c.modifiedAt) : Number.NaN;
    if (inbox?.status.name === 'COMPLETED' && Number.isFinite(changed) && inbox.startTime.getTime() >= changed + CHANGE_MARGIN_MS) {
      return 'its inbox ran after its last change';
    }
    if (c.lossKey) {
      temporalRequests++;
      const lost = await describe(lostWorkflowId(c.entity, c.id));
      if (lost?.status.name === 'RUNNING') return 'its reactivation is running';
      if (lost && lost.memo?.lossKey === c.lossKey) return 'this loss was already handled';
      return undefined;
    }
    let covered = true;
    if (c.client && c.purchase) {
      temporalRequests++;
      const cycle = await describe(clientWorkflowId(c.client.kind, c.client.id));
      const handledAt = Date.parse(String(cycle?.memo?.purchaseAt ?? ''));
      covered &&= !!cycle && Number.isFinite(handledAt) && Date.parse(c.purchase.at) <= handledAt;
    }
    if (c.expiry) {
      temporalRequests++;
      covered &&= !!(await describe(expiryWorkflowId(c.id)));
    }
    return covered ? 'its scenario workflows already cover this purchase' : undefined;
  }

  // ---- The lists -------------------------------------------------------------------------------
  let stopped = false;
  const progressOf = (stream: StreamName): BackfillProgress => ({
    stream,
    processed: cp.streams[stream].scanned,
    total: totals[stream],
    handedOff: report.handedOff,
    skipped: Object.values(report.skipped).reduce((a, b) => a + b, 0),
    alreadyHandled: report.alreadyHandled,
    dryRun,
  });
  let restEstimate = 0;

  try {
    for (const spec of streams) {
      const state = cp.streams[spec.name];
      if (state.done) continue;
      if (stopped) break;
      for (;;) {
        // One page of 50 by `>ID` (start: -1, no COUNT on the portal), parsed by the typed helpers.
        const filter = { ...spec.filter, '>ID': state.lastId };
        const elements: (Deal | Lead)[] =
          spec.method === 'crm.deal.list'
            ? await deps.crm.listDeals(filter, spec.select, undefined, { fastById: true, max: PAGE })
            : await deps.crm.listLeads(filter, spec.select, undefined, { fastById: true, max: PAGE });
        if (elements.length === 0) break;
        for (const e of elements) {
          if (spec.method === 'crm.deal.list') cache.deals.set(e.id, e as Deal);
          else cache.leads.set(e.id, e as Lead);
        }
        if (spec.name === 'wonDeals') await prefetchPurchases(elements.map((e) => e.id));
        if (spec.name === 'lostDeals') await prefetchPurchases(elements.filter((e) => needsSections(lostLookup('deal', e))).map((e) => e.id));
        for (const element of elements) {
          if (opts.signal?.aborted) {
            stopped = true;
            break;
          }
          const decision =
            spec.name === 'wonDeals' ? await judgeWon(element as Deal) : await judgeLost(spec.name === 'junkLeads' ? 'lead' : 'deal', element);
          const slot = cp.slot;
          if (decision.kind === 'skip') {
            bump(report.skipped, normalizeWhy(decision.why));
          } else {
            const c = decision.candidate;
            report.candidates++;
            for (const label of c.labels) bump(report.byRule, label);
            const handled = dryRun ? undefined : await alreadyHandled(c);
            if (handled) {
              report.alreadyHandled++;
              bump(report.alreadyHandledWhy, handled);
            } else {
              const startAt = slotStart(slot);
              for (const w of c.wakeUps) noteWakeUp(wakeUpOf(c, w, startAt));
              if (c.client && c.purchase) noteClient(c.client, c.purchase, slot);
              restEstimate += c.restCost;
              if (!dryRun) {
                const delayMs = Math.max(0, startAt.getTime() - now().getTime());
                temporalRequests++;
                await handOffEvent(deps.temporal!, taskQueue, c.entity, c.id, { event: 'BACKFILL', at: now().toISOString(), source: 'backfill' }, { startDelayMs: delayMs });
                cp.handedOff++;
              }
              report.handedOff++;
              if (report.handedOffSample.length < 1000) report.handedOffSample.push(`${c.entity}-${c.id}`);
            }
          }
          cp.slot++;
          state.lastId = element.id;
          state.scanned++;
          report.scanned[spec.name]++;
          out.progress(progressOf(spec.name));
        }
        if (stopped) break;
        save();
        forget(elements);
        if (elements.length < PAGE) break;
      }
      if (stopped) break;
      state.done = true;
      save();
      out.endStream(progressOf(spec.name));
    }
  } catch (error) {
    save();
    throw error;
  }

  // Clients: one cycle per client, planned from its latest purchase (earlier ones teach the period).
  const clients = rules.clients;
  if (clients) {
    for (const seen of clientsSeen.values()) {
      const due = duePurchase(toDomainPurchase(seen.latest), clients, seen.history.map((p) => toDomainPurchase(p)), zone);
      const planned = new Date(Math.max(due.dueAt.getTime(), now().getTime()));
      const startAt = slotStart(seen.slot);
      restEstimate += COST.clientPlanBase + COST.perClientPurchase * Math.min(COST.maxClientPurchases, seen.history.length + 1);
      noteWakeUp({
        at: new Date(Math.max(planned.getTime(), startAt.getTime())).toISOString(),
        plannedAt: planned.toISOString(),
        element: `${seen.client.kind} ${seen.client.id}`,
        what: `client cycle after deal ${seen.latest.dealId}: ${due.explanation}${due.dueAt < now() ? ' (already due)' : ''}`,
      });
    }
  }

  if (stopped) {
    report.interrupted = true;
    save();
  } else if (!dryRun && !cp.finishedAt) {
    cp.finishedAt = now().toISOString();
    save();
  }
  report.wakeUps = wakeUps;
  for (const s of STREAMS) report.scannedSoFar[s] = cp.streams[s].scanned;
  report.restCalls = deps.b24.requestCount - requestsBefore;
  const spreadS = Math.max(1, cp.spreadMs / 1000);
  report.estimate = {
    handOffs: report.handedOff,
    temporalRequests: dryRun ? report.candidates * 3 : temporalRequests,
    restRequests: restEstimate,
    restSecondsAtLimit: Math.ceil(restEstimate / PORTAL_RATE_PER_S),
    budgetShare: restEstimate / (spreadS * PORTAL_RATE_PER_S),
  };
  printReport(report, out, { interruptedAt: stopped ? describeStreams(cp) : undefined });
  log.info('backfill done', { dryRun, handedOff: report.handedOff, alreadyHandled: report.alreadyHandled, restCalls: report.restCalls, interrupted: report.interrupted });
  return report;

  function noteClient(client: ClientKey, purchase: PurchaseFact, slot: number) {
    const key = `${client.kind}-${client.id}`;
    const seen = clientsSeen.get(key);
    if (!seen) {
      clientsSeen.set(key, { client, latest: purchase, history: [], slot });
      return;
    }
    const keep = rules.clients?.learning?.lastPurchases ?? 6;
    if (Date.parse(purchase.at) >= Date.parse(seen.latest.at)) {
      seen.history.push(seen.latest);
      seen.latest = purchase;
      seen.slot = slot;
    } else {
      seen.history.push(purchase);
    }
    seen.history.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    if (seen.history.length > keep) seen.history.length = keep;
  }
}

function wakeUpOf(c: Candidate, w: { at: Date; what: string }, startAt: Date): WakeUp {
  return {
    at: new Date(Math.max(w.at.getTime(), startAt.getTime())).toISOString(),
    plannedAt: w.at.toISOString(),
    element: `${c.entity} ${c.id}`,
    what: w.what,
  };
}

function printReport(r: BackfillReport, out: BackfillReporter, extra: { interruptedAt?: string }): void {
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

function describeStreams(cp: Checkpoint): string {
  return STREAMS.filter((s) => cp.streams[s].total > 0 || cp.streams[s].scanned > 0)
    .map((s) => `${STREAM_LABEL[s]} ${cp.streams[s].done ? 'done' : `after ID ${cp.streams[s].lastId}`} (${cp.streams[s].scanned}/${cp.streams[s].total})`)
    .join(', ') || 'nothing read yet';
}

/** Skip reasons without element ids, so equal reasons count together. */
function normalizeWhy(why: string): string {
  return why.replace(/\b(deal|lead) \d+/g, '$1');
}

export function describeMs(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const parts: Duration = { hours: Math.floor(s / 3600) || undefined, minutes: Math.floor((s % 3600) / 60) || undefined, seconds: s % 60 || undefined };
  return formatDuration(parts);
}

function toProductRows(result: unknown): ProductRow[] {
  if (!Array.isArray(result)) return [];
  return (result as Record<string, unknown>[]).map((r) => ({
    id: toInt(r.ID),
    productId: toInt(r.PRODUCT_ID),
    productName: String(r.PRODUCT_NAME ?? ''),
    price: Number(r.PRICE ?? 0) || 0,
    quantity: Number(r.QUANTITY ?? 0) || 0,
    discountTypeId: toInt(r.DISCOUNT_TYPE_ID),
    discountRate: r.DISCOUNT_RATE == null ? null : Number(r.DISCOUNT_RATE),
    discountSum: r.DISCOUNT_SUM == null ? null : Number(r.DISCOUNT_SUM),
    taxRate: r.TAX_RATE == null ? null : Number(r.TAX_RATE),
    taxIncluded: r.TAX_INCLUDED === 'Y',
    measureCode: toInt(r.MEASURE_CODE),
    measureName: r.MEASURE_NAME == null ? null : String(r.MEASURE_NAME),
    sort: Number(r.SORT ?? 0) || 0,
  }));
}

function toInt(v: unknown): number | null {
  const n = Number(v);
  return v === null || v === undefined || v === '' || !Number.isInteger(n) || n <= 0 ? null : n;
}


export { CheckpointError };
