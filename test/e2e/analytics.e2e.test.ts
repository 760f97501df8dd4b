/**
 * Analytics end to end: the service as `npm start` runs it, two deals lost in the sandbox and
 * reactivated, one reactivation won, one waiting for a manager's date; the JSON numbers, the
 * page, and the token. The rules are the e2e rules without client cycles and expiry (a won
 * reactivation would start a purchase cycle of seconds and add deals to the count).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { createBitrix24Client, createCrmApi } from '../../src/bitrix24';
import { lostWorkflowId } from '../../src/shared/names';
import { api, eventually, reactivationDeals, startStack, API_TOKEN, E2E_RULES, type Stack } from './stack';

describe('analytics end to end (dev server + sandbox)', function () {
  this.timeout(180_000);
  let stack: Stack;
  const rulesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-analytics-')), 'rules.yaml');

  before(async () => {
    const rules = parse(fs.readFileSync(E2E_RULES, 'utf8')) as Record<string, unknown>;
    delete rules.clients;
    delete rules.expiry;
    fs.writeFileSync(rulesFile, stringify(rules));
    stack = await startStack({ rulesFile, limits: 'off', env: { RECONCILE_EVERY: 'off', DORMANT_SCAN_EVERY: 'off' } });
    // The mark fields, as `npm run setup` creates them on a real portal.
    const crm = createCrmApi(createBitrix24Client({ webhookUrl: stack.sandbox.webhookUrl, caCertPem: stack.sandbox.caCertPem, preset: 'off' }));
    for (const [fieldName, userTypeId] of [['REACT_SOURCE', 'integer'], ['REACT_REASON', 'string'], ['REACT_ATTEMPT', 'integer'], ['REACT_DATE', 'datetime']]) {
      await crm.addDealUserField({ fieldName: fieldName!, userTypeId: userTypeId! });
    }
  });
  after(async () => {
    await stack?.stop();
    fs.rmSync(path.dirname(rulesFile), { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(stack.logLines.slice(-40).join('\n'));
  });

  let n = 0;
  const freshDeal = (managerId: number) => {
    const companyId = stack.sandbox.portal.createCompany({ TITLE: `ООО «Аналитика ${++n}»`, ASSIGNED_BY_ID: managerId });
    return stack.sandbox.portal.createDeal({ TITLE: `Мешки ${n}`, CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: managerId, COMPANY_ID: companyId, OPPORTUNITY: 50000 });
  };
  const copyOf = (sourceId: number) => reactivationDeals(stack.sandbox, (d) => String(d.ORIGIN_ID).startsWith(`${lostWorkflowId('deal', sourceId)}#`))[0];
  const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`head:${token}`).toString('base64')}` });

  it('counts reactivated, won and conversion by reason and manager, as JSON and as a page; the token is required', async () => {
    const expensive = freshDeal(3); // Алексей Петров
    const noStock = freshDeal(4); // Мария Иванова
    stack.sandbox.portal.loseDeal(expensive, 'LOSE'); // «Дорого»
    stack.sandbox.portal.loseDeal(noStock, 'UC_NOSTOCK'); // «Нет нужного товара в наличии»
    const won = await eventually('the first reactivation deal', () => copyOf(expensive));
    await eventually('the second reactivation deal', () => copyOf(noStock));
    stack.sandbox.portal.winDeal(Number(won.ID));
    assert.equal((await stack.temporal.workflow.getHandle(lostWorkflowId('deal', expensive)).result()).outcome, 'won');

    // A third loss, whose manager chose a date 10 days ahead (the portal's own event held back).
    for (const h of stack.sandbox.portal.summary().outgoingWebhooks) stack.sandbox.portal.removeOutgoingWebhook(h.id);
    const later = freshDeal(4);
    stack.sandbox.portal.loseDeal(later, 'UC_PAYMENT');
    const started = await api(stack, 'POST', '/api/reactivations', { id: later, returnAt: new Date(Date.now() + 10 * 86_400_000).toISOString() });
    assert.equal(started.status, 201, JSON.stringify(started.body));

    const report = await eventually('the waiting reactivation in visibility', async () => {
      const res = await api(stack, 'GET', '/api/analytics?fresh=1');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.upcoming.next30Days === 1 ? res.body : undefined;
    });
    assert.deepEqual(report.totals, { reactivated: 2, won: 1, lost: 0, inProgress: 1, wonAmount: 50000, conversion: { ofClosed: 1, ofAll: 0.5 } });
    const rows = (groups: { label: string; reactivated: number; won: number; conversion: { ofAll: number } }[]) => groups.map((g) => [g.label, g.reactivated, g.won, g.conversion.ofAll]);
    assert.deepEqual(rows(report.byReason), [['Дорого', 1, 1, 1], ['Нет нужного товара в наличии', 1, 0, 0]]);
    assert.deepEqual(rows(report.byManager), [['Алексей Петров', 1, 1, 1], ['Мария Иванова', 1, 0, 0]]);
    assert.deepEqual(rows(report.byPipeline), [['Реактивация', 2, 1, 0.5]]);
    assert.deepEqual(report.upcoming.byManager.map((r: { label: string; next7Days: number; next30Days: number }) => [r.label, r.next7Days, r.next30Days]), [['Мария Иванова', 0, 1]]);

    // Cached for a minute: the same snapshot without `fresh`.
    const again = await api(stack, 'GET', '/api/analytics');
    assert.equal(again.body.readAt, report.readAt);
    const bad = await api(stack, 'GET', '/api/analytics?from=yesterday');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.issues[0].path, 'from');

    const page = await fetch(`${stack.api}/analytics`, { headers: basic(API_TOKEN) });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    for (const text of ['Дорого', 'Нет нужного товара в наличии', 'Алексей Петров', 'Мария Иванова', '<svg', '50.0%', '100.0%']) assert.ok(html.includes(text), text);
    assert.doesNotMatch(html, /<script|https?:\/\//, 'self-contained: no script, nothing loaded from elsewhere');

    assert.equal((await fetch(`${stack.api}/api/analytics`)).status, 401);
    const denied = await fetch(`${stack.api}/analytics`, { headers: basic('wrong-token-0123456789') });
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.ok(stack.logLines.every((l) => !l.includes(API_TOKEN)), 'the token never reaches the logs');
  });
});
