/**
 * The purchase path end to end (issue 6): the service as `npm start` runs it (real Temporal dev
 * server, worker, API, embedded Bitrix24 sandbox with its outbound events and its REST limits
 * on) and the e2e rules (periods of seconds). A deal won in the sandbox reaches the inbox, which
 * starts `client-company-<id>`; at the due time the reactivation deal appears in the
 * reactivation pipeline. Expiry reminders (licences) fire around the expiry date.
 *
 * It also measures what one client cycle and one lost-deal reactivation cost in REST calls,
 * from the sandbox's call log, and prints it (method → count).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { sharedRateLimiter } from '../../src/bitrix24/rate-limit';
import { DEMO, type CallLogEntry } from '@b24r/sandbox';
import { clientWorkflowId, crmEventsWorkflowId, expiryWorkflowId, lostWorkflowId } from '../../src/shared/names';
import { clientStatusQuery, type ClientResult } from '../../src/workflows/client.messages';
import { expiryStatusQuery, type ExpiryStatus } from '../../src/workflows/expiry.messages';
import { api, E2E_RULES, eventually, notificationsTo, reactivationDeals, startStack, todosOf, type Rec, type Stack } from './stack';

const DEAL = 2; // CRM owner type id of deals
const SHOES = 5; // «Ботинки рабочие утеплённые», section «Обувь»: 6 s in the e2e rules
const BOOTS = 6; // «Сапоги резиновые», same section
const LICENCE = 7; // «Лицензия 1С:Бухгалтерия (1 год)», section «Лицензии ПО» (expiry rule)
const PERIOD_MS = 6000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The e2e rules with a longer licence term: with `term: 6 seconds` the first reminder
 * (`before: 6 seconds → deal`) falls on the purchase moment itself, i.e. already in the past
 * when the workflow plans, so it would never be exercised. 20 s puts every reminder ahead, with
 * 14 s for the win to reach the planning step on a busy machine.
 */
function rulesWithLongerLicenceTerm(): { file: string; dir: string } {
  const text = fs.readFileSync(E2E_RULES, 'utf8');
  const changed = text.replace(/(expiresAt:\s*\{\s*kind:\s*term,\s*term:\s*)6 seconds/, '$120 seconds');
  assert.notEqual(changed, text, 'the e2e rules changed: the licence term could not be set');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-client-e2e-'));
  const file = path.join(dir, 'rules.yaml');
  fs.writeFileSync(file, changed);
  return { file, dir };
}

/** What a window of the call log cost: HTTP requests by method, and the commands inside batches. */
export function restCost(entries: CallLogEntry[]) {
  const byMethod: Record<string, number> = {};
  const inBatch: Record<string, number> = {};
  let refused = 0;
  for (const e of entries) {
    const into = e.viaBatch ? inBatch : byMethod;
    into[e.method] = (into[e.method] ?? 0) + 1;
    if (!e.viaBatch && e.httpStatus !== 200) refused++;
  }
  const httpRequests = entries.filter((e) => !e.viaBatch).length;
  const methodCalls = httpRequests - (byMethod.batch ?? 0) + Object.values(inBatch).reduce((a, b) => a + b, 0);
  return { httpRequests, methodCalls, refused, byMethod, inBatch };
}

export function printCost(title: string, cost: ReturnType<typeof restCost>): void {
  const sort = (m: Record<string, number>) => Object.entries(m).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const width = Math.max(10, ...Object.keys({ ...cost.byMethod, ...cost.inBatch }).map((k) => k.length));
  const lines = [
    `      ${title}: ${cost.httpRequests} HTTP requests, ${cost.methodCalls} REST method calls${cost.refused ? ` (${cost.refused} refused)` : ''}`,
    ...sort(cost.byMethod).map(([m, n]) => `        ${m.padEnd(width)} → ${n}`),
    ...(Object.keys(cost.inBatch).length ? ['        inside batch:', ...sort(cost.inBatch).map(([m, n]) => `          ${m.padEnd(width - 2)} → ${n}`)] : []),
  ];
  console.log(lines.join('\n'));
}

describe('client purchase cycle and expiry reminders end to end (dev server + sandbox)', function () {
  this.timeout(300_000);
  let stack: Stack;
  let rulesDir = '';

  before(async () => {
    const rules = rulesWithLongerLicenceTerm();
    rulesDir = rules.dir;
    // No Schedules: a reconciliation pass in the middle would add its own REST calls to the counts.
    stack = await startStack({ rulesFile: rules.file, env: { RECONCILE_EVERY: 'off', DORMANT_SCAN_EVERY: 'off' } });
  });
  after(async () => {
    await stack?.stop();
    if (rulesDir) fs.rmSync(rulesDir, { recursive: true, force: true });
  });
  /** Workflows a test started: cancelled after it, so they do not spend the next test's REST budget. */
  const started: string[] = [];
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(stack.logLines.slice(-60).join('\n'));
    for (const id of started.splice(0)) {
      const handle = stack.temporal.workflow.getHandle(id);
      try {
        if ((await handle.describe()).status.name !== 'RUNNING') continue;
        await handle.signal('cancel', { reason: 'test over', by: 'e2e' });
        await handle.result().catch(() => undefined);
      } catch {
        /* never started */
      }
    }
  });
  // The sandbox enforces the standard REST limit (2 requests/s, burst 50) and the service keeps
  // under it: each test starts with the burst free, so its periods of seconds are not queued.
  beforeEach(async () => {
    const limiter = sharedRateLimiter(new URL(stack.sandbox.baseUrl).origin, 'standard');
    await eventually('the REST bucket to drain', () => limiter.level() < 8, 60_000);
  });

  // ---- helpers ------------------------------------------------------------------------------

  let n = 0;
  const portal = () => stack.sandbox.portal;
  const freshCompany = (managerId: number) => portal().createCompany({ TITLE: `ООО «Покупатель ${++n}»`, ASSIGNED_BY_ID: managerId, COMPANY_TYPE: 'CUSTOMER' });
  /** An in-progress deal of `companyId` in pipeline 0 with product rows (catalogue prices). */
  const dealWith = (companyId: number, managerId: number, rows: Array<[productId: number, quantity: number]>, title = `Заказ ${n}`) => {
    const id = portal().createDeal({ TITLE: title, CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: managerId, COMPANY_ID: companyId });
    if (rows.length) portal().setDealProductRows(id, rows.map(([PRODUCT_ID, QUANTITY]) => ({ PRODUCT_ID, QUANTITY })));
    return id;
  };
  const clientDeals = (companyId: number) => reactivationDeals(stack.sandbox, (d) => String(d.ORIGIN_ID ?? '').startsWith(`${clientWorkflowId('company', companyId)}#`));
  const productRowsOf = (dealId: number) =>
    (portal().records('productRows') as Rec[])
      .filter((r) => r.OWNER_TYPE === 'D' && Number(r.OWNER_ID) === dealId)
      .map((r) => [Number(r.PRODUCT_ID), Number(r.QUANTITY), Number(r.PRICE)]);
  const clientStatus = (companyId: number) => stack.temporal.workflow.getHandle(clientWorkflowId('company', companyId)).query(clientStatusQuery);

  /** Every outbound event delivered and every inbox run for these deals finished. */
  async function settled(...dealIds: number[]): Promise<void> {
    await portal().waitForDeliveries();
    for (const id of dealIds) {
      await eventually(`the inbox of deal ${id} to finish`, async () => {
        try {
          const d = await stack.temporal.workflow.getHandle(crmEventsWorkflowId('deal', id)).describe();
          return d.status.name !== 'RUNNING';
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) return true;
          throw error;
        }
      });
    }
  }

  // ---- REST cost of one lost-deal reactivation (measured first: nothing else runs yet) ------

  it('REST cost of one lost-deal reactivation (lost event → reactivation deal with to-do and notices)', async () => {
    const companyId = freshCompany(4);
    const dealId = dealWith(companyId, 4, [[SHOES, 10]], 'Обувь — проверка стоимости');
    await settled(dealId);
    stack.sandbox.callLog.clear();
    portal().loseDeal(dealId, 'LOSE'); // «Дорого»: 3 s in the e2e rules
    started.push(lostWorkflowId('deal', dealId));
    const handle = stack.temporal.workflow.getHandle(lostWorkflowId('deal', dealId));
    await eventually('the reactivation to be followed', async () => {
      const s = await api(stack, 'GET', `/api/reactivations/deal/${dealId}`);
      return s.body?.status?.phase === 'following' ? true : undefined;
    }, 60_000);
    const core = restCost(stack.sandbox.callLog.entries);
    const copy = reactivationDeals(stack.sandbox, (d) => String(d.ORIGIN_ID ?? '').startsWith(`${lostWorkflowId('deal', dealId)}#`));
    assert.equal(copy.length, 1);
    assert.equal(todosOf(stack.sandbox, DEAL, Number(copy[0].ID)).length, 1);
    assert.ok(notificationsTo(stack.sandbox, 4).some((x) => /Реактивация, попытка 1/.test(String(x.MESSAGE))), 'the return notice');
    // The portal's own events about the new deal come back through the inbox: part of the cost.
    await settled(Number(copy[0].ID));
    const withEcho = restCost(stack.sandbox.callLog.entries);
    console.log('');
    printCost('REST cost of one lost-deal reactivation, lost event → reactivation deal + to-do + notices (at loss, before return, at return)', core);
    if (withEcho.httpRequests !== core.httpRequests) printCost('… plus the inbox reading the portal’s events about the new deal, and follow-up reads meanwhile', withEcho);
    // Stop following (one crm.deal.get per followUpEvery) so it does not add to the next count.
    // (Not by winning the copy: that is a purchase, which would start the client's cycle.)
    const cancel = await api(stack, 'POST', `/api/reactivations/deal/${dealId}/cancel`, { reason: 'measured', by: 'e2e' });
    assert.equal(cancel.status, 202);
    assert.equal((await handle.result()).outcome, 'cancelled');
    assert.ok(core.httpRequests > 0 && core.refused === 0);
  });

  // ---- the purchase cycle ---------------------------------------------------------------------

  let cycleCompany = 0;
  let cycleDeal = 0;
  let cycleCopy: Rec | undefined;

  it('a won deal starts client-company-<id>; at the due time exactly one reactivation deal appears (title, client, products, to-do)', async () => {
    const companyId = (cycleCompany = freshCompany(4));
    const dealId = (cycleDeal = dealWith(companyId, 4, [[SHOES, 10], [BOOTS, 4]], 'Рабочая обувь, первая партия'));
    await settled(dealId);
    stack.sandbox.callLog.clear();
    const wonAt = Date.now();
    portal().winDeal(dealId);

    const workflowId = clientWorkflowId('company', companyId);
    const waiting = await eventually('the client workflow to wait', async () => {
      const s = await clientStatus(companyId);
      return s.phase === 'waiting' ? s : undefined;
    });
    assert.equal(waiting.cycle, 1);
    assert.equal(waiting.lastPurchase.dealId, dealId);
    assert.deepEqual(waiting.lastPurchase.products, ['Ботинки рабочие утеплённые', 'Сапоги резиновые']);
    const due = Date.parse(waiting.nextTouch!.at);
    assert.ok(due - wonAt > PERIOD_MS - 2000 && due - wonAt < PERIOD_MS + 2000, `due ${due - wonAt} ms after the win`);
    assert.equal(clientDeals(companyId).length, 0, 'nothing before the due time');

    const copy = await eventually('the reactivation deal', () => clientDeals(companyId)[0], 30_000);
    const createdAfter = Date.now() - wonAt;
    assert.ok(Date.now() >= due - 1000, `created ${createdAfter} ms after the win, due at ${due - wonAt} ms`);
    assert.equal(copy.ORIGIN_ID, `${workflowId}#p${dealId}-1-cycle-1`);
    assert.equal(Number(copy.CATEGORY_ID), DEMO.reactivationCategoryId);
    assert.equal(copy.STAGE_ID, DEMO.reactivationStages.new);
    assert.equal(Number(copy.COMPANY_ID), companyId);
    assert.equal(Number(copy.ASSIGNED_BY_ID), 4, 'the manager of the purchase');
    assert.equal(copy.TITLE, `Повторная продажа: ООО «Покупатель ${n}» (Ботинки рабочие утеплённые, Сапоги резиновые)`);
    assert.match(String(copy.COMMENTS), new RegExp(`^Последняя покупка .*: Ботинки рабочие утеплённые, Сапоги резиновые\\. Сделка: .*/deal/details/${dealId}/`));
    const todos = await eventually('its to-do (made after the deal and its products)', () => {
      const t = todosOf(stack.sandbox, DEAL, Number(copy.ID));
      return t.length ? t : undefined;
    });
    assert.deepEqual(productRowsOf(Number(copy.ID)), productRowsOf(dealId));
    assert.equal(todos.length, 1);
    assert.match(String(todos[0].SUBJECT ?? todos[0].TITLE), /Пора повторной покупки: ООО «Покупатель/);
    assert.match(String(todos[0].DESCRIPTION), /Позвоните клиенту/);
    assert.match(String(todos[0].DESCRIPTION), /обычно следующая покупка через \d+ [а-яё]+\.\n/, 'the period in Russian words');
    assert.doesNotMatch(String(todos[0].DESCRIPTION), /repurchase|every/, 'no English ops words in a manager’s to-do');
    assert.equal(Number(todos[0].RESPONSIBLE_ID), 4);

    // The cycle is over when the next one is planned (continue-as-new, cycle 2).
    await eventually('cycle 2 to wait', async () => {
      const s = await clientStatus(companyId);
      return s.cycle === 2 && s.phase === 'waiting' ? s : undefined;
    });
    await settled(Number(copy.ID));
    const cost = restCost(stack.sandbox.callLog.entries);
    console.log('');
    printCost('REST cost of one client cycle, won deal → reactivation deal + products + to-do → next cycle planned (incl. the inbox reading the events of both deals)', cost);
    assert.equal(cost.refused, 0);
    assert.equal(clientDeals(companyId).length, 1, 'exactly one reactivation deal');
    cycleCopy = copy;
  });

  it('the cycle limit: the next due finds the open reactivation deal (a nudge, no new deal), then «Забытый клиент»', async () => {
    assert.ok(cycleCopy, 'needs the previous test');
    const companyId = cycleCompany;
    const handle = stack.temporal.workflow.getHandle(clientWorkflowId('company', companyId));
    const result = (await handle.result()) as ClientResult;
    assert.equal(result.outcome, 'forgotten');
    assert.deepEqual(
      result.history.map((h) => [h.cycle, h.result]),
      [
        [1, 'deal'],
        [2, 'nudge'],
      ],
    );
    assert.equal(clientDeals(companyId).length, 1, 'still exactly one reactivation deal');
    const parked = portal().get('deal', Number(cycleCopy!.ID))!;
    assert.equal(parked.STAGE_ID, DEMO.reactivationStages.forgotten);
    assert.equal(todosOf(stack.sandbox, DEAL, Number(cycleCopy!.ID)).length, 2, 'the cycle-2 to-do on the open deal');
    await eventually('the forgotten notice to the head', () =>
      notificationsTo(stack.sandbox, DEMO.headOfSalesId).some((x) => /Покупатель/.test(String(x.MESSAGE)) && /Забытый клиент/.test(String(x.MESSAGE))),
    );
    assert.equal(portal().get('deal', cycleDeal)!.STAGE_ID, 'WON', 'the purchase itself is untouched');
  });

  it('a client who opened a deal since the purchase gets a nudge on it (to-do + notice), not a new deal', async () => {
    const companyId = freshCompany(7);
    const bought = dealWith(companyId, 7, [[SHOES, 3]], 'Покупка');
    await settled(bought);
    started.push(clientWorkflowId('company', companyId));
    portal().winDeal(bought);
    // An open deal counts only when made since the purchase (an older one runs in parallel).
    const open = dealWith(companyId, 6, [[BOOTS, 2]], 'Открытая сделка клиента');
    const todo = await eventually('the to-do on the open deal', () => todosOf(stack.sandbox, DEAL, open)[0], 30_000);
    assert.match(String(todo.SUBJECT ?? todo.TITLE), /Пора повторной покупки/);
    assert.equal(Number(todo.RESPONSIBLE_ID), 6, 'the open deal’s responsible');
    await eventually('the notice about the open deal', () => notificationsTo(stack.sandbox, 6).some((x) => /открыта сделка «Открытая сделка клиента»/.test(String(x.MESSAGE))));
    const status = await eventually('the nudge in the history', async () => {
      const s = await clientStatus(companyId);
      return s.history.some((h) => h.result === 'nudge') ? s : undefined;
    });
    assert.deepEqual(status.history.find((h) => h.result === 'nudge')?.dealId, open);
    assert.equal(clientDeals(companyId).length, 0, 'no new deal');
  });

  it('a second purchase during the wait resets the clock: no deal for the first cycle, one for the new purchase', async () => {
    const companyId = freshCompany(3);
    const first = dealWith(companyId, 3, [[SHOES, 5]], 'Первая покупка');
    const second = dealWith(companyId, 3, [[BOOTS, 7]], 'Вторая покупка');
    await settled(first, second);
    started.push(clientWorkflowId('company', companyId));
    const firstAt = Date.now();
    portal().winDeal(first);
    await eventually('cycle 1 of the first purchase', async () => {
      const s = await clientStatus(companyId);
      return s.phase === 'waiting' && s.lastPurchase.dealId === first ? s : undefined;
    });
    await sleep(Math.max(0, firstAt + 2500 - Date.now()));
    const secondAt = Date.now();
    portal().winDeal(second);
    const restarted = await eventually('the clock reset to the second purchase', async () => {
      const s = await clientStatus(companyId);
      return s.phase === 'waiting' && s.lastPurchase.dealId === second ? s : undefined;
    });
    assert.equal(restarted.cycle, 1);
    assert.ok(Date.parse(restarted.nextTouch!.at) - secondAt > PERIOD_MS - 2000, 'due counts from the second purchase');
    // Past the first purchase's due time: nothing was made for it.
    await sleep(Math.max(0, firstAt + PERIOD_MS + 1500 - Date.now()));
    if (Date.now() < Date.parse(restarted.nextTouch!.at)) assert.equal(clientDeals(companyId).length, 0, 'no deal for the first cycle');
    const copy = await eventually('the deal for the second purchase', () => clientDeals(companyId)[0], 30_000);
    assert.equal(copy.ORIGIN_ID, `${clientWorkflowId('company', companyId)}#p${second}-1-cycle-1`);
    await eventually('its to-do (made after the deal and its products)', () => todosOf(stack.sandbox, DEAL, Number(copy.ID)).length === 1);
    assert.deepEqual(productRowsOf(Number(copy.ID)).map(([p, q]) => [p, q]), [[BOOTS, 7]]);
    assert.match(String(copy.COMMENTS), new RegExp(`/deal/details/${second}/`));
    await sleep(1000);
    assert.equal(clientDeals(companyId).length, 1);
  });

  it('the reactivation deal won is a purchase: the cycle restarts from it and its due makes a new deal', async () => {
    const companyId = freshCompany(4);
    const bought = dealWith(companyId, 4, [[SHOES, 2]], 'Покупка перед повторной');
    await settled(bought);
    started.push(clientWorkflowId('company', companyId));
    portal().winDeal(bought);
    const copy = await eventually('the first reactivation deal', () => clientDeals(companyId)[0], 30_000);
    await eventually('its to-do', () => todosOf(stack.sandbox, DEAL, Number(copy.ID)).length === 1);
    await eventually('cycle 2', async () => ((await clientStatus(companyId)).cycle === 2 ? true : undefined));
    portal().winDeal(Number(copy.ID)); // the client bought again, through the reactivation deal
    await eventually('the cycle restarted from the reactivation deal', async () => {
      const s = await clientStatus(companyId);
      return s.phase === 'waiting' && s.lastPurchase.dealId === Number(copy.ID) ? s : undefined;
    });
    const next = await eventually('a new deal for the new purchase', () => clientDeals(companyId).find((d) => Number(d.ID) !== Number(copy.ID)), 30_000);
    assert.equal(next.ORIGIN_ID, `${clientWorkflowId('company', companyId)}#p${copy.ID}-1-cycle-1`);
    assert.equal(next.STAGE_ID, DEMO.reactivationStages.new);
    await eventually('the new deal’s to-do', () => todosOf(stack.sandbox, DEAL, Number(next.ID)).length === 1);
    assert.equal(todosOf(stack.sandbox, DEAL, Number(copy.ID)).length, 1, 'nothing added to the won deal');
  });

  it('a portal without close-date sync: a deal won with its CLOSEDATE days ahead is planned from its won moment, and its repurchase deal comes after the period', async () => {
    const companyId = freshCompany(3);
    const dealId = dealWith(companyId, 3, [[SHOES, 4]], 'Покупка с плановой датой закрытия');
    await settled(dealId);
    started.push(clientWorkflowId('company', companyId));
    const planned = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const wonAt = Date.now();
    // Won with the planned close date kept, as a portal whose close-date sync is off keeps it
    // (set in the same update: valid on any portal).
    portal().updateDeal(dealId, { STAGE_ID: 'WON', CLOSEDATE: planned });
    const closeDate = Date.parse(String(portal().get('deal', dealId)!.CLOSEDATE));
    assert.ok(closeDate - wonAt > 8 * 86_400_000, 'CLOSEDATE stays days ahead');
    const waiting = await eventually('the client workflow to wait', async () => {
      const s = await clientStatus(companyId);
      return s.phase === 'waiting' && s.lastPurchase.dealId === dealId ? s : undefined;
    });
    const boughtAt = Date.parse(waiting.lastPurchase.at);
    assert.ok(Math.abs(boughtAt - wonAt) < 2000, `the purchase is the win (${boughtAt - wonAt} ms from it), not CLOSEDATE`);
    const due = Date.parse(waiting.nextTouch!.at);
    assert.ok(due - wonAt > PERIOD_MS - 2000 && due - wonAt < PERIOD_MS + 2000, `due ${due - wonAt} ms after the win (CLOSEDATE + period would be ${closeDate + PERIOD_MS - wonAt} ms)`);
    const copy = await eventually('the repurchase deal', () => clientDeals(companyId)[0], 30_000);
    assert.equal(copy.ORIGIN_ID, `${clientWorkflowId('company', companyId)}#p${dealId}-1-cycle-1`);
    assert.ok(Date.now() < closeDate, 'long before CLOSEDATE');
  });

  // ---- expiry ---------------------------------------------------------------------------------

  it('a licence sold (section «Лицензии ПО»): a renewal deal, a to-do and notices around the expiry date', async () => {
    const companyId = freshCompany(6);
    const sold = dealWith(companyId, 6, [[LICENCE, 5]], 'Лицензии 1С, 5 мест');
    await settled(sold);
    const notesBefore = notificationsTo(stack.sandbox, 6).length;
    started.push(expiryWorkflowId(sold), clientWorkflowId('company', companyId));
    portal().winDeal(sold);
    const handle = stack.temporal.workflow.getHandle(expiryWorkflowId(sold));
    const planned = await eventually('the expiry plan', async () => {
      const s = (await handle.query(expiryStatusQuery)) as ExpiryStatus;
      return s.phase === 'waiting' ? s : undefined;
    });
    assert.deepEqual(
      planned.reminders.map((r) => [r.key, r.action]),
      [
        ['before:PT6S', 'deal'],
        ['before:PT3S', 'todo'],
        ['before:PT2S', 'notify'],
        ['after:PT2S', 'notify'],
      ],
    );
    const expiresAt = Date.parse(planned.expiresAt!);
    const at = (key: string) => Date.parse(planned.reminders.find((r) => r.key === key)!.at);

    const renewal = await eventually('the renewal deal', () => reactivationDeals(stack.sandbox, (d) => d.ORIGIN_ID === `${expiryWorkflowId(sold)}#before:PT6S`)[0], 30_000);
    const renewalAt = Date.now();
    assert.ok(renewalAt >= at('before:PT6S') - 500 && renewalAt < expiresAt, 'the deal comes 6 s before the expiry');
    assert.equal(renewal.TITLE, `Продление: Лицензия 1С:Бухгалтерия (1 год) — ООО «Покупатель ${n}»`);
    assert.equal(Number(renewal.CATEGORY_ID), DEMO.reactivationCategoryId);
    assert.equal(Number(renewal.COMPANY_ID), companyId);
    assert.equal(Number(renewal.ASSIGNED_BY_ID), 6);
    // Its own to-do (the client's purchase cycle, due at the same time, may add a nudge: it is an open deal).
    const marker = `[${expiryWorkflowId(sold)}#before:PT6S]`;
    await eventually('the renewal deal’s to-do', () => todosOf(stack.sandbox, DEAL, Number(renewal.ID)).some((t) => String(t.DESCRIPTION).includes(marker)));
    assert.equal(todosOf(stack.sandbox, DEAL, Number(renewal.ID)).filter((t) => String(t.DESCRIPTION).includes(marker)).length, 1);

    const todo = await eventually('the to-do on the sold deal', () => todosOf(stack.sandbox, DEAL, sold)[0], 30_000);
    assert.ok(Date.now() >= at('before:PT3S') - 500, 'the to-do comes 3 s before');
    assert.match(String(todo.SUBJECT ?? todo.TITLE), /^Продление: ООО «Покупатель/);

    const result = (await handle.result()) as ExpiryStatus;
    assert.equal(result.phase, 'done');
    assert.ok(result.reminders.every((r) => r.done));
    assert.ok(Date.now() >= at('after:PT2S') - 500, 'the last notice comes 2 s after the expiry');
    const notices = notificationsTo(stack.sandbox, 6).slice(notesBefore).filter((x) => /истекает/.test(String(x.MESSAGE)));
    assert.equal(notices.length, 2, 'one notice before and one after the expiry');
    assert.equal(reactivationDeals(stack.sandbox, (d) => String(d.ORIGIN_ID ?? '').startsWith(`${expiryWorkflowId(sold)}#`)).length, 1);
  });
});
