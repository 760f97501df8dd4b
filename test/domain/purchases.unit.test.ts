import assert from 'node:assert/strict';
import { clientCycleStep, clientOfDeal, duePurchase, effectiveClientRules, learnedPeriod, periodForLine } from '../../src/domain/purchases';
import type { LearningRule, Purchase, PurchasePeriods } from '../../src/domain';
import { at, rulesFrom } from './fixtures';

const ZONE = 'Europe/Moscow';
const periods: PurchasePeriods = {
  default: { weeks: 6 },
  pipelines: [{ categoryId: 7, period: { months: 2 } }],
  sections: [{ ids: [12], name: 'Мешки', period: { weeks: 3 } }],
  products: [{ ids: [105, 106], name: 'Мешок белый', period: { weeks: 2 } }],
};
const learning: LearningRule = { enabled: true, lastPurchases: 6, minPurchases: 3, min: { weeks: 1 }, max: { months: 3 } };

const DAY = 24 * 3600 * 1000;
const daysAfter = (d: Date, n: number) => new Date(d.getTime() + n * DAY);

describe('purchase periodicity', () => {
  describe('periodForLine: product beats section beats pipeline beats default', () => {
    it('product', () => {
      const p = periodForLine({ productId: 105, sectionId: 12 }, 7, periods);
      assert.deepEqual([p.basis, p.period], ['product', { weeks: 2 }]);
    });
    it('section, also through a parent section', () => {
      assert.equal(periodForLine({ productId: 200, sectionId: 12 }, 7, periods).basis, 'section');
      const parent = periodForLine({ productId: 200, sectionId: 55, parentSectionIds: [54, 12] }, 7, periods);
      assert.deepEqual([parent.basis, parent.period], ['section', { weeks: 3 }]);
      assert.match(parent.explanation, /in Мешки \(12\)/);
    });
    it('pipeline', () => {
      const p = periodForLine({ productId: 201, sectionId: 99 }, 7, periods);
      assert.deepEqual([p.basis, p.period], ['pipeline', { months: 2 }]);
    });
    it('global default', () => {
      const p = periodForLine({ productId: 201 }, 0, periods);
      assert.deepEqual([p.basis, p.period], ['default', { weeks: 6 }]);
    });
  });

  describe('duePurchase', () => {
    const bought = at('2026-03-10T12:00:00+03:00');

    it('several products: the earliest due one decides', () => {
      const purchase: Purchase = { at: bought, categoryId: 0, items: [{ productId: 300, name: 'Шпагат' }, { productId: 105, name: 'Мешок', sectionId: 12 }, { productId: 301, sectionId: 12 }] };
      const due = duePurchase(purchase, { periods }, [], ZONE);
      assert.equal(due.dueAt.toISOString(), '2026-03-24T09:00:00.000Z');
      assert.equal(due.decidingItem?.productId, 105);
      assert.equal(due.basis, 'product');
      assert.equal(due.items.length, 3);
      assert.match(due.explanation, /earliest of 3 products: Мешок \(105\): 2 weeks/);
    });

    it('no product rows: the pipeline or default period', () => {
      const due = duePurchase({ at: bought, categoryId: 7, items: [] }, { periods }, [], ZONE);
      assert.equal(due.basis, 'pipeline');
      assert.equal(due.dueAt.toISOString(), '2026-05-10T09:00:00.000Z');
      assert.equal(due.decidingItem, undefined);
    });

    it("learns a product's period from the client's own purchases when there are enough", () => {
      const history: Purchase[] = [
        { at: daysAfter(bought, -60), items: [{ productId: 300 }] },
        { at: daysAfter(bought, -30), items: [{ productId: 300 }] },
      ];
      const due = duePurchase({ at: bought, items: [{ productId: 300 }, { productId: 999 }] }, { periods, learning }, history, ZONE);
      assert.equal(due.basis, 'learned');
      assert.deepEqual(due.period, { days: 30 });
      assert.equal(due.decidingItem?.productId, 300);
      // Product 999 has no history: configured default.
      assert.equal(due.items[1]!.basis, 'default');
    });

    it('falls back to the configured period when history is short or learning is off', () => {
      const history: Purchase[] = [{ at: daysAfter(bought, -30), items: [{ productId: 105 }] }];
      assert.equal(duePurchase({ at: bought, items: [{ productId: 105 }] }, { periods, learning }, history, ZONE).basis, 'product');
      const off = { ...learning, enabled: false };
      const longHistory: Purchase[] = [10, 20, 30].map((n) => ({ at: daysAfter(bought, -n), items: [{ productId: 105 }] }));
      assert.equal(duePurchase({ at: bought, items: [{ productId: 105 }] }, { periods, learning: off }, longHistory, ZONE).basis, 'product');
    });
  });

  describe('learnedPeriod', () => {
    const start = at('2026-01-01T10:00:00+03:00');

    it('takes the median gap (odd and even counts)', () => {
      const odd = learnedPeriod([0, 30, 62, 90].map((n) => daysAfter(start, n)), learning, ZONE);
      assert.deepEqual(odd?.period, { days: 30 }); // gaps 30, 32, 28
      const even = learnedPeriod([0, 20, 40, 70, 100].map((n) => daysAfter(start, n)), learning, ZONE);
      assert.deepEqual(even?.period, { days: 25 }); // gaps 20, 20, 30, 30
      assert.equal(even?.purchases, 5);
    });

    it('keeps it within the bounds', () => {
      const often = learnedPeriod([0, 2, 4, 6].map((n) => daysAfter(start, n)), learning, ZONE);
      assert.deepEqual([often?.period, often?.clamped], [{ weeks: 1 }, 'min']);
      const rarely = learnedPeriod([0, 200, 400].map((n) => daysAfter(start, n)), learning, ZONE);
      assert.deepEqual([rarely?.period, rarely?.clamped], [{ months: 3 }, 'max']);
      assert.match(rarely!.explanation, /lowered to the maximum 3 months/);
    });

    it('looks only at the last N purchases, ignores duplicates, needs minPurchases', () => {
      const windowed = learnedPeriod([0, 100, 110, 120, 130].map((n) => daysAfter(start, n)), { ...learning, lastPurchases: 4 }, ZONE);
      assert.deepEqual(windowed?.period, { days: 10 });
      assert.equal(learnedPeriod([start, start, daysAfter(start, 30)], learning, ZONE), undefined);
      assert.equal(learnedPeriod([start], learning, ZONE), undefined);
    });

    it('works in seconds for the demo', () => {
      const seconds = learnedPeriod([0, 40, 80].map((s) => new Date(start.getTime() + s * 1000)), { ...learning, min: { seconds: 30 } }, ZONE);
      assert.deepEqual(seconds?.period, { seconds: 40 });
    });
  });

  it('clientOfDeal: company, contact, or company else contact', () => {
    assert.deepEqual(clientOfDeal({ companyId: 5, contactId: 9 }, 'companyOrContact'), { kind: 'company', id: 5 });
    assert.deepEqual(clientOfDeal({ companyId: 0, contactId: 9 }, 'companyOrContact'), { kind: 'contact', id: 9 });
    assert.deepEqual(clientOfDeal({ companyId: 5, contactId: 9 }, 'contact'), { kind: 'contact', id: 9 });
    assert.equal(clientOfDeal({ contactId: 9 }, 'company'), undefined);
  });

  it('clientCycleStep: purchase restarts, open deal is nudged, else a new deal, then forgotten', () => {
    assert.equal(clientCycleStep({ state: 'purchased' }, 5, 3).step, 'restart');
    assert.equal(clientCycleStep({ state: 'openDeal' }, 1, 3).step, 'nudgeOpenDeal');
    assert.equal(clientCycleStep({ state: 'none' }, 3, 3).step, 'newDeal');
    assert.equal(clientCycleStep({ state: 'none' }, 4, 3).step, 'forgotten');
    assert.equal(clientCycleStep({ state: 'openDeal' }, 4, 3).step, 'forgotten');
    assert.equal(clientCycleStep({ state: 'none' }, 40, null).step, 'newDeal');
  });
});

describe('client rules in effect', () => {
  it('inherit responsible, daily cap, to-do deadline and calendar from defaults unless they say', () => {
    const rules = rulesFrom(`
version: 1
defaults:
  dailyCap: 7
  responsible: { strategy: user, userId: 3 }
  calendar: { timeZone: Asia/Yekaterinburg }
clients:
  periods: { default: 6 weeks }
  target: { categoryId: 0, stageId: NEW }
  dailyCap: unlimited
`);
    const clients = effectiveClientRules(rules);
    assert.ok(clients);
    assert.deepEqual(clients.responsible, { strategy: 'user', userId: 3 });
    assert.equal(clients.dailyCap, null);
    assert.deepEqual(clients.todoDeadline, { workingDays: 1 });
    assert.equal(clients.calendar.timeZone, 'Asia/Yekaterinburg');
    assert.equal(clients.maxCycles, 3);
    assert.equal(clients.templates.dealTitle, 'Повторная продажа: {client} ({products})');
    assert.equal(effectiveClientRules(rulesFrom('version: 1')), undefined);
  });
});
