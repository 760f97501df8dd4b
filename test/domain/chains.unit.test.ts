import assert from 'node:assert/strict';
import { lineMatchesStep, nextChainOffer } from '../../src/domain/chains';
import type { Purchase, SalesChain } from '../../src/domain';
import { at } from './fixtures';

const ZONE = 'Europe/Moscow';
const house: SalesChain = {
  name: 'Дом',
  steps: [
    { name: 'Фундамент', products: [201], sections: [20] },
    { name: 'Стены', products: [], sections: [21], after: { months: 1 } },
    { name: 'Крыша', products: [], sections: [22], after: { months: 2 } },
  ],
};
const cement = { productId: 1, sectionId: 20, name: 'Цемент' };
const brick = { productId: 2, sectionId: 21, name: 'Кирпич' };
const roofing = { productId: 3, sectionId: 22 };
const march = at('2026-03-10T12:00:00+03:00');
const april = at('2026-04-15T12:00:00+03:00');

describe('sales chains', () => {
  it('a foundation purchase predicts walls a month later', () => {
    const offer = nextChainOffer(house, [{ dealId: 77, at: march, items: [cement] }], ZONE);
    assert.ok(offer);
    assert.equal(offer.step, 'Стены');
    assert.equal(offer.stepIndex, 1);
    assert.equal(offer.dueAt.toISOString(), '2026-04-10T09:00:00.000Z');
    assert.equal(offer.key, 'chain:Дом:1:77');
    assert.equal(offer.label, 'Стены (шаг 2 цепочки «Дом»)');
  });

  it('skips steps bought together: foundation and walls at once → roof two months later', () => {
    const offer = nextChainOffer(house, [{ at: march, items: [cement, brick] }], ZONE);
    assert.equal(offer?.step, 'Крыша');
    assert.equal(offer?.dueAt.toISOString(), '2026-05-10T09:00:00.000Z');
    assert.equal(offer?.key, `chain:Дом:2:${march.toISOString()}`);
  });

  it('counts from the purchase of the furthest step', () => {
    const purchases: Purchase[] = [
      { dealId: 2, at: april, items: [brick] },
      { dealId: 1, at: march, items: [cement] },
    ];
    const offer = nextChainOffer(house, purchases, ZONE);
    assert.equal(offer?.step, 'Крыша');
    assert.equal(offer?.dueAt.toISOString(), '2026-06-15T09:00:00.000Z');
  });

  it('the last step bought (even with a gap) → the chain is complete', () => {
    assert.equal(nextChainOffer(house, [{ at: march, items: [roofing] }], ZONE), undefined);
    assert.equal(nextChainOffer(house, [{ at: march, items: [cement] }, { at: april, items: [roofing] }], ZONE), undefined);
  });

  it('no step bought → no offer', () => {
    assert.equal(nextChainOffer(house, [{ at: march, items: [{ productId: 9, sectionId: 99 }] }], ZONE), undefined);
    assert.equal(nextChainOffer(house, [], ZONE), undefined);
  });

  it('a line matches a step by product or by (parent) section', () => {
    assert.equal(lineMatchesStep({ productId: 201 }, house.steps[0]!), true);
    assert.equal(lineMatchesStep({ productId: 5, sectionId: 70, parentSectionIds: [21] }, house.steps[1]!), true);
    assert.equal(lineMatchesStep({ productId: 5, sectionId: 70 }, house.steps[1]!), false);
  });
});
