import assert from 'node:assert/strict';
import { backfillStreams } from '../../src/backfill/streams';
import { ruleFields } from '../../src/domain/rule-fields';
import { rulesFrom } from './fixtures';

const rules = rulesFrom(`
version: 1
defaults: { calendar: { timeZone: Europe/Moscow } }
lostDeals:
  returnPeriod: { kind: manager, dateField: UF_CRM_BACK_DATE, default: 1 month }
  marks: { sourceField: UF_CRM_SRC }
  pipelines:
    - categoryId: 0
      reasons:
        - stageId: LOSE
          name: Дорого
          returnPeriod: { kind: manager, listField: UF_CRM_BACK_WHEN, options: [{ value: "1", period: 1 week }], default: 1 month }
    - categoryId: 7
      reasonField: UF_CRM_LOSS_REASON
      reasons: [{ value: "101", name: Дорого }]
      otherReasons: { name: Другое, returnPeriod: { kind: manager, dateField: UF_CRM_OTHER_DATE, default: 2 weeks } }
  leads:
    target: { statusId: IN_PROCESS }
    statuses: [{ statusId: JUNK, name: Спам, returnPeriod: { kind: manager, dateField: UF_CRM_LEAD_BACK, default: 1 month } }]
expiry:
  wonIn: [0]
  rules:
    - { name: Лицензии, expiresAt: { kind: field, field: UF_CRM_LICENSE_END }, reminders: [{ before: 1 week, action: notify }] }
    - { name: Расходники, expiresAt: { kind: consumption, ratePerMonth: 2, rateField: UF_CRM_RATE }, reminders: [{ before: 1 week, action: notify }] }
`);

describe('rule fields selected by name (UF_* may omit multiple-value fields, crm-deal-list.md)', () => {
  it('lists every deal and lead field the rules read, once', () => {
    const fields = ruleFields(rules);
    assert.deepEqual(fields.deal, [
      'UF_CRM_BACK_DATE', 'UF_CRM_BACK_WHEN', 'UF_CRM_LOSS_REASON', 'UF_CRM_OTHER_DATE',
      'UF_CRM_SRC', 'UF_CRM_REACT_REASON', 'UF_CRM_REACT_ATTEMPT', 'UF_CRM_REACT_DATE',
      'UF_CRM_LICENSE_END', 'UF_CRM_RATE',
    ]);
    assert.deepEqual(fields.lead, ['UF_CRM_BACK_DATE', 'UF_CRM_LEAD_BACK']);
  });

  it('the backfill selects them by name next to * and UF_*', () => {
    const [lost, , leads] = backfillStreams(rules, new Date('2025-01-01T00:00:00Z'));
    assert.deepEqual(lost!.select.slice(0, 2), ['*', 'UF_*']);
    for (const f of ['UF_CRM_LOSS_REASON', 'UF_CRM_BACK_WHEN', 'UF_CRM_LICENSE_END']) assert.ok(lost!.select.includes(f), f);
    assert.ok(leads!.select.includes('UF_CRM_LEAD_BACK'));
  });
});
