import assert from 'node:assert/strict';
import { isEarlierReactivation, lostFacts, lostRuleOf, type LostDealRecord, type LostElement, type LostLeadRecord } from '../../src/domain/lost-element';
import { rulesFrom } from './fixtures';

const rules = rulesFrom(`
version: 1
defaults:
  calendar: { timeZone: Europe/Moscow }
lostDeals:
  target: { categoryId: 7, stageId: "C7:NEW" }
  pipelines:
    - categoryId: 0
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
        - { stageId: APOLOGY, name: Нецелевое обращение, reactivate: false }
  leads:
    target: { statusId: IN_PROCESS }
    statuses:
      - { statusId: JUNK, name: Некачественный лид, returnPeriod: 1 month }
`);

function deal(overrides: Partial<LostDealRecord> = {}): LostDealRecord {
  return {
    id: 110,
    title: 'Мешки для Колоса',
    categoryId: 0,
    stageId: 'LOSE',
    stageSemantic: 'F',
    assignedById: 4,
    movedAt: '2025-03-01T10:00:00+03:00',
    modifiedAt: '2025-03-02T10:00:00+03:00',
    opportunity: 50000,
    sourceId: 'WEB',
    companyId: 2,
    contactId: 3,
    userFields: { UF_CRM_X: 'y' },
    ...overrides,
  };
}

function lead(overrides: Partial<LostLeadRecord> = {}): LostLeadRecord {
  return {
    id: 501,
    title: 'Заявка с сайта',
    statusId: 'JUNK',
    statusSemantic: 'F',
    assignedById: null,
    movedAt: null,
    modifiedAt: '2025-03-02T10:00:00+03:00',
    opportunity: 0,
    sourceId: null,
    companyId: null,
    contactId: 9,
    userFields: {},
    ...overrides,
  };
}

const ofDeal = (d: LostDealRecord, productIds: (number | null)[] = []): LostElement => ({ entity: 'deal', ctx: { deal: d, productRows: productIds.map((productId) => ({ productId })) } });

describe('lost element', () => {
  describe('lostRuleOf', () => {
    it('a lost deal of a configured reason has its rule', () => {
      const found = lostRuleOf(rules, ofDeal(deal()));
      assert.ok('rule' in found);
      assert.equal(found.rule.reason.name, 'Дорого');
    });

    it('a deal not in a failure stage, or a reason never reactivated, says why', () => {
      assert.deepEqual(lostRuleOf(rules, ofDeal(deal({ stageId: 'NEW', stageSemantic: 'P' }))), { why: 'deal 110 is not lost (stage NEW)' });
      assert.deepEqual(lostRuleOf(rules, ofDeal(deal({ stageId: 'APOLOGY' }))), { why: '«Нецелевое обращение» is never reactivated' });
    });

    it('a junk lead has its status rule; a lead in work is not junk', () => {
      const found = lostRuleOf(rules, { entity: 'lead', lead: lead() });
      assert.ok('rule' in found);
      assert.equal(found.rule.entity, 'lead');
      assert.deepEqual(lostRuleOf(rules, { entity: 'lead', lead: lead({ statusId: 'IN_PROCESS', statusSemantic: 'P' }) }), { why: 'lead 501 is not junk (status IN_PROCESS)' });
    });
  });

  describe('lostFacts', () => {
    it('a deal: its loss moment, amount, source, products and the company as the client', () => {
      assert.deepEqual(lostFacts(ofDeal(deal(), [1, null, 3])), {
        title: 'Мешки для Колоса',
        managerId: 4,
        lostAt: '2025-03-01T10:00:00+03:00',
        amount: 50000,
        sourceId: 'WEB',
        fields: { UF_CRM_X: 'y' },
        productIds: [1, 3],
        client: { kind: 'company', id: 2 },
      });
    });

    it('a lead: the last modification when it has no move time, the contact when there is no company, no products', () => {
      assert.deepEqual(lostFacts({ entity: 'lead', lead: lead() }), {
        title: 'Заявка с сайта',
        managerId: undefined,
        lostAt: '2025-03-02T10:00:00+03:00',
        amount: 0,
        sourceId: undefined,
        fields: {},
        productIds: [],
        client: { kind: 'contact', id: 9 },
      });
      assert.equal(lostFacts({ entity: 'lead', lead: lead({ modifiedAt: null, contactId: null }) }).client, undefined);
    });
  });

  describe('isEarlierReactivation', () => {
    it('by the ids, whatever the title says: the original is never an earlier reactivation', () => {
      assert.equal(isEarlierReactivation(deal({ id: 110, title: 'Реактивация: Мешки (попытка 1)' }), 110), false);
      assert.equal(isEarlierReactivation(deal({ id: 120, title: 'Снова: Мешки' }), 110), true);
    });
  });
});
