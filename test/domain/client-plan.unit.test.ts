import assert from 'node:assert/strict';
import { planClientTouches } from '../../src/domain/client-plan';
import type { Purchase } from '../../src/domain';
import { at, rulesFrom } from './fixtures';

const rules = rulesFrom(`
version: 1
defaults:
  calendar: { timeZone: Europe/Moscow }
clients:
  periods: { default: 6 weeks }
  target: { categoryId: 0, stageId: NEW }
  chains:
    - name: Дом
      steps:
        - { name: Фундамент, sections: [20] }
        - { name: Стены, sections: [21], after: 1 month }
`);
const clients = rules.clients!;
const calendar = rules.defaults.calendar;
const bought: Purchase = { dealId: 77, at: at('2026-03-10T12:00:00+03:00'), categoryId: 0, items: [{ productId: 1, sectionId: 20, name: 'Цемент' }] };
const soon = at('2026-03-11T12:00:00+03:00');

describe('client cycle plan', () => {
  it('cycle 1: the repurchase after the period and the next chain step, in working hours', () => {
    const plan = planClientTouches(clients, calendar, bought, [], { cycle: 1, offersMade: [] }, soon);
    assert.deepEqual(
      plan.touches.map((t) => [t.key, t.kind, t.at]),
      [
        ['cycle-1', 'repurchase', '2026-04-21T09:00:00.000Z'],
        ['chain:Дом:1:77', 'chain', '2026-04-10T09:00:00.000Z'],
      ],
    );
    assert.deepEqual(plan.touches[0]!.words, { period: '6 недель' });
    assert.deepEqual(plan.touches[1]!.words, { chain: 'Дом', step: 'Стены' });
    assert.match(plan.why, /; cycle 1; chain: /);
  });

  it('cycle n is due n periods after the purchase; an offer made is not planned again', () => {
    const plan = planClientTouches(clients, calendar, bought, [bought], { cycle: 3, offersMade: ['chain:Дом:1:77'] }, soon);
    assert.deepEqual(plan.touches.map((t) => [t.key, t.at]), [['cycle-3', '2026-07-14T09:00:00.000Z']]);
  });

  it('a valid manager date wins; a rejected one is said why and the period stands', () => {
    const chosen = planClientTouches(clients, calendar, bought, [], { cycle: 1, offersMade: ['chain:Дом:1:77'], managerDueAt: '2026-04-01T10:00:00+03:00' }, soon);
    assert.equal(chosen.touches[0]!.at, '2026-04-01T07:00:00.000Z');
    assert.match(chosen.why, /^manager set /);
    const past = planClientTouches(clients, calendar, bought, [], { cycle: 1, offersMade: ['chain:Дом:1:77'], managerDueAt: '2026-03-01T10:00:00+03:00' }, soon);
    assert.equal(past.touches[0]!.at, '2026-04-21T09:00:00.000Z');
    assert.match(past.why, /\(manager date rejected: .* is in the past\)$/);
  });

  it('a due date already past moves to the next working slot from now', () => {
    const late = at('2026-05-02T12:00:00+03:00'); // a Saturday
    const plan = planClientTouches(clients, calendar, bought, [], { cycle: 1, offersMade: ['chain:Дом:1:77'] }, late);
    assert.equal(plan.touches[0]!.at, '2026-05-04T06:00:00.000Z');
  });
});
