/**
 * Backfill against the seeded demo portal (sandbox in process, limits off) and a Temporal dev
 * server (test/support harness):
 *  - a dry run reports counts per reason and rule that match the seed, only reads, and says
 *    what it cost; won deals count by their move into the won stage, not by CLOSEDATE (a planned
 *    date on portals without close-date sync);
 *  - a real run hands each element to its inbox once (the webhook's signal-with-start, source
 *    'backfill', spread with a start delay) and a second run hands off nothing new;
 *  - Ctrl-C (an abort) keeps a checkpoint and --resume hands off the rest, none twice;
 *  - an inbox that ran after the element's last change counts as handled; a later change makes
 *    the element due again;
 *  - the CLI: flags, exit codes, no secret in the output.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { CrmEventNotice, DispatchReport } from '../../src/activities/contracts';
import { runBackfill, type BackfillReport } from '../../src/backfill/backfill';
import { loadCheckpoint } from '../../src/backfill/checkpoint';
import { memoryReporter } from '../../src/backfill/progress';
import { createBitrix24Client, createCrmApi } from '../../src/bitrix24';
import { loadRulesText, type Rules } from '../../src/config/rules';
import { startSandbox, type ProductRowRec, type Rec, type SandboxHandle } from '@b24r/sandbox';
import { createWorker } from '../../src/worker';
import { runTs } from '../support/processes';
import { startDevServer, workflowBundle, type DevServer } from '../support/temporal';

/** Rules aligned with the sandbox's demo seed (packages/sandbox/src/seed.ts DEMO). */
const RULES_TEXT = `
version: 1
defaults:
  calendar: { timeZone: Europe/Moscow, workingDays: [mon, tue, wed, thu, fri, sat, sun], workingHours: { from: "00:00", to: "24:00" } }
  responsible: { strategy: original, fallback: { strategy: user, userId: 2 } }
  headOfSales: 2
lostDeals:
  maxReactivations: 2
  target: { action: copy, categoryId: 1, stageId: "C1:NEW" }
  forgotten: { categoryId: 1, stageId: "C1:UC_FORGOTTEN" }
  pipelines:
    - categoryId: 0
      name: Основная
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
        - { stageId: UC_PAYMENT, name: Не устроили условия оплаты, returnPeriod: 2 weeks }
        - stageId: UC_DELIVERY
          name: Не устроили условия доставки
          returnPeriod: { kind: byAmount, brackets: [{ below: 100000, period: 1 month }], otherwise: 3 months }
        - stageId: UC_NOSTOCK
          name: Нет нужного товара в наличии
          returnPeriod: { kind: bySection, cases: [{ sections: [1], period: 10 days }], otherwise: 1 month }
        - { stageId: UC_NOTARGET, name: Нецелевое обращение, reactivate: false }
  leads:
    target: { statusId: IN_PROCESS }
    statuses:
      - { statusId: JUNK, name: Некачественный лид, reactivate: false }
      - { statusId: UC_NOANSWER, name: Не дозвонились, returnPeriod: 1 week }
      - { statusId: UC_EXPENSIVE, name: Дорого (лид), returnPeriod: 1 month }
clients:
  wonIn: [0]
  periods:
    default: 6 weeks
    sections: [{ ids: [1, 4, 5], name: Мешки, period: 1 month }]
  target: { categoryId: 0, stageId: NEW }
expiry:
  wonIn: [0]
  target: { categoryId: 0, stageId: NEW }
  rules:
    - name: Лицензии
      sections: [3]
      expiresAt: { kind: term, term: 1 year, field: UF_CRM_LICENSE_END }
      reminders: [{ before: 1 month, action: todo }, { before: 1 week, action: notify }]
`;

const STAGE_REASON: Record<string, string> = {
  LOSE: 'Дорого',
  UC_PAYMENT: 'Не устроили условия оплаты',
  UC_DELIVERY: 'Не устроили условия доставки',
  UC_NOSTOCK: 'Нет нужного товара в наличии',
};
const LEAD_REASON: Record<string, string> = { UC_NOANSWER: 'Не дозвонились', UC_EXPENSIVE: 'Дорого (лид)' };
const DAY = 86_400_000;
const isRead = (method: string) => /\.(list|get|fields)$/.test(method) || method === 'batch';

/** What the seed holds, read from the portal's own state (REST shape), the way the rules see it. */
function expectedFromSeed(sb: SandboxHandle, sinceMs: number) {
  const rows = (kind: 'deal' | 'lead') =>
    ((sb.portal.records(kind === 'deal' ? 'deals' : 'leads') as Rec[]).map((r) => sb.portal.get(kind, Number(r.ID))!) as Record<string, string>[]);
  const byRule: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  const candidates: string[] = [];
  for (const d of rows('deal')) {
    if (d.STAGE_SEMANTIC_ID === 'F' && d.CATEGORY_ID === '0' && Date.parse(d.DATE_MODIFY!) >= sinceMs) {
      const reason = STAGE_REASON[d.STAGE_ID!];
      if (reason) {
        bump(byRule, `lost deal · pipeline 0 · «${reason}»`);
        candidates.push(`deal-${d.ID}`);
      } else bump(skipped, '«Нецелевое обращение» is never reactivated');
    }
  }
  const productRows = sb.portal.records('productRows') as ProductRowRec[];
  const products = sb.portal.records('products') as Rec[];
  for (const d of rows('deal')) {
    // Listed when changed since; bought since by its move into the won stage (here MOVED_TIME), whatever CLOSEDATE says.
    if (d.STAGE_SEMANTIC_ID === 'S' && d.CATEGORY_ID === '0' && Date.parse(d.DATE_MODIFY!) >= sinceMs) {
      if (Date.parse(d.MOVED_TIME!) < sinceMs) {
        bump(skipped, 'won before --since (purchase moment by stageHistory)');
        continue;
      }
      const hasClient = Number(d.COMPANY_ID) > 0 || Number(d.CONTACT_ID) > 0;
      const licence = productRows.some((r) => r.OWNER_ID === Number(d.ID) && products.find((p) => p.ID === r.PRODUCT_ID)?.SECTION_ID === 3);
      if (hasClient) bump(byRule, 'won deal · client cycle (companyOrContact)');
      if (licence) bump(byRule, 'won deal · expiry reminders');
      if (hasClient || licence) candidates.push(`deal-${d.ID}`);
    }
  }
  for (const l of rows('lead')) {
    if (l.STATUS_SEMANTIC_ID === 'F' && Date.parse(l.DATE_MODIFY!) >= sinceMs) {
      const reason = LEAD_REASON[l.STATUS_ID!];
      if (reason) {
        bump(byRule, `junk lead · «${reason}»`);
        candidates.push(`lead-${l.ID}`);
      } else bump(skipped, '«Некачественный лид» is never reactivated');
    }
  }
  return { byRule, skipped, candidates };
}

describe('backfill (src/backfill) against the demo portal', function () {
  this.timeout(300_000);
  let sb: SandboxHandle;
  let WON_TODAY = 0;
  let WON_LONG_AGO = 0;
  let rules: Rules;
  let dir: string;
  const since = new Date(Date.now() - 365 * DAY).toISOString().slice(0, 10);
  const deps = (extra: { temporal?: Client; taskQueue?: string } = {}) => {
    const b24 = createBitrix24Client({ webhookUrl: sb.webhookUrl, caCertPem: sb.caCertPem, preset: 'off' });
    return { b24, crm: createCrmApi(b24), rules, reporter: memoryReporter(), ...extra };
  };

  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
    // Two purchases CLOSEDATE misdates (set explicitly, as a portal without close-date sync keeps
    // the planned date): one won today with a close date planned before --since, and one won
    // 400 days ago with a close date after --since, edited today.
    const company = sb.portal.createCompany({ TITLE: 'ООО «Плановые даты»' });
    const plannedLongAgo = new Date(Date.now() - 400 * DAY).toISOString().slice(0, 10);
    WON_TODAY = sb.portal.createDeal({ TITLE: 'Выиграна сегодня', COMPANY_ID: company, CLOSEDATE: plannedLongAgo });
    sb.portal.updateDeal(WON_TODAY, { STAGE_ID: 'WON', CLOSEDATE: plannedLongAgo });
    sb.portal.advanceClock(-400 * DAY);
    WON_LONG_AGO = sb.portal.createDeal({ TITLE: 'Выиграна давно', COMPANY_ID: company });
    sb.portal.updateDeal(WON_LONG_AGO, { STAGE_ID: 'WON', CLOSEDATE: new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10) });
    sb.portal.advanceClock(400 * DAY);
    sb.portal.updateDeal(WON_LONG_AGO, { COMMENTS: 'edited today' });
    rules = loadRulesText(RULES_TEXT, 'backfill-rules.yaml');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-backfill-'));
  });
  after(async () => {
    await sb?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('dry run', () => {
    let report: BackfillReport;
    let lines: string[];
    let calls: ReturnType<SandboxHandle['callLog']['httpRequests']>;

    before(async () => {
      const d = deps();
      const mark = sb.callLog.size;
      report = await runBackfill(d, { since, dryRun: true });
      lines = d.reporter.lines;
      calls = sb.callLog.entries.slice(mark).filter((e) => !e.viaBatch);
    });

    it('reports counts per reason and rule, and what is skipped and why, matching the seed', () => {
      const expected = expectedFromSeed(sb, Date.parse(report.sinceAt));
      assert.deepEqual(report.byRule, expected.byRule);
      assert.deepEqual(report.skipped, expected.skipped);
      assert.equal(report.candidates, expected.candidates.length);
      assert.equal(report.handedOff, expected.candidates.length, 'a dry run counts what it would hand off');
      assert.deepEqual([...report.handedOffSample].sort(), [...expected.candidates].sort());
      assert.ok(report.candidates >= 8, `the seed has history to backfill (${report.candidates})`);
    });

    it('a purchase counts from its move into the won stage, not from CLOSEDATE', () => {
      assert.ok(report.handedOffSample.includes(`deal-${WON_TODAY}`), 'won today, close date planned before --since: handed on');
      assert.ok(!report.handedOffSample.includes(`deal-${WON_LONG_AGO}`), 'won 400 days ago, close date after --since: not');
      assert.equal(report.skipped['won before --since (purchase moment by stageHistory)'], 1);
    });

    it('only reads, and reports the REST requests it cost', () => {
      assert.deepEqual(calls.filter((c) => !isRead(c.method)).map((c) => c.method), []);
      assert.equal(report.restCalls, calls.length, 'the count it reports is what the portal saw');
      // Judging costs no request per element: pages, prefetch batches and product lists only.
      assert.ok(report.restCalls <= 12, `REST requests: ${report.restCalls} (${calls.map((c) => c.method).join(' ')})`);
    });

    it('lists the earliest wake-ups (at most 10, in order) and the cost of scheduling', () => {
      assert.ok(report.wakeUps.length > 0 && report.wakeUps.length <= 10);
      const times = report.wakeUps.map((w) => Date.parse(w.at));
      assert.deepEqual(times, [...times].sort((a, b) => a - b));
      assert.ok(report.wakeUps.some((w) => w.element === 'deal 113' && /product section 1 → 10 days/.test(w.what)), 'the by-section period saw the products');
      assert.equal(report.estimate.handOffs, report.handedOff);
      assert.ok(report.estimate.restRequests >= report.handedOff);
      assert.ok(report.spread.auto && report.spread.ms >= 60_000);
      const out = lines.join('\n');
      assert.match(out, /By reason \/ rule:/);
      assert.match(out, /Skipped, and why:/);
      assert.match(out, /First wake-ups \(earliest \d+, with the spread\):/);
      assert.match(out, /REST requests this run: \d+/);
      assert.match(out, /Scheduling cost: \d+ hand-offs/);
    });
  });

  describe('scheduling on a Temporal dev server', () => {
    let server: DevServer;
    let connection: Connection;
    let temporal: Client;
    const checkpointFile = () => path.join(dir, 'backfill-checkpoint.json');
    let expected: string[];

    before(async () => {
      server = await startDevServer({ ports: { uiPort: null } });
      connection = await Connection.connect({ address: server.address });
      temporal = new Client({ connection, namespace: server.namespace });
      expected = expectedFromSeed(sb, Date.parse(new Date(since).toISOString()) - 3 * 3_600_000).candidates.sort();
    });
    after(async () => {
      await connection?.close();
      await server?.stop();
    });

    async function inboxes(ids: string[]) {
      const out: { id: string; status: string; startTime: Date; executionTime?: Date }[] = [];
      for (const id of ids) {
        try {
          const d = await temporal.workflow.getHandle(`crm-events-${id}`).describe();
          out.push({ id, status: d.status.name, startTime: d.startTime, executionTime: d.executionTime });
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
      return out;
    }
    async function terminateAll(ids: string[]) {
      for (const s of await inboxes(ids)) if (s.status === 'RUNNING') await temporal.workflow.getHandle(`crm-events-${s.id}`).terminate('test reset');
    }

    it('hands each element to its inbox once, spread by start delays; a second run hands off nothing new', async () => {
      fs.rmSync(checkpointFile(), { force: true });
      const first = await runBackfill(deps({ temporal, taskQueue: 'backfill-test' }), { since, spread: { hours: 1 }, checkpointFile: checkpointFile() });
      assert.deepEqual([...first.handedOffSample].sort(), expected);
      assert.equal(first.handedOff, expected.length);
      assert.equal(first.alreadyHandled, 0);

      const states = await inboxes(expected);
      assert.equal(states.length, expected.length, 'one inbox per element');
      assert.ok(states.every((s) => s.status === 'RUNNING'), 'no worker polls this queue: they wait');
      // The spread: start delays grow with the hand-off order and stay within the hour.
      const delays = first.handedOffSample.map((id) => {
        const s = states.find((x) => x.id === id)!;
        return (s.executionTime ?? s.startTime).getTime() - s.startTime.getTime();
      });
      assert.ok(delays.every((d) => d >= 0 && d <= 3_600_000), delays.join(','));
      assert.ok(delays[delays.length - 1]! > delays[0]!, `delays spread: ${delays.join(',')}`);

      const checkpoint = loadCheckpoint(checkpointFile());
      assert.ok(checkpoint?.finishedAt, 'the checkpoint says finished');
      assert.equal(checkpoint.handedOff, expected.length);

      const second = await runBackfill(deps({ temporal, taskQueue: 'backfill-test' }), { since, spread: { hours: 1 }, checkpointFile: checkpointFile() });
      assert.equal(second.handedOff, 0);
      assert.equal(second.alreadyHandled, expected.length);
      assert.deepEqual(Object.keys(second.alreadyHandledWhy), ['its inbox is running or waiting for its start']);
    });

    it('stops on abort with a checkpoint; --resume hands off the rest, none twice', async () => {
      await terminateAll(expected);
      fs.rmSync(checkpointFile(), { force: true });
      const controller = new AbortController();
      const d = deps({ temporal, taskQueue: 'backfill-test' });
      const progress = d.reporter.progress.bind(d.reporter);
      d.reporter.progress = (p) => {
        progress(p);
        if (p.stream === 'lostDeals' && p.processed === 3) controller.abort();
      };
      const first = await runBackfill(d, { since, spread: { minutes: 30 }, checkpointFile: checkpointFile(), signal: controller.signal });
      assert.equal(first.interrupted, true);
      assert.equal(first.handedOff, 3);
      const saved = loadCheckpoint(checkpointFile())!;
      assert.equal(saved.finishedAt, undefined);
      assert.equal(saved.streams.lostDeals.scanned, 3);
      assert.equal(`deal-${saved.streams.lostDeals.lastId}`, first.handedOffSample[2]);
      assert.match(d.reporter.lines.join('\n'), /Continue with: npm run backfill -- --resume/);

      const resumed = await runBackfill(deps({ temporal, taskQueue: 'backfill-test' }), { resume: true, checkpointFile: checkpointFile() });
      assert.equal(resumed.resumed, true);
      assert.equal(resumed.interrupted, false);
      assert.equal(resumed.alreadyHandled, 0, 'the resumed run starts after the checkpoint');
      const all = [...first.handedOffSample, ...resumed.handedOffSample];
      assert.equal(new Set(all).size, all.length, 'none twice');
      assert.deepEqual(all.sort(), expected);
      assert.equal(resumed.spread.startAt, first.spread.startAt, 'the same spread schedule continues');
      assert.ok(loadCheckpoint(checkpointFile())?.finishedAt);

      await assert.rejects(runBackfill(deps({ temporal }), { resume: true, checkpointFile: path.join(dir, 'none.json') }), /no checkpoint/);
    });

    it('an inbox that ran after the last change counts as handled; a later change is handed off again', async () => {
      await terminateAll(expected);
      const taskQueue = 'backfill-worker-test';
      const seen: { id: string; notices: CrmEventNotice[] }[] = [];
      const nativeConnection = await NativeConnection.connect({ address: server.address });
      const worker = await createWorker({
        connection: nativeConnection,
        namespace: server.namespace,
        taskQueue,
        workflowBundle: await workflowBundle(),
        activities: {
          async dispatchCrmEvents({ entity, id, events }: { entity: 'deal' | 'lead'; id: number; events: CrmEventNotice[] }): Promise<DispatchReport> {
            seen.push({ id: `${entity}-${id}`, notices: events });
            return { entity, id, events: events.length, actions: [{ kind: 'none', why: 'test' }] };
          },
        },
      });
      const waitDone = async (ids: string[]) => {
        for (const id of ids) await temporal.workflow.getHandle(`crm-events-${id}`).result();
      };
      try {
        await worker.runUntil(async () => {
          fs.rmSync(checkpointFile(), { force: true });
          const first = await runBackfill(deps({ temporal, taskQueue }), { since, spread: {}, checkpointFile: checkpointFile() });
          assert.deepEqual([...first.handedOffSample].sort(), expected);
          await waitDone(expected);
          assert.deepEqual(seen.map((s) => s.id).sort(), expected, 'each inbox dispatched once');
          assert.ok(seen.every((s) => s.notices.length === 1 && s.notices[0]!.source === 'backfill' && s.notices[0]!.event === 'BACKFILL'));

          const second = await runBackfill(deps({ temporal, taskQueue }), { since, spread: {}, checkpointFile: checkpointFile() });
          assert.equal(second.handedOff, 0);
          assert.deepEqual(second.alreadyHandledWhy, { 'its inbox ran after its last change': expected.length });

          // The manager changes the loss reason of deal 111 a minute later (portal clock).
          sb.portal.advanceClock(60_000);
          sb.portal.moveDeal(111, 'LOSE');
          const third = await runBackfill(deps({ temporal, taskQueue }), { since, spread: {}, checkpointFile: checkpointFile() });
          assert.deepEqual(third.handedOffSample, ['deal-111']);
          await waitDone(['deal-111']);
        });
      } finally {
        await nativeConnection.close();
      }
    });

    it('npm run backfill: a dry run and a real run through the CLI; flags are checked', async () => {
      const rulesFile = path.join(dir, 'rules.yaml');
      fs.writeFileSync(rulesFile, RULES_TEXT);
      const caFile = path.join(dir, 'ca.pem');
      fs.writeFileSync(caFile, sb.caCertPem);
      const secret = new URL(sb.webhookUrl).pathname.split('/')[3]!;
      const env = { B24_WEBHOOK_URL: sb.webhookUrl, RULES_FILE: rulesFile, DATA_DIR: path.join(dir, 'data'), TEMPORAL_ADDRESS: server.address, LOG_LEVEL: 'info' };

      const dry = runTs('src/cli/backfill.ts', { env, args: ['--since', since, '--dry-run', '--ca-file', caFile] });
      assert.equal(await dry.exited(), 0, dry.output());
      assert.match(dry.output(), /Backfill \(dry run: nothing is scheduled\)/);
      assert.match(dry.output(), /By reason \/ rule:/);
      assert.ok(!dry.output().includes(secret), 'no webhook secret in the output');
      assert.ok(!fs.existsSync(path.join(dir, 'data', 'backfill-checkpoint.json')), 'a dry run keeps no checkpoint');

      const real = runTs('src/cli/backfill.ts', { env, args: ['--since', since, '--spread', '10m', '--ca-file', caFile] });
      assert.equal(await real.exited(), 0, real.output());
      assert.match(real.output(), /handed off: \d+; already handled: \d+/);
      assert.ok(fs.existsSync(path.join(dir, 'data', 'backfill-checkpoint.json')));
      assert.ok(!real.output().includes(secret));

      for (const [args, message] of [
        [['--dry-run'], /--since: required/],
        [['--since', since, '--spread', 'soon'], /--spread: expected a duration/],
        [['--since', 'yesterday'], /--since: expected a date YYYY-MM-DD/],
        [['--resume', '--dry-run'], /--resume: cannot be combined with --dry-run/],
        [['--since', since, '--sprd', '1h'], /unknown option --sprd/],
      ] as const) {
        const p = runTs('src/cli/backfill.ts', { env, args: [...args] });
        assert.equal(await p.exited(), 2, `${args.join(' ')}: ${p.output()}`);
        assert.match(p.output(), message);
      }
    });
  });
});
