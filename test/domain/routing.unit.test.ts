import assert from 'node:assert/strict';
import { entityOfEvent, historyStreams, mayConcern, routeDeal, routeDeletedDeal, routeLead, wonCounts, type DealFacts } from '../../src/domain/routing';
import { rulesFrom } from './fixtures';

const rules = rulesFrom(`
version: 1
defaults:
  calendar: { timeZone: Europe/Moscow }
  responsible: { strategy: original }
lostDeals:
  pipelines:
    - categoryId: 0
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
        - { stageId: APOLOGY, name: Нецелевое обращение, reactivate: false }
  leads:
    target: { statusId: IN_PROCESS }
    statuses:
      - { statusId: JUNK, name: Не дозвонились, returnPeriod: 2 weeks }
clients:
  wonIn: [0, 2]
  periods: { default: 3 months }
  target: { categoryId: 2, stageId: "C2:NEW" }
expiry:
  wonIn: [2, 4]
  target: { categoryId: 2, stageId: "C2:NEW" }
  rules:
    - name: Лицензия
      expiresAt: { kind: field, field: UF_CRM_EXPIRES }
      reminders: [{ before: 14 days, action: notify }]
`);

const deal = (over: Partial<DealFacts>): DealFacts => ({ id: 10, categoryId: 0, stageId: 'NEW', stageSemantic: 'P', ours: false, originId: null, ...over });

describe('routing: which scenarios an element concerns', () => {
  it('a lost deal whose reason reactivates starts its reactivation; one that does not says why', () => {
    assert.deepEqual(routeDeal(deal({ stageId: 'LOSE', stageSemantic: 'F' }), rules).map((r) => [r.scenario, 'action' in r ? r.action : '']), [['lost', 'start']]);
    const none = routeDeal(deal({ stageId: 'APOLOGY', stageSemantic: 'F' }), rules);
    assert.equal(none.length, 1);
    assert.ok(none[0]!.scenario === 'lost' && none[0]!.action === 'none' && /APOLOGY|Нецелевое/.test(none[0]!.why));
  });

  it('an open deal only re-plans a running reactivation; a won one is a purchase per pipeline', () => {
    assert.deepEqual(routeDeal(deal({}), rules), [{ scenario: 'lost', action: 'signal', why: 'a lost deal changed (re-opened or edited)' }]);
    const won0 = routeDeal(deal({ stageId: 'WON', stageSemantic: 'S' }), rules);
    assert.deepEqual(won0[1], { scenario: 'purchase', client: true, expiry: false });
    const won2 = routeDeal(deal({ categoryId: 2, stageId: 'C2:WON', stageSemantic: 'S' }), rules);
    assert.deepEqual(won2[1], { scenario: 'purchase', client: true, expiry: true });
    assert.equal(routeDeal(deal({ categoryId: 9, stageId: 'C9:WON', stageSemantic: 'S' }), rules).length, 1);
  });

  it("a reactivation deal this service made goes to the workflow named in its ORIGIN_ID, never to a new reactivation", () => {
    const routes = routeDeal(deal({ id: 500, stageId: 'LOSE', stageSemantic: 'F', ours: true, originId: 'reactivation-deal-110#1' }), rules);
    assert.deepEqual(routes, [{ scenario: 'reactivationDeal', workflowId: 'reactivation-deal-110', why: 'its reactivation deal 500 changed' }]);
    // A client-cycle deal of ours that was won is still a purchase, and starts no lost-deal run.
    const ours = routeDeal(deal({ stageId: 'WON', stageSemantic: 'S', ours: true, originId: 'client-company-5#p120-1-cycle-1' }), rules);
    assert.deepEqual(ours, [{ scenario: 'purchase', client: true, expiry: false }]);
  });

  it('deleted deals and leads, junk and other leads', () => {
    assert.deepEqual(routeDeletedDeal().map((r) => r.scenario), ['lost', 'expiry']);
    assert.equal(routeLead({ id: 7, statusId: 'JUNK', statusSemantic: 'F' }, rules)[0]!.scenario, 'lost');
    assert.ok(routeLead({ id: 7, statusId: 'JUNK', statusSemantic: 'F' }, rules).every((r) => r.scenario === 'lost' && r.action === 'start'));
    assert.deepEqual(routeLead({ id: 7, statusId: 'NEW', statusSemantic: 'P' }, rules), [{ scenario: 'lost', action: 'signal', why: 'a junk lead changed' }]);
  });

  it('the history a backfill reads and the rows a reconciler hands on', () => {
    assert.deepEqual(wonCounts(rules), { clients: [0, 2], expiry: [2, 4], any: [0, 2, 4] });
    assert.deepEqual(historyStreams(rules), { lostDealPipelines: [0], wonDealPipelines: [0, 2, 4], junkLeads: true });
    assert.equal(mayConcern('deal', { semantic: 'P' }), false);
    assert.equal(mayConcern('deal', { semantic: 'P', ours: true }), true);
    assert.equal(mayConcern('deal', { semantic: 'S' }), true);
    assert.equal(mayConcern('lead', { semantic: 'S' }), false);
    assert.equal(mayConcern('lead', { semantic: 'F' }), true);
  });

  it('maps event names to elements', () => {
    assert.equal(entityOfEvent('ONCRMDEALUPDATE'), 'deal');
    assert.equal(entityOfEvent('onCrmDealMoveToCategory'), 'deal');
    assert.equal(entityOfEvent('ONCRMLEADDELETE'), 'lead');
    assert.equal(entityOfEvent('ONCRMCONTACTUPDATE'), undefined);
  });
});
