/**
 * Lost-deal reactivation end to end: the service as `npm start` runs it (real Temporal dev
 * server, worker, API, embedded Bitrix24 sandbox with its outbound events) and the e2e rules
 * (periods of seconds). Every assertion reads the sandbox's state or the Temporal server.
 */
import assert from 'node:assert/strict';
import { DEMO } from '@b24r/sandbox';
import { lostWorkflowId } from '../../src/shared/names';
import { api, eventually, notificationsTo, reactivationDeals, startStack, todosOf, APP_TOKEN, type Rec, type Stack } from './stack';


describe('lost-deal reactivation end to end (dev server + sandbox)', function () {
  this.timeout(240_000);
  let stack: Stack;
  let firstDeal = 0;

  before(async () => {
    // No Schedules: a reconciliation pass mid-suite would race the manager-API test's own start.
    stack = await startStack({ env: { RECONCILE_EVERY: 'off', DORMANT_SCAN_EVERY: 'off' } });
  });
  after(async () => {
    await stack?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(stack.logLines.slice(-40).join('\n'));
  });

  /** A new company with one open deal in pipeline 0: no other open deal to hold the reactivation back. */
  let n = 0;
  const freshDeal = (managerId = 3, fields: Record<string, unknown> = {}) => {
    const companyId = stack.sandbox.portal.createCompany({ TITLE: `ООО «Клиент ${++n}»`, ASSIGNED_BY_ID: managerId });
    return stack.sandbox.portal.createDeal({ TITLE: `Мешки, партия ${n}`, CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: managerId, COMPANY_ID: companyId, OPPORTUNITY: 50000, ...fields });
  };
  const copiesOf = (sourceId: number) => reactivationDeals(stack.sandbox, (d) => String(d.ORIGIN_ID ?? '').startsWith(`${lostWorkflowId('deal', sourceId)}#`));

  it('a deal lost in the sandbox gets exactly one reactivation deal, in the right pipeline, stage and hands, with its to-do and notices', async () => {
    const dealId = freshDeal(4);
    firstDeal = dealId;
    const original = stack.sandbox.portal.get('deal', dealId)!;
    stack.sandbox.portal.loseDeal(dealId, 'LOSE'); // «Дорого»: 3 seconds in the e2e rules
    const [copy] = await eventually('the reactivation deal', () => (copiesOf(dealId).length ? copiesOf(dealId) : undefined));
    await new Promise((r) => setTimeout(r, 3000)); // more deliveries and retries must not add a second one
    assert.equal(copiesOf(dealId).length, 1);
    assert.equal(Number(copy.CATEGORY_ID), DEMO.reactivationCategoryId);
    assert.equal(copy.STAGE_ID, DEMO.reactivationStages.new);
    assert.equal(Number(copy.ASSIGNED_BY_ID), Number(original.ASSIGNED_BY_ID));
    assert.equal(Number(copy.COMPANY_ID), Number(original.COMPANY_ID));
    assert.match(String(copy.TITLE), /^Реактивация: .* \(попытка 1\)$/);
    assert.match(String(copy.COMMENTS), new RegExp(`^Реактивация сделки .*/deal/details/${dealId}/ \\(причина отказа: .+, попытка 1\\)`));
    // The to-do is a REST call after the deal's: waited for, not assumed done by now.
    const todos = await eventually('its to-do', () => {
      const found = todosOf(stack.sandbox, 2, Number(copy.ID));
      return found.length ? found : undefined;
    });
    assert.equal(todos.length, 1);
    assert.match(String(todos[0].DESCRIPTION), /Позвоните клиенту/);
    assert.match(String(todos[0].SUBJECT ?? todos[0].TITLE), /ООО «Клиент \d+»/, 'the client by name, as managers know it');
    const manager = Number(original.ASSIGNED_BY_ID);
    await eventually('the return notice', () => notificationsTo(stack.sandbox, manager).some((n) => /Реактивация, попытка 1/.test(String(n.MESSAGE))));
    assert.ok(notificationsTo(stack.sandbox, manager).some((n) => /Отказ по/.test(String(n.MESSAGE))), 'notice at the loss');
    // The notice is in the portal as soon as its REST call is; the workflow moves on to
    // "following" only once that activity's completion reached it: poll, do not race it.
    const status = await eventually('the workflow to follow its reactivation', async () => {
      const s = await api(stack, 'GET', `/api/reactivations/deal/${dealId}`);
      assert.equal(s.status, 200, JSON.stringify(s.body));
      return s.body.status?.phase === 'following' ? s : undefined;
    });
    assert.equal(status.body.status.reactivationId, Number(copy.ID));
  });

  it('the reactivation deal won → the workflow is done', async () => {
    const dealId = firstDeal;
    const [copy] = copiesOf(dealId);
    stack.sandbox.portal.winDeal(Number(copy.ID));
    const result = await stack.temporal.workflow.getHandle(lostWorkflowId('deal', dealId)).result();
    assert.equal(result.outcome, 'won');
  });

  it('lost again twice → the client ends in «Забытый клиент» and the head of sales is told', async () => {
    const dealId = freshDeal(6);
    stack.sandbox.portal.loseDeal(dealId, 'LOSE');
    const first = await eventually('attempt 1', () => copiesOf(dealId)[0]);
    stack.sandbox.portal.moveDeal(Number(first.ID), DEMO.reactivationStages.lost);
    const second = await eventually('attempt 2', () => copiesOf(dealId).find((d) => /#2$/.test(String(d.ORIGIN_ID))));
    assert.match(String(second.TITLE), /попытка 2/);
    assert.match(String(second.COMMENTS), new RegExp(`/deal/details/${dealId}/ .*попытка 2\\)\\. Последний отказ: .*/deal/details/${first.ID}/`), 'links to the original and the last loss');
    stack.sandbox.portal.moveDeal(Number(second.ID), DEMO.reactivationStages.lost);
    const result = await stack.temporal.workflow.getHandle(lostWorkflowId('deal', dealId)).result();
    assert.equal(result.outcome, 'forgotten');
    assert.equal(stack.sandbox.portal.get('deal', Number(second.ID))!.STAGE_ID, DEMO.reactivationStages.forgotten);
    assert.equal(copiesOf(dealId).length, 2);
    await eventually('the forgotten notice to the head', () => notificationsTo(stack.sandbox, DEMO.headOfSalesId).some((n) => /Забытый клиент/.test(String(n.MESSAGE))));
  });

  it('a fired manager’s lost deal goes to the fallback (the head of sales)', async () => {
    const dealId = freshDeal(DEMO.firedManagerId);
    stack.sandbox.portal.loseDeal(dealId, 'LOSE');
    const copy = await eventually('the reactivation deal', () => copiesOf(dealId)[0]);
    assert.equal(Number(copy.ASSIGNED_BY_ID), DEMO.headOfSalesId);
  });

  it('a non-reactivatable reason («Нецелевое обращение») starts nothing', async () => {
    const dealId = freshDeal(7);
    stack.sandbox.portal.loseDeal(dealId, 'UC_NOTARGET');
    const report = await eventually('the inbox report', async () => {
      const handle = stack.temporal.workflow.getHandle(`crm-events-deal-${dealId}`);
      const reports = (await handle.result()) as { actions: { kind: string; why: string }[] }[];
      return reports.find((r) => r.actions.some((a) => /never reactivated/.test(a.why)));
    });
    assert.equal(report.actions[0].kind, 'none');
    await assert.rejects(stack.temporal.workflow.getHandle(lostWorkflowId('deal', dealId)).describe(), /not found/i);
    assert.equal(copiesOf(dealId).length, 0);
  });

  it('the manager API: a chosen date, postpone, status, cancel; bad input gets a clear 4xx', async () => {
    const dealId = freshDeal(4);
    // The manager chooses the return date at the moment of loss, through the API (the portal's
    // own event is held back here so that the API starts the workflow).
    for (const h of stack.sandbox.portal.summary().outgoingWebhooks) stack.sandbox.portal.removeOutgoingWebhook(h.id);
    stack.sandbox.portal.loseDeal(dealId, 'UC_PAYMENT');
    const id = lostWorkflowId('deal', dealId);
    const chosen = new Date(Date.now() + 1800_000).toISOString();
    const started = await api(stack, 'POST', '/api/reactivations', { entity: 'deal', id: dealId, returnAt: chosen });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.workflowId, id);
    const again = await api(stack, 'POST', '/api/reactivations', { entity: 'deal', id: dealId });
    assert.equal(again.status, 409);
    const first = await eventually('the manager date in force', async () => {
      const s = await api(stack, 'GET', `/api/reactivations/deal/${dealId}`);
      return s.body.status?.phase === 'waiting' ? s.body.status : undefined;
    });
    assert.equal(first.returnAt, chosen);
    assert.equal(first.returnBasis, 'manager');
    const unauthorized = await fetch(`${stack.api}/api/reactivations/deal/${dealId}`);
    assert.equal(unauthorized.status, 401);
    const bad = await api(stack, 'PUT', `/api/reactivations/deal/${dealId}/return-date`, { returnAt: 'tomorrow' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.issues[0].path, 'returnAt');
    const wanted = new Date(Date.now() + 3600_000).toISOString();
    const set = await api(stack, 'PUT', `/api/reactivations/deal/${dealId}/return-date`, { returnAt: wanted });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.returnAt, wanted);
    const past = await api(stack, 'PUT', `/api/reactivations/deal/${dealId}/return-date`, { returnAt: new Date(Date.now() - 60_000).toISOString() });
    assert.equal(past.status, 422);
    assert.match(past.body.message, /future/);
    const postponed = await api(stack, 'POST', `/api/reactivations/deal/${dealId}/postpone`, { days: 2 });
    assert.equal(postponed.status, 200, JSON.stringify(postponed.body));
    assert.equal(Date.parse(postponed.body.returnAt) - Date.parse(wanted), 2 * 86400_000);
    const status = await api(stack, 'GET', `/api/reactivations/deal/${dealId}`);
    assert.equal(status.body.status.phase, 'waiting');
    assert.equal(status.body.status.returnBasis, 'manager');
    const cancel = await api(stack, 'POST', `/api/reactivations/deal/${dealId}/cancel`, { reason: 'клиент закрылся', by: 'manager 4' });
    assert.equal(cancel.status, 202);
    const result = await stack.temporal.workflow.getHandle(id).result();
    assert.equal(result.outcome, 'cancelled');
    assert.equal(copiesOf(dealId).length, 0);
    const missing = await api(stack, 'GET', `/api/reactivations/deal/999999`);
    assert.equal(missing.status, 404);
  });

  it('repeated deliveries of one event make one workflow; a forged token is rejected and never acted on', async () => {
    const dealId = freshDeal(3);
    // Lose it without the portal's own delivery reaching us: post the event ourselves, 3 times.
    const hooks = stack.sandbox.portal.summary().outgoingWebhooks;
    for (const h of hooks) stack.sandbox.portal.removeOutgoingWebhook(h.id);
    stack.sandbox.portal.loseDeal(dealId, 'LOSE');
    const form = (token: string) =>
      new URLSearchParams({ event: 'ONCRMDEALUPDATE', 'data[FIELDS][ID]': String(dealId), ts: String(Math.floor(Date.now() / 1000)), 'auth[application_token]': token, 'auth[domain]': 'sandbox' });
    const forged = await fetch(`${stack.api}/b24/events`, { method: 'POST', body: form('forged-token-0000000000') });
    assert.equal(forged.status, 401);
    const answers = await Promise.all([1, 2, 3].map(() => fetch(`${stack.api}/b24/events`, { method: 'POST', body: form(APP_TOKEN) })));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    const copy = await eventually('the reactivation deal', () => copiesOf(dealId)[0]);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(copiesOf(dealId).length, 1, String(copy.ID));
    // Visibility is eventually consistent: wait for the run to be listed, then count the runs.
    const runs = await eventually('the lost-deal run in visibility', async () => {
      const ids: string[] = [];
      for await (const w of stack.temporal.workflow.list({ query: `WorkflowId = '${lostWorkflowId('deal', dealId)}'` })) ids.push(w.runId);
      return ids.length ? ids : undefined;
    });
    assert.equal(runs.length, 1, 'one lost-deal workflow run (continue-as-new aside)');
    const secretFree = stack.logLines.every((l) => !l.includes(APP_TOKEN) && !l.includes(stack.sandbox.webhookUrl.split('/rest/')[1]));
    assert.ok(secretFree, 'neither the application token nor the webhook secret reached the logs');
  });
});

export type { Rec };
