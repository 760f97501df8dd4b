import assert from 'node:assert/strict';
import { consumptionEnd, effectiveExpiryRules, expiryDate, expiryRulesFor, reminderSchedule } from '../../src/domain/expiry';
import type { ExpiryRule, ExpiryRules, Purchase, ReminderRule } from '../../src/domain';
import { at, rulesFrom } from './fixtures';

const ZONE = 'Europe/Moscow';
const sold = at('2026-01-15T12:00:00+03:00');

const licences: ExpiryRule = {
  name: 'Лицензии',
  products: [],
  sections: [30],
  expiresAt: { kind: 'term', term: { years: 1 }, field: 'UF_CRM_LICENSE_END' },
  reminders: [{ before: { months: 1 }, action: 'deal' }],
};
const fertilizer: ExpiryRule = {
  name: 'Удобрения',
  products: [],
  sections: [40],
  expiresAt: { kind: 'consumption', ratePerMonth: 50, rateProperty: 'PROPERTY_107', rateField: 'UF_CRM_MONTHLY_USE', unit: 'kg' },
  reminders: [{ before: { weeks: 2 }, action: 'todo' }],
};
const byField: ExpiryRule = {
  name: 'Полис',
  products: [],
  sections: [],
  expiresAt: { kind: 'field', field: 'UF_CRM_POLICY_END' },
  reminders: [{ before: { days: 1 }, action: 'notify' }],
};

function expiresAt(rule: ExpiryRule, sale: Purchase) {
  const result = expiryDate(rule, sale, ZONE);
  assert.ok(result.ok, result.ok ? '' : result.why);
  return result;
}

describe('expiry reminders', () => {
  describe('expiryDate', () => {
    it('from a deal field the manager filled', () => {
      const r = expiresAt(byField, { at: sold, items: [], fields: { UF_CRM_POLICY_END: '2027-03-01' } });
      assert.equal(r.basis, 'field');
      assert.equal(r.at.toISOString(), '2027-02-28T21:00:00.000Z');
    });

    it('a field rule with the field empty gives no date, saying why', () => {
      const r = expiryDate(byField, { at: sold, items: [], fields: { UF_CRM_POLICY_END: '' } }, ZONE);
      assert.deepEqual(r, { ok: false, why: 'Полис: UF_CRM_POLICY_END is empty or not a date' });
    });

    it('purchase date + term; a filled field wins over the term', () => {
      const term = expiresAt(licences, { at: sold, items: [{ productId: 1, sectionId: 30 }] });
      assert.equal(term.basis, 'term');
      assert.equal(term.at.toISOString(), '2027-01-15T09:00:00.000Z');
      const manual = expiresAt(licences, { at: sold, items: [], fields: { UF_CRM_LICENSE_END: '2026-12-31' } });
      assert.equal(manual.basis, 'field');
    });

    it('consumption forecast: 100 kg at 50 kg a month runs out in 2 months', () => {
      const r = expiresAt(fertilizer, { at: sold, items: [{ productId: 7, sectionId: 40, quantity: 100, name: 'Азофоска' }] });
      assert.equal(r.basis, 'consumption');
      assert.equal(r.at.toISOString(), '2026-03-15T09:00:00.000Z');
      assert.match(r.explanation, /Азофоска 100 kg ÷ 50 kg\/month \(rule\) = 2 months/);
    });

    it("the client's rate (deal field) beats the product's (property) beats the rule's", () => {
      const line = { productId: 7, sectionId: 40, quantity: 100, properties: { PROPERTY_107: { valueId: 3, value: '25' } } };
      const fromProperty = expiresAt(fertilizer, { at: sold, items: [line] });
      assert.equal(fromProperty.at.toISOString(), '2026-05-15T09:00:00.000Z'); // 4 months
      const fromField = expiresAt(fertilizer, { at: sold, items: [line], fields: { UF_CRM_MONTHLY_USE: '100' } });
      assert.equal(fromField.at.toISOString(), '2026-02-15T09:00:00.000Z'); // 1 month
    });

    it('several lines: the one running out first decides; lines without quantity are ignored', () => {
      const r = expiresAt(fertilizer, {
        at: sold,
        items: [
          { productId: 7, sectionId: 40, quantity: 300 },
          { productId: 8, sectionId: 40, quantity: 50 },
          { productId: 9, sectionId: 40 },
          { productId: 10, sectionId: 99, quantity: 1 },
        ],
      });
      assert.equal(r.decidingItem?.productId, 8);
      assert.equal(r.at.toISOString(), '2026-02-15T09:00:00.000Z');
      const none = expiryDate(fertilizer, { at: sold, items: [{ productId: 9, sectionId: 40 }] }, ZONE);
      assert.equal(none.ok, false);
    });

    it('consumptionEnd: fractions are that share of the following month', () => {
      assert.equal(consumptionEnd(sold, 150, 100, ZONE).toISOString(), '2026-03-01T09:00:00.000Z'); // 1 month + half of Feb 15 → Mar 15
      assert.equal(consumptionEnd(sold, 100, 50, ZONE).toISOString(), '2026-03-15T09:00:00.000Z');
    });
  });

  describe('reminderSchedule', () => {
    const expires = at('2026-06-01T09:00:00+03:00');
    const reminders: ReminderRule[] = [
      { before: { months: 1 }, action: 'deal' },
      { before: { weeks: 2 }, action: 'todo' },
      { before: { weeks: 1 }, action: 'notify' },
      { before: { days: 1 }, action: 'notify' },
      { after: { days: 3 }, action: 'bizproc', bizprocTemplateId: 12 },
    ];

    it('lists the reminders ahead in time order, with stable keys; past ones are dropped', () => {
      const schedule = reminderSchedule(expires, reminders, at('2026-05-20T12:00:00+03:00'), ZONE);
      assert.deepEqual(
        schedule.map((r) => [r.key, r.at.toISOString(), r.action, r.offset]),
        [
          ['before:P1W', '2026-05-25T06:00:00.000Z', 'notify', '1 week before'],
          ['before:P1D', '2026-05-31T06:00:00.000Z', 'notify', '1 day before'],
          ['after:P3D', '2026-06-04T06:00:00.000Z', 'bizproc', '3 days after'],
        ],
      );
      assert.equal(schedule[2]!.bizprocTemplateId, 12);
      assert.equal(schedule[0]!.offsetRu, 'за 1 неделю');
      assert.equal(schedule[2]!.offsetRu, 'через 3 дня после');
      assert.equal('bizprocTemplateId' in schedule[0]!, false);
    });

    it('keeps all of them when the date is far away', () => {
      assert.equal(reminderSchedule(expires, reminders, at('2026-01-01T00:00:00+03:00'), ZONE).length, 5);
      assert.equal(reminderSchedule(expires, reminders, at('2026-07-01T00:00:00+03:00'), ZONE).length, 0);
    });
  });

  it('expiryRulesFor: only watched pipelines and matching products', () => {
    const expiry: ExpiryRules = {
      enabled: true,
      wonIn: [0],
      templates: { notify: '', todoTitle: '', todoDescription: '', dealTitle: '', dealComments: '' },
      rules: [licences, fertilizer, byField],
    };
    const sale: Purchase = { at: sold, categoryId: 0, items: [{ productId: 1, sectionId: 30 }] };
    assert.deepEqual(expiryRulesFor(expiry, sale).map((r) => r.name), ['Лицензии', 'Полис']);
    assert.deepEqual(expiryRulesFor(expiry, { ...sale, categoryId: 5 }), []);
    assert.deepEqual(expiryRulesFor({ ...expiry, enabled: false }, sale), []);
  });
});

describe('expiry rules in effect', () => {
  it('inherit responsible and to-do deadline from defaults; absent or disabled → undefined', () => {
    const yaml = (enabled: boolean) => `
version: 1
defaults: { todoDeadline: 2 working days }
expiry:
  enabled: ${enabled}
  responsible: { strategy: departmentHead, departmentId: 4 }
  rules:
    - name: Полис
      expiresAt: { kind: field, field: UF_CRM_POLICY_END }
      reminders: [{ before: 1 week, action: todo }]
`;
    const expiry = effectiveExpiryRules(rulesFrom(yaml(true)));
    assert.ok(expiry);
    assert.deepEqual(expiry.responsible, { strategy: 'departmentHead', departmentId: 4 });
    assert.deepEqual(expiry.todoDeadline, { workingDays: 2 });
    assert.equal(expiry.calendar.timeZone, 'Europe/Moscow');
    assert.equal(effectiveExpiryRules(rulesFrom(yaml(false))), undefined);
    assert.equal(effectiveExpiryRules(rulesFrom('version: 1')), undefined);
  });
});
