/**
 * "The client came back" against the sandbox (activities in process, no Temporal): a deal
 * created or won after the loss — not a parallel deal that was already open — decides; a newer
 * open deal goes by the rule's openDeal (copy / todo / skip) and every skip leaves a comment on
 * the lost deal. A contact's deals are found by any binding (crm.item.list), not only as the
 * primary contact. `action: move` goes through crm.item.update and is checked.
 */
import assert from 'node:assert/strict';
import { createClientActivities } from '../../src/activities/client';
import { createLostDealActivities } from '../../src/activities/lost-deal';
import { createSdkTransport, dealSelectWith, DEAL_SELECT, type Transport } from '../../src/bitrix24';
import { loadRulesText } from '../../src/config/rules';
import { startSandbox, type SandboxHandle } from '@b24r/sandbox';
import { activityDeps, ALWAYS_OPEN } from './support';

const rules = loadRulesText(`
${ALWAYS_OPEN}
lostDeals:
  target: { categoryId: 1, stageId: "C1:NEW" }
  notifications: { beforeReturn: { manager: false }, onClientBack: { manager: true } }
  pipelines:
    - categoryId: 0
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
        - { stageId: UC_PAYMENT, name: Оплата, returnPeriod: 1 month, openDeal: todo }
        - { stageId: UC_DELIVERY, name: Доставка, returnPeriod: 1 month, openDeal: copy }
        - { stageId: UC_NOSTOCK, name: Нет товара, returnPeriod: 1 month, target: { action: move, categoryId: 1, stageId: "C1:PREPARATION" } }
clients:
  enabled: true
  wonIn: [0]
  periods: { default: 6 weeks }
  target: { categoryId: 0, stageId: NEW }
`);

type Rec = Record<string, unknown>;

describe('activities: the client came back (a deal created or won after the loss)', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;
  let n = 0;

  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
  });
  after(async () => {
    await sb?.close();
  });

  const company = () => sb.portal.createCompany({ TITLE: `ООО «Вернулся ${++n}»` });
  const second = () => sb.portal.advanceClock(2_000);
  const commentsOn = (dealId: number) => (sb.portal.records('comments') as Rec[]).filter((c) => c.ENTITY_TYPE === 'deal' && Number(c.ENTITY_ID) === dealId);
  const todosOn = (dealId: number) => (sb.portal.records('activities') as Rec[]).filter((a) => Number(a.OWNER_TYPE_ID) === 2 && Number(a.OWNER_ID) === dealId);
  const noticesTo = (userId: number) => (sb.portal.records('notifications') as Rec[]).filter((x) => Number(x.USER_ID ?? x.TO_USER_ID) === userId);
  const prepare = (lost: number) => createLostDealActivities(activityDeps(sb, () => rules)).prepareReactivation({ entity: 'deal', id: lost, lostElementId: lost, attempt: 1, workflowId: `reactivation-deal-${lost}` });

  it('an older parallel open deal of the company does not hold the reactivation back', async () => {
    const c = company();
    sb.portal.createDeal({ TITLE: 'Параллельная сделка', COMPANY_ID: c, ASSIGNED_BY_ID: 4 });
    second();
    const lost = sb.portal.createDeal({ TITLE: 'Мешки', COMPANY_ID: c, ASSIGNED_BY_ID: 3 });
    sb.portal.loseDeal(lost, 'LOSE');
    const prepared = await prepare(lost);
    assert.equal(prepared.proceed, true, JSON.stringify(prepared));
    assert.deepEqual(commentsOn(lost), []);
  });

  it('a newer open deal, openDeal skip (the default): no reactivation, one comment on the lost deal and the notice, however often asked', async () => {
    const c = company();
    const lost = sb.portal.createDeal({ TITLE: 'Мешки', COMPANY_ID: c, ASSIGNED_BY_ID: 3 });
    sb.portal.loseDeal(lost, 'LOSE');
    second();
    const newer = sb.portal.createDeal({ TITLE: 'Новый заказ', COMPANY_ID: c, ASSIGNED_BY_ID: 4 });
    const before = noticesTo(3).length;
    for (let i = 0; i < 2; i++) {
      const prepared = await prepare(lost);
      assert.equal(prepared.proceed, false);
      assert.match((prepared as { why: string }).why, new RegExp(`active deal ${newer}, opened after the loss; openDeal: skip`));
    }
    const comments = commentsOn(lost);
    assert.equal(comments.length, 1, 'one comment per attempt');
    assert.match(String(comments[0]!.COMMENT), /^Реактивация не создана: у клиента ООО «Вернулся \d+» после отказа .* открыта сделка «Новый заказ»/);
    assert.match(String(comments[0]!.COMMENT), new RegExp(`/deal/details/${newer}/`));
    assert.equal(noticesTo(3).length - before, 1, 'the lost deal\'s manager is told (onClientBack.manager), once');
    assert.deepEqual(todosOn(newer), []);
  });

  it('a newer open deal, openDeal todo: a to-do for its manager on that deal (once) and the comment on the lost deal', async () => {
    const c = company();
    const lost = sb.portal.createDeal({ TITLE: 'Мешки', COMPANY_ID: c, ASSIGNED_BY_ID: 3 });
    sb.portal.loseDeal(lost, 'UC_PAYMENT');
    second();
    const newer = sb.portal.createDeal({ TITLE: 'Новый заказ', COMPANY_ID: c, ASSIGNED_BY_ID: 4 });
    for (let i = 0; i < 2; i++) assert.equal((await prepare(lost)).proceed, false);
    const todos = todosOn(newer);
    assert.equal(todos.length, 1);
    assert.equal(Number(todos[0]!.RESPONSIBLE_ID), 4);
    assert.match(String(todos[0]!.SUBJECT), /вернулся после отказа/);
    assert.match(String(todos[0]!.DESCRIPTION), /причина: «Оплата»/);
    assert.equal(commentsOn(lost).length, 1);
  });

  it('a newer open deal, openDeal copy: the reactivation is made anyway', async () => {
    const c = company();
    const lost = sb.portal.createDeal({ TITLE: 'Мешки', COMPANY_ID: c, ASSIGNED_BY_ID: 3 });
    sb.portal.loseDeal(lost, 'UC_DELIVERY');
    second();
    sb.portal.createDeal({ TITLE: 'Новый заказ', COMPANY_ID: c, ASSIGNED_BY_ID: 4 });
    assert.equal((await prepare(lost)).proceed, true);
  });

  it('an older deal won after the loss: the client came back — never reactivated, the comment says it was won', async () => {
    const c = company();
    const parallel = sb.portal.createDeal({ TITLE: 'Старая сделка', COMPANY_ID: c, ASSIGNED_BY_ID: 4 });
    second();
    const lost = sb.portal.createDeal({ TITLE: 'Мешки', COMPANY_ID: c, ASSIGNED_BY_ID: 3 });
    sb.portal.loseDeal(lost, 'UC_DELIVERY');
    second();
    sb.portal.winDeal(parallel);
    const prepared = await prepare(lost);
    assert.equal(prepared.proceed, false);
    assert.match((prepared as { why: string }).why, new RegExp(`bought since the loss \\(deal ${parallel} won\\)`));
    assert.match(String(commentsOn(lost)[0]!.COMMENT), /вернулся после отказа .* — выиграна сделка «Старая сделка»/);
  });

  it('a contact client: a deal where the contact is only a secondary contact is found (crm.item.list), CONTACT_ID would miss it', async () => {
    const contact = sb.portal.createContact({ NAME: 'Иван', LAST_NAME: 'Вторых' });
    const colleague = sb.portal.createContact({ NAME: 'Пётр', LAST_NAME: 'Первых' });
    const lost = sb.portal.createDeal({ TITLE: 'Мешки частнику', CONTACT_IDS: [contact], ASSIGNED_BY_ID: 3 });
    sb.portal.loseDeal(lost, 'LOSE');
    second();
    const back = sb.portal.createDeal({ TITLE: 'Заказ через коллегу', CONTACT_IDS: [colleague, contact], ASSIGNED_BY_ID: 4 });
    sb.portal.winDeal(back);
    sb.callLog.clear();
    const prepared = await prepare(lost);
    assert.equal(prepared.proceed, false, JSON.stringify(prepared));
    assert.match((prepared as { why: string }).why, new RegExp(`deal ${back} won`));
    assert.ok(sb.callLog.entries.some((e) => e.method === 'crm.item.list'), 'the contact\'s deals are read through crm.item.list');
    assert.equal(sb.callLog.entries.filter((e) => e.method === 'crm.deal.list' && /CONTACT_ID/.test(JSON.stringify(e.params))).length, 0, 'no deprecated CONTACT_ID filter');
    assert.match(String(commentsOn(lost)[0]!.COMMENT), /клиент Иван Вторых вернулся/);
  });

  describe('the client cycle at the due time', () => {
    const inspect = (req: { client: { kind: 'company' | 'contact'; id: number }; since: string; purchaseDealId: number }) => createClientActivities(activityDeps(sb, () => rules)).inspectClient(req);

    it('a contact bought again as a secondary contact: "bought since"', async () => {
      const contact = sb.portal.createContact({ NAME: 'Анна', LAST_NAME: 'Покупатель' });
      const colleague = sb.portal.createContact({ NAME: 'Олег', LAST_NAME: 'Коллега' });
      const first = sb.portal.createDeal({ TITLE: 'Покупка', CONTACT_IDS: [contact], ASSIGNED_BY_ID: 3 });
      sb.portal.winDeal(first);
      const since = String(sb.portal.get('deal', first)!.MOVED_TIME);
      sb.portal.advanceClock(3 * 86_400_000);
      const again = sb.portal.createDeal({ TITLE: 'Повторная покупка', CONTACT_IDS: [colleague, contact], ASSIGNED_BY_ID: 3 });
      sb.portal.winDeal(again);
      const seen = await inspect({ client: { kind: 'contact', id: contact }, since, purchaseDealId: first });
      assert.equal(seen.state, 'purchased');
      assert.equal(seen.state === 'purchased' && seen.purchase.dealId, again);
    });

    it('an open deal older than the purchase runs in parallel and is no "open deal"; one opened since is', async () => {
      const c = company();
      const parallel = sb.portal.createDeal({ TITLE: 'Параллельная', COMPANY_ID: c, ASSIGNED_BY_ID: 4 });
      second();
      const first = sb.portal.createDeal({ TITLE: 'Покупка', COMPANY_ID: c, ASSIGNED_BY_ID: 3 });
      sb.portal.winDeal(first);
      const since = String(sb.portal.get('deal', first)!.MOVED_TIME);
      const req = { client: { kind: 'company' as const, id: c }, since, purchaseDealId: first };
      assert.equal((await inspect(req)).state, 'none', `deal ${parallel} predates the purchase`);
      second();
      const newer = sb.portal.createDeal({ TITLE: 'Новая', COMPANY_ID: c, ASSIGNED_BY_ID: 6 });
      const seen = await inspect(req);
      assert.deepEqual(seen, { state: 'openDeal', dealId: newer, responsibleId: 6 });
    });
  });

  describe('action: move', () => {
    it('moves the lost deal itself to the target pipeline and stage through crm.item.update', async () => {
      const lost = sb.portal.createDeal({ TITLE: 'Переезд', COMPANY_ID: company(), ASSIGNED_BY_ID: 3 });
      sb.portal.loseDeal(lost, 'UC_NOSTOCK');
      const { createReactivation } = createLostDealActivities(activityDeps(sb, () => rules));
      sb.callLog.clear();
      const made = await createReactivation({ entity: 'deal', id: lost, lostElementId: lost, attempt: 1, workflowId: `reactivation-deal-${lost}`, reason: { stageId: 'UC_NOSTOCK', name: 'Нет товара' }, responsibleId: 4 });
      assert.deepEqual([made.elementId, made.created], [lost, false]);
      const moved = sb.portal.get('deal', lost)!;
      assert.equal(moved.CATEGORY_ID, '1');
      assert.equal(moved.STAGE_ID, 'C1:PREPARATION');
      assert.equal(moved.ASSIGNED_BY_ID, '4');
      assert.ok(sb.callLog.entries.some((e) => e.method === 'crm.item.update'));
      assert.ok(!sb.callLog.entries.some((e) => e.method === 'crm.deal.update'), 'crm.deal.update cannot change the pipeline');
      assert.equal(todosOn(lost).length, 1);
    });

    it('«Забытый клиент» in another pipeline: the deal is moved there through crm.item.update, not left with a warning', async () => {
      const forgetting = loadRulesText(`
${ALWAYS_OPEN}
lostDeals:
  target: { categoryId: 1, stageId: "C1:NEW" }
  forgotten: { categoryId: 1, stageId: "C1:UC_FORGOTTEN" }
  pipelines:
    - categoryId: 0
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
`);
      const deal = sb.portal.createDeal({ TITLE: 'Третий отказ', COMPANY_ID: company(), ASSIGNED_BY_ID: 3 });
      sb.portal.loseDeal(deal, 'LOSE');
      sb.callLog.clear();
      await createLostDealActivities(activityDeps(sb, () => forgetting)).markForgotten({ entity: 'deal', id: deal, elementId: deal, attempt: 2 });
      const parked = sb.portal.get('deal', deal)!;
      assert.equal(String(parked.CATEGORY_ID), '1');
      assert.equal(parked.STAGE_ID, 'C1:UC_FORGOTTEN');
      assert.ok(sb.callLog.entries.some((e) => e.method === 'crm.item.update'));
    });

    it('a portal that answers but did not move the deal: a final, readable error — not a success', async () => {
      const lost = sb.portal.createDeal({ TITLE: 'Не переехала', COMPANY_ID: company(), ASSIGNED_BY_ID: 3 });
      sb.portal.loseDeal(lost, 'UC_NOSTOCK');
      const inner = createSdkTransport({ webhookUrl: sb.webhookUrl, caCertPem: sb.caCertPem });
      // crm.item.update "succeeds" without moving: the answer shows the deal where it was.
      const stubborn: Transport = {
        origin: inner.origin,
        async send(method, params) {
          if (method !== 'crm.item.update') return inner.send(method, params);
          return inner.send('crm.item.get', { entityTypeId: 2, id: params.id, useOriginalUfNames: 'Y' });
        },
      };
      const { createReactivation } = createLostDealActivities(activityDeps(sb, () => rules, { transport: stubborn }));
      await assert.rejects(
        createReactivation({ entity: 'deal', id: lost, lostElementId: lost, attempt: 1, workflowId: `reactivation-deal-${lost}`, reason: { stageId: 'UC_NOSTOCK', name: 'Нет товара' }, responsibleId: 4 }),
        (e: Error & { type?: string; nonRetryable?: boolean }) => {
          assert.equal(e.type, 'ReactivationMoveFailed');
          assert.equal(e.nonRetryable, true);
          assert.match(e.message, new RegExp(`deal ${lost} was not moved to pipeline 1, stage C1:PREPARATION: the portal answered pipeline 0, stage UC_NOSTOCK`));
          return true;
        },
      );
      assert.deepEqual(todosOn(lost), [], 'no to-do for a move that did not happen');
    });
  });

  it('every IN filter the service sends is the documented "@FIELD": [...] (crm-deal-list.md, user-get.md)', async () => {
    const deps = activityDeps(sb, () => rules);
    const c = company();
    const first = sb.portal.createDeal({ TITLE: 'Покупка', COMPANY_ID: c, ASSIGNED_BY_ID: 3 });
    sb.portal.setDealProductRows(first, [{ PRODUCT_ID: 1, QUANTITY: 2 }]);
    sb.portal.winDeal(first);
    sb.callLog.clear();
    const since = String(sb.portal.get('deal', first)!.MOVED_TIME);
    await createClientActivities(deps).inspectClient({ client: { kind: 'company', id: c }, since, purchaseDealId: first });
    await createClientActivities(deps).planClientCycle({ client: { kind: 'company', id: c }, purchase: { dealId: first, categoryId: 0, at: since, amount: 0, items: [] }, cycle: 1, offersMade: [] });
    await deps.crm.getUser([3, 4]);
    const bare: string[] = [];
    const arrays = (filter: unknown, method: string) => {
      if (!filter || typeof filter !== 'object') return;
      for (const [key, value] of Object.entries(filter)) if (Array.isArray(value) && !/^!?@/.test(key)) bare.push(`${method} ${key}`);
    };
    for (const e of sb.callLog.entries) arrays(e.params.filter ?? e.params.FILTER, e.method);
    assert.ok(sb.callLog.entries.some((e) => JSON.stringify(e.params).includes('@CATEGORY_ID')));
    assert.ok(sb.callLog.entries.some((e) => e.method === 'crm.product.list' && JSON.stringify(e.params).includes('@ID')));
    assert.deepEqual(bare, []);
  });

  it('rule fields by name: a multiple-value field the rules read comes back only when named (crm-deal-list.md "UF_*")', async () => {
    const deps = activityDeps(sb, () => rules);
    await deps.crm.addDealUserField({ fieldName: 'LOSS_TAGS', userTypeId: 'string', label: 'Теги отказа', multiple: true });
    const deal = sb.portal.createDeal({ TITLE: 'Теги', UF_CRM_LOSS_TAGS: ['дорого', 'долго'] });
    const masked = (await deps.crm.listDeals({ ID: deal }, DEAL_SELECT))[0]!;
    const named = (await deps.crm.listDeals({ ID: deal }, dealSelectWith(['UF_CRM_LOSS_TAGS'])))[0]!;
    assert.equal(masked.userFields.UF_CRM_LOSS_TAGS, undefined);
    assert.deepEqual(named.userFields.UF_CRM_LOSS_TAGS, ['дорого', 'долго']);
  });
});
