/**
 * "The client came back" end to end (Temporal dev server + the service + the sandbox, the e2e
 * rules with periods of seconds): a company whose other deal was already open at the loss still
 * gets its reactivation, exactly once; a client with a deal opened after the loss gets none —
 * `openDeal: skip` (the default) or `todo` (a to-do on that deal) — and the lost deal's timeline
 * says why; a contact who bought again as a secondary contact of another deal came back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lostWorkflowId } from '../../src/shared/names';
import { E2E_RULES, eventually, notificationsTo, reactivationDeals, startStack, todosOf, type Rec, type Stack } from './stack';

/** The e2e rules, with openDeal: todo for «Не устроили условия доставки» and the notice on. */
function cameBackRules(): string {
  let text = fs.readFileSync(E2E_RULES, 'utf8');
  const edit = (from: string, to: string) => {
    assert.ok(text.includes(from), `the e2e rules changed: "${from}" not found`);
    text = text.replace(from, to);
  };
  edit('  maxReactivations: 2\n', '  maxReactivations: 2\n  openDeal: skip\n');
  edit('    onForgotten: { manager: true, head: true }\n  pipelines:', '    onForgotten: { manager: true, head: true }\n    onClientBack: { manager: true, head: false }\n  pipelines:');
  edit('          name: Не устроили условия доставки\n', '          name: Не устроили условия доставки\n          openDeal: todo\n');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-came-back-')), 'rules.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('the client came back, end to end (dev server + sandbox)', function () {
  this.timeout(240_000);
  let stack: Stack;
  let n = 0;

  before(async () => {
    stack = await startStack({ rulesFile: cameBackRules(), limits: 'off', env: { RECONCILE_EVERY: 'off', DORMANT_SCAN_EVERY: 'off' } });
  });
  after(async () => {
    await stack?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(stack.logLines.slice(-40).join('\n'));
  });

  const portal = () => stack.sandbox.portal;
  const company = (managerId = 3) => portal().createCompany({ TITLE: `ООО «Вернулся ${++n}»`, ASSIGNED_BY_ID: managerId });
  const copiesOf = (sourceId: number) => reactivationDeals(stack.sandbox, (d) => String(d.ORIGIN_ID ?? '').startsWith(`${lostWorkflowId('deal', sourceId)}#`));
  const commentsOn = (dealId: number) => (portal().records('comments') as Rec[]).filter((c) => c.ENTITY_TYPE === 'deal' && Number(c.ENTITY_ID) === dealId);
  const resultOf = (dealId: number) => stack.temporal.workflow.getHandle(lostWorkflowId('deal', dealId)).result() as Promise<{ outcome: string; why: string }>;
  /** The portal keeps seconds: a deal made "before the loss" is made a second earlier. */
  const aSecond = () => new Promise((r) => setTimeout(r, 1100));

  it('a company with an older parallel open deal loses a deal: it gets its reactivation deal, exactly once', async () => {
    const c = company(4);
    const parallel = portal().createDeal({ TITLE: 'Параллельная сделка', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 6, COMPANY_ID: c });
    await aSecond();
    const lost = portal().createDeal({ TITLE: 'Мешки, B2B', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 4, COMPANY_ID: c, OPPORTUNITY: 50000 });
    portal().loseDeal(lost, 'LOSE');
    const [copy] = await eventually('the reactivation deal', () => (copiesOf(lost).length ? copiesOf(lost) : undefined));
    await new Promise((r) => setTimeout(r, 3000)); // further deliveries and retries add nothing
    assert.equal(copiesOf(lost).length, 1);
    assert.equal(Number(copy!.COMPANY_ID), c);
    assert.equal(portal().get('deal', parallel)!.STAGE_ID, 'NEW', 'the parallel deal is left alone');
    assert.deepEqual(commentsOn(lost), []);
  });

  it('a deal opened after the loss, openDeal skip: no reactivation; the run says why and the lost deal\'s timeline too', async () => {
    const c = company(3);
    const lost = portal().createDeal({ TITLE: 'Мешки, сезон', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, COMPANY_ID: c, OPPORTUNITY: 50000 });
    portal().loseDeal(lost, 'LOSE');
    await aSecond();
    const newer = portal().createDeal({ TITLE: 'Новый заказ', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 6, COMPANY_ID: c });
    const result = await resultOf(lost);
    assert.equal(result.outcome, 'skipped');
    assert.match(result.why, new RegExp(`active deal ${newer}, opened after the loss; openDeal: skip`));
    assert.deepEqual(copiesOf(lost), []);
    const [comment] = commentsOn(lost);
    assert.match(String(comment?.COMMENT), /^Реактивация не создана: у клиента ООО «Вернулся \d+» после отказа .*«Дорого».* открыта сделка «Новый заказ»/);
    await eventually('the notice to the manager', () => notificationsTo(stack.sandbox, 3).some((x) => /вернулся после отказа «Дорого»/.test(String(x.MESSAGE))));
    assert.deepEqual(todosOf(stack.sandbox, 2, newer), []);
  });

  it('a deal opened after the loss, openDeal todo: a to-do on that deal for its manager, no reactivation', async () => {
    const c = company(4);
    const lost = portal().createDeal({ TITLE: 'Мешки, доставка', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 4, COMPANY_ID: c, OPPORTUNITY: 50000 });
    portal().loseDeal(lost, 'UC_DELIVERY');
    await aSecond();
    const newer = portal().createDeal({ TITLE: 'Заказ с самовывозом', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 7, COMPANY_ID: c });
    const result = await resultOf(lost);
    assert.equal(result.outcome, 'skipped');
    assert.match(result.why, new RegExp(`openDeal: todo on deal ${newer}`));
    const todos = todosOf(stack.sandbox, 2, newer);
    assert.equal(todos.length, 1);
    assert.equal(Number(todos[0]!.RESPONSIBLE_ID), 7);
    assert.match(String(todos[0]!.DESCRIPTION), /Не устроили условия доставки/);
    assert.equal(commentsOn(lost).length, 1);
    assert.deepEqual(copiesOf(lost), []);
  });

  it('a contact client who bought again as the secondary contact of another deal came back: no reactivation', async () => {
    const contact = portal().createContact({ NAME: 'Иван', LAST_NAME: 'Вторых' });
    const colleague = portal().createContact({ NAME: 'Пётр', LAST_NAME: 'Первых' });
    const lost = portal().createDeal({ TITLE: 'Мешки частнику', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, CONTACT_IDS: [contact], OPPORTUNITY: 50000 });
    portal().loseDeal(lost, 'LOSE');
    await aSecond();
    const back = portal().createDeal({ TITLE: 'Заказ через коллегу', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 4, CONTACT_IDS: [colleague, contact] });
    portal().winDeal(back);
    const result = await resultOf(lost);
    assert.equal(result.outcome, 'skipped', result.why);
    assert.match(result.why, new RegExp(`bought since the loss \\(deal ${back} won\\)`));
    assert.match(String(commentsOn(lost)[0]?.COMMENT), /клиент Иван Вторых вернулся после отказа .* — выиграна сделка «Заказ через коллегу»/);
    assert.deepEqual(copiesOf(lost), []);
  });
});
