/**
 * Bench part (b): lost-deal reactivations end to end — N deals lost at once with a short period →
 * time until every reactivation deal exists with its to-do, reactivations/s after the due time,
 * REST calls per reactivation (sandbox call log), per portal limit preset.
 */
import type { Client } from '@temporalio/client';
import { sharedRateLimiter, type LimitPreset } from '../../bitrix24/rate-limit';
import { DEMO, type SandboxHandle } from '@b24r/sandbox';
import { lostWorkflowId, SERVICE_ID, TASK_QUEUE } from '../../shared/names';
import { createStarter } from '../../temporal/starter';
import { sandboxAdmin } from '../sandbox-admin';
import type { RunningService } from '../start';

import { percentile, pool, progress, round, sleep, type BenchOptions, type Preset } from './support';

// (b) lost-deal reactivations end to end

export interface LostRunResult {
  preset: Preset;
  limits: string;
  deals: number;
  periodSeconds: number;
  done: number;
  allDoneSeconds: number | null;
  firstDealSeconds: number | null;
  afterDueSeconds: number | null;
  reactivationsPerSecond: number | null;
  latencyP50Seconds: number | null;
  latencyP95Seconds: number | null;
  httpRequests: number;
  httpRequestsPerReactivation: number;
  restCallsPerReactivation: number;
  refused503: number;
  refused429: number;
  serviceWarnings: number;
  /** What the portal's drain rate allows at this cost, once the burst is spent (null: limits off). */
  restBoundPerSecond: number | null;
  restBoundPerDay: number | null;
}

export type Rec = Record<string, unknown>;

export async function benchLost(service: RunningService, temporal: Client, logLines: string[], opts: BenchOptions): Promise<LostRunResult[]> {
  const sandbox = service.sandbox as SandboxHandle;
  const portal = sandbox.portal;
  const origin = new URL(sandbox.baseUrl).origin;
  const results: LostRunResult[] = [];
  const resetPortalCounters = () => sandboxAdmin(sandbox)('DELETE', 'limits');

  for (const preset of opts.presets) {
    const n = opts.deals[preset];
    sandbox.setLimits(preset === 'off' ? { enabled: false } : { enabled: true, preset });
    const limiter = sharedRateLimiter(origin, preset as LimitPreset);
    await resetPortalCounters();
    // What an earlier run left in the service's own bucket must drain first.
    while (limiter.config && limiter.level() > 1) await sleep(250);

    // N fresh clients, each with one open deal (no other open deal holds a reactivation back),
    // made while the outbound webhook is off so that their creation costs no REST reads.
    const hooks = portal.summary().outgoingWebhooks;
    for (const h of hooks) portal.removeOutgoingWebhook(h.id);
    const dealIds: number[] = [];
    for (let i = 0; i < n; i++) {
      const manager = DEMO.managers[i % DEMO.managers.length];
      const companyId = portal.createCompany({ TITLE: `ООО «Бенч ${preset} ${i + 1}»`, ASSIGNED_BY_ID: manager, COMPANY_TYPE: 'CUSTOMER' });
      const dealId = portal.createDeal({ TITLE: `Бенч: мешки, партия ${i + 1}`, CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: manager, COMPANY_ID: companyId });
      portal.setDealProductRows(dealId, [{ PRODUCT_ID: 1, QUANTITY: 1000 + i }]);
      dealIds.push(dealId);
    }
    await portal.waitForDeliveries();
    for (const h of hooks) portal.addOutgoingWebhook(h.handler, h.events, sandbox.app.applicationToken);

    const warnBefore = logLines.length;
    sandbox.callLog.clear();
    progress(`lost (${preset}): losing ${n} deals at once, period ${opts.periodSeconds} s`);
    const t0 = Date.now();
    for (const id of dealIds) portal.loseDeal(id, 'LOSE');

    const doneAt = new Map<number, number>();
    const prefixOf = new Map(dealIds.map((id) => [`${lostWorkflowId('deal', id)}#`, id]));
    const deadline = t0 + opts.runTimeoutSeconds * 1000;
    let lastReport = 0;
    while (doneAt.size < n && Date.now() < deadline) {
      const copies = (portal.records('deals') as Rec[]).filter((d) => d.ORIGINATOR_ID === SERVICE_ID && typeof d.ORIGIN_ID === 'string');
      const todoOwners = new Set((portal.records('activities') as Rec[]).filter((a) => Number(a.OWNER_TYPE_ID) === 2).map((a) => Number(a.OWNER_ID)));
      for (const c of copies) {
        const source = prefixOf.get(String(c.ORIGIN_ID).replace(/#.*$/, '#'));
        if (source !== undefined && !doneAt.has(source) && todoOwners.has(Number(c.ID))) doneAt.set(source, Date.now());
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        progress(`lost (${preset}): ${doneAt.size}/${n} reactivation deals with their to-do after ${round((Date.now() - t0) / 1000)} s`);
      }
      await sleep(100);
    }
    const entries = sandbox.callLog.entries;
    const http = entries.filter((e) => !e.viaBatch);
    const batches = http.filter((e) => e.method === 'batch').length;
    const restCalls = http.length - batches + entries.filter((e) => e.viaBatch).length;
    const times = [...doneAt.values()].map((t) => (t - t0) / 1000).sort((a, b) => a - b);
    const last = times[times.length - 1];
    // The return date counts from MOVED_TIME, which the portal prints in whole seconds.
    const due = (Math.floor(t0 / 1000) * 1000 + opts.periodSeconds * 1000 - t0) / 1000;
    const limits = preset === 'off' ? 'off' : `${sandbox.limits.drainPerSecond}/s, burst ${sandbox.limits.burst}`;
    const done = doneAt.size;
    const r: LostRunResult = {
      preset,
      limits,
      deals: n,
      periodSeconds: opts.periodSeconds,
      done,
      allDoneSeconds: done === n ? round(last, 2) : null,
      firstDealSeconds: times.length ? round(times[0], 2) : null,
      afterDueSeconds: done === n ? round(Math.max(0, last - due), 2) : null,
      reactivationsPerSecond: done === n ? round(n / Math.max(0.001, last - Math.min(due, times[0])), 2) : null,
      latencyP50Seconds: times.length ? round(percentile(times, 50), 2) : null,
      latencyP95Seconds: times.length ? round(percentile(times, 95), 2) : null,
      httpRequests: http.length,
      httpRequestsPerReactivation: round(http.length / Math.max(1, done), 1),
      restCallsPerReactivation: round(restCalls / Math.max(1, done), 1),
      refused503: http.filter((e) => e.httpStatus === 503).length,
      refused429: entries.filter((e) => e.httpStatus === 429).length,
      serviceWarnings: logLines.slice(warnBefore).length,
      restBoundPerSecond: preset === 'off' || done === 0 ? null : round(sandbox.limits.drainPerSecond / (http.length / done), 3),
      restBoundPerDay: preset === 'off' || done === 0 ? null : Math.round((sandbox.limits.drainPerSecond / (http.length / done)) * 86_400),
    };
    progress(
      `lost (${preset}): ${done}/${n} in ${r.allDoneSeconds ?? 'timeout'} s; ${r.reactivationsPerSecond ?? '-'} reactivations/s after the due time; ` +
        `${r.httpRequestsPerReactivation} HTTP requests per reactivation; 503s ${r.refused503}`,
    );
    results.push(r);

    // Stop the N workflows (they follow their deals) and let the portal's echo events settle.
    await pool(n, 16, async (i) => {
      await createStarter(temporal, TASK_QUEUE).cancelLost('deal', dealIds[i]!, { reason: 'bench run over', by: 'bench' }).catch(() => undefined);
    });
    await portal.waitForDeliveries();
    let size = -1;
    while (size !== sandbox.callLog.size) {
      size = sandbox.callLog.size;
      await sleep(2000);
    }
  }
  return results;
}
