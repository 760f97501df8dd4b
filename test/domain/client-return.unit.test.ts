import assert from 'node:assert/strict';
import { clientReturnSince, openDealSince, returnStep, wonMoment, type ClientDealFact } from '../../src/domain/client-return';
import { findLostRule, type EffectiveDealRule } from '../../src/domain/lost-rules';
import { rulesFrom } from './fixtures';

const LOSS = '2025-03-10T12:00:00.000Z';
const before = '2025-02-01T09:00:00.000Z';
const after = '2025-03-12T09:00:00.000Z';

const deal = (d: Partial<ClientDealFact> & { id: number }): ClientDealFact => ({ ours: false, stageSemantic: 'P', createdAt: before, wonAt: null, ...d });

describe('the client came back (a deal created or won after the loss)', () => {
  describe('clientReturnSince', () => {
    it('an older parallel open deal is no return: nothing happened since the loss', () => {
      const found = clientReturnSince([deal({ id: 7, createdAt: before })], LOSS);
      assert.equal(found.state, 'none');
      assert.match(found.why, /1 older open deal\(s\) do not count/);
    });

    it('a deal won after the loss is a return — even an older one, even one we made', () => {
      const old = clientReturnSince([deal({ id: 7, createdAt: before, stageSemantic: 'S', wonAt: after })], LOSS);
      assert.equal(old.state, 'cameBack');
      assert.deepEqual(old.state === 'cameBack' && [old.deal.id, old.how], [7, 'won']);
      assert.match(old.why, /bought since the loss \(deal 7 won\)/);
      const ours = clientReturnSince([deal({ id: 8, ours: true, stageSemantic: 'S', wonAt: after })], LOSS);
      assert.equal(ours.state, 'cameBack');
    });

    it('a deal won before the loss is no return', () => {
      assert.equal(clientReturnSince([deal({ id: 7, stageSemantic: 'S', wonAt: before })], LOSS).state, 'none');
    });

    it('someone else\'s open deal created after the loss is a newer open deal; ours (an earlier reactivation) is not', () => {
      const newer = clientReturnSince([deal({ id: 7 }), deal({ id: 9, createdAt: after }), deal({ id: 10, createdAt: after, ours: true })], LOSS);
      assert.equal(newer.state, 'newerOpenDeal');
      assert.equal(newer.state === 'newerOpenDeal' && newer.deal.id, 9);
      assert.match(newer.why, /active deal 9, opened after the loss/);
      assert.equal(clientReturnSince([deal({ id: 10, createdAt: after, ours: true })], LOSS).state, 'none');
    });

    it('created in the same second as the loss counts as after it (the portal keeps seconds)', () => {
      assert.equal(clientReturnSince([deal({ id: 9, createdAt: LOSS })], LOSS).state, 'newerOpenDeal');
    });

    it('a deal created after the loss and lost since: the client came back (it has its own reactivation)', () => {
      const found = clientReturnSince([deal({ id: 9, createdAt: after, stageSemantic: 'F' })], LOSS);
      assert.equal(found.state, 'cameBack');
      assert.equal(found.state === 'cameBack' && found.how, 'created');
    });

    it('a win outranks a newer open deal; the excluded deals (the lost one, its chain) never count', () => {
      const both = clientReturnSince([deal({ id: 9, createdAt: after }), deal({ id: 5, stageSemantic: 'S', wonAt: after })], LOSS);
      assert.equal(both.state, 'cameBack');
      assert.equal(clientReturnSince([deal({ id: 9, createdAt: after, stageSemantic: 'S', wonAt: after })], LOSS, [9]).state, 'none');
    });
  });

  describe('returnStep and the openDeal rule', () => {
    const newer = clientReturnSince([deal({ id: 9, createdAt: after })], LOSS);
    it('copy: the reactivation is made anyway; todo: a to-do on that deal; skip: nothing, with a trace', () => {
      assert.equal(returnStep(newer, 'copy').step, 'reactivate');
      const todo = returnStep(newer, 'todo');
      assert.equal(todo.step, 'todo');
      assert.equal(todo.step === 'todo' && todo.deal.id, 9);
      const skip = returnStep(newer, 'skip');
      assert.deepEqual(skip.step === 'skip' && [skip.trace, skip.how, skip.deal.id], ['openDeal', 'open', 9]);
      assert.match(skip.why, /active deal 9.*openDeal: skip/);
    });

    it('a client who came back is never reactivated, whatever openDeal says', () => {
      const back = clientReturnSince([deal({ id: 5, stageSemantic: 'S', wonAt: after })], LOSS);
      for (const rule of ['copy', 'todo', 'skip'] as const) {
        const step = returnStep(back, rule);
        assert.deepEqual(step.step === 'skip' && [step.trace, step.how], ['cameBack', 'won']);
      }
      assert.equal(returnStep(clientReturnSince([], LOSS), 'skip').step, 'reactivate');
    });

    it('openDeal is inherited like the other reason settings: reason over pipeline over lostDeals; default skip', () => {
      const rules = rulesFrom(`
version: 1
defaults: { calendar: { timeZone: Europe/Moscow } }
lostDeals:
  openDeal: todo
  pipelines:
    - categoryId: 0
      openDeal: copy
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month, openDeal: skip }
        - { stageId: UC_PAYMENT, name: Оплата, returnPeriod: 1 month }
    - categoryId: 3
      reasons:
        - { stageId: "C3:LOSE", name: Дорого, returnPeriod: 1 month }
`);
      const openDealOf = (categoryId: number, stageId: string) => (findLostRule(rules, { entity: 'deal', categoryId, stageId }) as { rule: EffectiveDealRule }).rule.openDeal;
      assert.equal(openDealOf(0, 'LOSE'), 'skip');
      assert.equal(openDealOf(0, 'UC_PAYMENT'), 'copy');
      assert.equal(openDealOf(3, 'C3:LOSE'), 'todo');
      const plain = rulesFrom(`
version: 1
defaults: { calendar: { timeZone: Europe/Moscow } }
lostDeals:
  pipelines: [{ categoryId: 0, reasons: [{ stageId: LOSE, name: Дорого, returnPeriod: 1 month }] }]
`);
      assert.equal((findLostRule(plain, { entity: 'deal', categoryId: 0, stageId: 'LOSE' }) as { rule: EffectiveDealRule }).rule.openDeal, 'skip');
      assert.deepEqual(plain.lostDeals.notifications.onClientBack, { manager: false, head: false }, 'the notice is sent only when configured');
    });
  });

  describe('wonMoment and the client cycle', () => {
    it('a won deal was won when it entered its (final) won stage: MOVED_TIME, else CLOSEDATE; not won → null', () => {
      assert.equal(wonMoment({ stageSemantic: 'S', movedAt: after, closeDate: '2025-04-01T00:00:00.000Z' }), after, 'a CLOSEDATE in the future (close-date sync off) does not win');
      assert.equal(wonMoment({ stageSemantic: 'S', movedAt: null, closeDate: before }), before);
      assert.equal(wonMoment({ stageSemantic: 'P', movedAt: after, closeDate: before }), null);
    });

    it('openDealSince: only open deals created since the purchase count; someone else\'s first, else ours', () => {
      const purchase = LOSS;
      assert.equal(openDealSince([{ id: 7, ours: false, createdAt: before }], purchase), undefined);
      assert.equal(openDealSince([{ id: 7, ours: false, createdAt: before }, { id: 9, ours: true, createdAt: after }], purchase)?.id, 9);
      assert.equal(openDealSince([{ id: 9, ours: true, createdAt: after }, { id: 8, ours: false, createdAt: after }], purchase)?.id, 8);
    });
  });
});
