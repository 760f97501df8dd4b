/**
 * When a reactivation fails (issue 12 §4), end to end: the service as `npm start` runs it (dev
 * server, worker, API, embedded sandbox) with rules whose reactivation target stage the portal
 * does not have. A lost deal's run fails at once at the wake-up (one crm.deal.add, no retries)
 * with a reason that names the stage and what to fix; `npm run runs -- --failed` and
 * `GET /api/runs?status=failed` list it; an error line is logged. Once the stage exists, the
 * documented recovery restarts it — `npm run runs -- --restart-failed`, or simply the next event
 * of the deal — and exactly one reactivation deal is made per loss.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBitrix24Client, createCrmApi } from '../../src/bitrix24';
import { lostWorkflowId } from '../../src/shared/names';
import { runTs } from '../support/processes';
import { api, E2E_RULES, eventually, notificationsTo, reactivationDeals, startStack, type Stack } from './stack';

const MISSING_STAGE = 'C1:UC_REVIVE';

describe('a reactivation that fails for good, end to end (dev server + sandbox)', function () {
  this.timeout(300_000);
  let stack: Stack;
  let rulesDir = '';

  before(async () => {
    // The e2e rules, with a lost-deal target stage the sandbox's «Реактивация» pipeline lacks.
    const rules = fs.readFileSync(E2E_RULES, 'utf8');
    const broken = rules.replace('target: { action: copy, categoryId: *reactivation, stageId: *reactivationNew }', `target: { action: copy, categoryId: *reactivation, stageId: ${MISSING_STAGE} }`);
    assert.notEqual(broken, rules, 'the e2e rules changed: update this test');
    rulesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-failures-'));
    const rulesFile = path.join(rulesDir, 'rules.yaml');
    fs.writeFileSync(rulesFile, broken);
    stack = await startStack({ rulesFile, env: { RECONCILE_EVERY: 'off', DORMANT_SCAN_EVERY: 'off' } });
  });
  after(async () => {
    await stack?.stop();
    if (rulesDir) fs.rmSync(rulesDir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(stack.logLines.slice(-40).join('\n'));
  });

  let n = 0;
  const lostDeal = () => {
    const companyId = stack.sandbox.portal.createCompany({ TITLE: `ООО «Сбой ${++n}»`, ASSIGNED_BY_ID: 3 });
    const dealId = stack.sandbox.portal.createDeal({ TITLE: `Плёнка, партия ${n}`, CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, COMPANY_ID: companyId, OPPORTUNITY: 1000 });
    stack.sandbox.portal.loseDeal(dealId, 'LOSE'); // «Дорого»: 3 seconds in the e2e rules
    return dealId;
  };
  const copiesOf = (dealId: number) => reactivationDeals(stack.sandbox, (d) => String(d.ORIGIN_ID ?? '').startsWith(`${lostWorkflowId('deal', dealId)}#`));
  const addsOf = (dealId: number) =>
    stack.sandbox.callLog.calls('crm.deal.add').filter((e) => (e.params.fields as { ORIGIN_ID?: string } | undefined)?.ORIGIN_ID === `${lostWorkflowId('deal', dealId)}#1`);
  const statusOf = async (dealId: number) => (await stack.temporal.workflow.getHandle(lostWorkflowId('deal', dealId)).describe()).status.name;
  const failed = (dealId: number) => eventually(`the run of deal ${dealId} to fail`, async () => (await statusOf(dealId)) === 'FAILED', 90_000);

  /** `npm run runs -- <args>` against the stack's Temporal, as an operator runs it. */
  async function runs(...args: string[]): Promise<{ code: number | NodeJS.Signals | null; out: string }> {
    const child = runTs('src/cli/runs.ts', { env: { TEMPORAL_ADDRESS: stack.dev.address, TEMPORAL_NAMESPACE: stack.dev.namespace, LOG_LEVEL: 'warn' }, args });
    const code = await child.exited();
    return { code, out: child.output() };
  }

  let first = 0;
  let second = 0;

  it('the run fails at once with a reason naming the stage and what to fix; an error line is logged', async () => {
    first = lostDeal();
    second = lostDeal();
    await failed(first);
    await failed(second);
    await new Promise((r) => setTimeout(r, 5000)); // a retried step would add more calls meanwhile
    assert.equal(addsOf(first).length, 1, 'one crm.deal.add, not retried');
    assert.equal(copiesOf(first).length, 0);
    const handle = stack.temporal.workflow.getHandle(lostWorkflowId('deal', first));
    const history = await handle.fetchHistory();
    const creates = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createReactivation');
    assert.equal(creates.length, 1);
    const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt).filter((a) => a !== undefined && a !== null);
    assert.ok(attempts.every((a) => a === 1), `every step ran once: attempts ${attempts.join(', ')}`);
    const description = await handle.describe();
    const failure = description.memo?.failure as { type: string; reason: string };
    assert.equal(failure.type, 'PortalMismatch');
    assert.match(failure.reason, new RegExp(`^lost deal ${first} \\(attempt 1\\): step createReactivation failed for good — the reactivation of deal ${first} cannot be created: the target stage ${MISSING_STAGE} .*is not a stage of pipeline 1 on the portal .*create the stage in Bitrix24 or fix the rules; after fixing the cause, restart it: npm run runs -- --restart-failed$`));
    const errors = stack.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'error' && l.workflowId === lostWorkflowId('deal', first));
    // One line from the step that failed (the workflow's own line comes too, when the SDK's workflow
    // logger reaches this process's log: it does once a stack of this process installed it).
    const stepErrors = errors.filter((l) => l.component === 'activities');
    assert.equal(stepErrors.length, 1, 'one error line for the one failed step');
    assert.match(String(stepErrors[0]!.reason), new RegExp(`target stage ${MISSING_STAGE}`));
    assert.ok(errors.every((l) => /target stage/.test(String(l.reason))), 'every error line names the cause');
  });

  it('is listed as failed, with its reason, by npm run runs -- --failed and GET /api/runs?status=failed', async () => {
    const listed = await eventually('the failed runs in visibility', async () => {
      const res = await api(stack, 'GET', '/api/runs?status=failed');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const rows = res.body.runs as { workflowId: string; element: string; scenario: string; reason: string; failureType: string }[];
      return rows.filter((r) => [first, second].map((id) => lostWorkflowId('deal', id)).includes(r.workflowId)).length === 2 ? rows : undefined;
    });
    const row = listed.find((r) => r.workflowId === lostWorkflowId('deal', first))!;
    assert.equal(row.scenario, 'lost-deal');
    assert.equal(row.element, `deal ${first}`);
    assert.equal(row.failureType, 'PortalMismatch');
    assert.match(row.reason, new RegExp(`target stage ${MISSING_STAGE}`));
    const cli = await runs('--failed');
    assert.equal(cli.code, 0, cli.out);
    assert.match(cli.out, new RegExp(`FAILED {2}lost-deal {2}deal ${first} {2}${lostWorkflowId('deal', first)} .*PortalMismatch\\n {2}lost deal ${first} \\(attempt 1\\): step createReactivation failed for good — .*${MISSING_STAGE}`));
    const json = await runs('--failed', '--json');
    assert.ok((JSON.parse(json.out) as { failed: { workflowId: string }[] }).failed.some((r) => r.workflowId === lostWorkflowId('deal', second)));
    assert.equal((await runs('--failed', '--limit', 'lots')).code, 2);
  });

  it('once the stage exists: the next event restarts one, --restart-failed the other; one reactivation deal each, and a second restart does nothing', async () => {
    // Fix the cause on the portal, as its admin would.
    const crm = createCrmApi(createBitrix24Client({ webhookUrl: stack.sandbox.webhookUrl, caCertPem: stack.sandbox.caCertPem }));
    await crm.addStatus({ entityId: 'DEAL_STAGE_1', statusId: MISSING_STAGE.slice(3), name: 'Возврат' });

    // The next event of the deal (here: a comment) restarts its failed run: a failed run handled nothing.
    stack.sandbox.portal.updateDeal(second, { COMMENTS: 'клиент перезвонил' });
    const secondCopy = await eventually('the reactivation deal of the deal with an event', () => copiesOf(second)[0], 90_000);
    assert.equal(secondCopy.STAGE_ID, MISSING_STAGE);
    await eventually('its run to be running again', async () => (await statusOf(second)) === 'RUNNING');

    const dry = await runs('--restart-failed', '--dry-run');
    assert.equal(dry.code, 0, dry.out);
    assert.match(dry.out, new RegExp(`would restart {2}${lostWorkflowId('deal', first)} {2}deal ${first}: `));
    assert.doesNotMatch(dry.out, new RegExp(`${lostWorkflowId('deal', second)}\\b`), 'the restarted one is no longer failed');
    assert.equal(await statusOf(first), 'FAILED', 'a dry run restarts nothing');

    const restarted = await runs('--restart-failed');
    assert.equal(restarted.code, 0, restarted.out);
    assert.match(restarted.out, new RegExp(`restarted {2}${lostWorkflowId('deal', first)} {2}deal ${first}: `));
    const [firstCopy] = await eventually('the reactivation deal of the restarted run', () => (copiesOf(first).length ? copiesOf(first) : undefined), 90_000);
    assert.equal(firstCopy!.STAGE_ID, MISSING_STAGE);
    assert.equal(firstCopy!.ORIGIN_ID, `${lostWorkflowId('deal', first)}#1`);

    const again = await runs('--restart-failed');
    assert.equal(again.code, 0, again.out);
    assert.doesNotMatch(again.out, /restarted {2}reactivation-deal/, again.out);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(copiesOf(first).length, 1, 'exactly one reactivation deal');
    assert.equal(copiesOf(second).length, 1, 'exactly one reactivation deal');
    // The restarted runs did not announce the loss a second time.
    for (const id of [first, second]) {
      const notices = notificationsTo(stack.sandbox, 3).filter((m) => /^Отказ по/.test(String(m.MESSAGE)) && String(m.MESSAGE).includes(`/deal/details/${id}/`));
      assert.equal(notices.length, 1, `loss notices of deal ${id}`);
    }
    await eventually('the failed list to be empty of them', async () => {
      const res = await api(stack, 'GET', '/api/runs?status=failed');
      return (res.body.runs as { workflowId: string }[]).every((r) => ![first, second].map((id) => lostWorkflowId('deal', id)).includes(r.workflowId));
    });
  });

  it('a step the portal keeps refusing with 5xx is retried, and listed as stuck meanwhile', async () => {
    stack.sandbox.faults.set({ errorRate: 1, methods: ['crm.deal.add'] });
    try {
      const dealId = lostDeal();
      const stuck = await eventually(
        'the run listed as stuck',
        async () => {
          const res = await api(stack, 'GET', '/api/runs?status=stuck&attempts=2');
          assert.equal(res.status, 200, JSON.stringify(res.body));
          return (res.body.runs as { workflowId: string; state: string; reason: string }[]).find((r) => r.workflowId === lostWorkflowId('deal', dealId));
        },
        90_000,
      );
      assert.equal(stuck.state, 'stuck');
      assert.match(stuck.reason, /^step createReactivation is on attempt \d+; last error: Bitrix24 crm\.deal\.add failed: INTERNAL_SERVER_ERROR/);
      const cli = await runs('--stuck', '--attempts', '2');
      assert.equal(cli.code, 0, cli.out);
      assert.match(cli.out, new RegExp(`STUCK {2}lost-deal {2}deal ${dealId} `));
      stack.sandbox.faults.reset();
      await eventually('the reactivation deal once the portal answers', () => copiesOf(dealId)[0], 90_000);
      assert.equal(await statusOf(dealId), 'RUNNING', 'it never failed');
    } finally {
      stack.sandbox.faults.reset();
    }
  });
});
