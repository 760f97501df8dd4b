import assert from 'node:assert/strict';
import { parseCrmDate } from '../../src/domain/dates';
import { managerDateBoundsMs, resolveReturnPeriod, validateManagerDate } from '../../src/domain/return-period';
import type { ReturnPeriodRule } from '../../src/domain';
import { at } from './fixtures';

const ZONE = 'Europe/Moscow';
const bounds = { minAhead: { hours: 1 }, maxAhead: { years: 1 } };
const now = at('2026-03-10T12:00:00+03:00');
const lostAt = at('2026-03-10T11:00:00+03:00');

function resolve(returnPeriod: ReturnPeriodRule, facts: Parameters<typeof resolveReturnPeriod>[1] = {}) {
  return resolveReturnPeriod({ name: 'Причина', returnPeriod, managerDates: bounds }, { lostAt, ...facts }, now, ZONE);
}

const byAmount: ReturnPeriodRule = {
  kind: 'byAmount',
  brackets: [
    { below: 100_000, period: { months: 1 } },
    { below: 1_000_000, period: { months: 3 } },
  ],
  otherwise: { months: 6 },
};

const manager: ReturnPeriodRule = {
  kind: 'manager',
  dateField: 'UF_CRM_RETURN_DATE',
  listField: 'UF_CRM_RETURN_PERIOD',
  options: [
    { value: '45', period: { weeks: 2 } },
    { value: '46', period: { months: 1 } },
  ],
  default: { months: 1 },
};

describe('return period', () => {
  it('static: counts the period from the loss', () => {
    const r = resolve({ kind: 'static', period: { months: 1 } });
    assert.equal(r.basis, 'static');
    assert.equal(r.wakeAt.toISOString(), '2026-04-10T08:00:00.000Z');
    assert.deepEqual(r.period, { months: 1 });
    assert.match(r.explanation, /Причина: static period 1 month/);
  });

  it('static: a due moment already past (an old loss) wakes now', () => {
    const r = resolveReturnPeriod(
      { name: 'Дорого', returnPeriod: { kind: 'static', period: { weeks: 2 } }, managerDates: bounds },
      { lostAt: at('2025-01-01T10:00:00+03:00') },
      now,
      ZONE,
    );
    assert.equal(r.wakeAt.toISOString(), now.toISOString());
    assert.equal(r.dueAt.toISOString(), '2025-01-15T07:00:00.000Z');
    assert.match(r.explanation, /already passed/);
  });

  describe('computed', () => {
    it('by amount brackets (below is exclusive), otherwise above the last one', () => {
      assert.deepEqual(resolve(byAmount, { amount: 50_000 }).period, { months: 1 });
      assert.deepEqual(resolve(byAmount, { amount: 100_000 }).period, { months: 3 });
      assert.deepEqual(resolve(byAmount, { amount: 999_999 }).period, { months: 3 });
      const top = resolve(byAmount, { amount: 5_000_000 });
      assert.deepEqual(top.period, { months: 6 });
      assert.equal(top.basis, 'computed');
      assert.match(top.explanation, /amount 5000000 ≥ 1000000 → 6 months/);
    });

    it('by amount without an amount takes otherwise', () => {
      const r = resolve(byAmount);
      assert.deepEqual(r.period, { months: 6 });
      assert.match(r.explanation, /no amount/);
    });

    it('by product section: the first listed case with a section of the deal decides', () => {
      const rule: ReturnPeriodRule = {
        kind: 'bySection',
        cases: [
          { sections: [14], period: { days: 10 } },
          { sections: [12, 13], period: { weeks: 3 } },
        ],
        otherwise: { months: 1 },
      };
      assert.deepEqual(resolve(rule, { sectionIds: [13, 14] }).period, { days: 10 });
      assert.deepEqual(resolve(rule, { sectionIds: [12] }).period, { weeks: 3 });
      assert.deepEqual(resolve(rule, { sectionIds: [99] }).period, { months: 1 });
      assert.deepEqual(resolve(rule).period, { months: 1 });
    });

    it('by source', () => {
      const rule: ReturnPeriodRule = { kind: 'bySource', cases: [{ sources: ['WEB', 'EMAIL'], period: { weeks: 1 } }], otherwise: { weeks: 2 } };
      assert.deepEqual(resolve(rule, { sourceId: 'EMAIL' }).period, { weeks: 1 });
      assert.deepEqual(resolve(rule, { sourceId: 'CALL' }).period, { weeks: 2 });
      assert.match(resolve(rule).explanation, /source \(none\) not listed/);
    });
  });

  describe('learned from past conversions of the reason', () => {
    const DAY = 86_400_000;
    const learned: ReturnPeriodRule = { kind: 'learned', otherwise: { months: 1 }, minSamples: 3, min: { weeks: 1 }, max: { months: 6 }, lookback: { years: 1 } };
    const days = (...n: number[]) => n.map((d) => d * DAY);

    it('takes the median (odd and even counts), counted from the loss', () => {
      const odd = resolve(learned, { pastConversionsMs: days(40, 30, 38, 90, 12) });
      assert.deepEqual([odd.basis, odd.period], ['computed', { days: 38 }]);
      assert.equal(odd.wakeAt.toISOString(), '2026-04-17T08:00:00.000Z');
      assert.equal(odd.explanation, 'Причина: median of 5 past conversions: 38 days');
      const even = resolve(learned, { pastConversionsMs: days(20, 41, 30, 60) });
      assert.deepEqual(even.period, { days: 36 }); // (30 + 41) / 2 = 35.5 → 36
      assert.match(even.explanation, /median of 4 past conversions: 35\.5 days$/);
    });

    it('keeps it within [min, max]', () => {
      const fast = resolve(learned, { pastConversionsMs: days(1, 2, 3) });
      assert.deepEqual(fast.period, { weeks: 1 });
      assert.match(fast.explanation, /median of 3 past conversions: 2 days, raised to the minimum 1 week$/);
      const slow = resolve(learned, { pastConversionsMs: days(200, 300, 400) });
      assert.deepEqual(slow.period, { months: 6 });
      assert.match(slow.explanation, /300 days, lowered to the maximum 6 months$/);
    });

    it('too few samples (missing, zero or negative ones do not count) → otherwise', () => {
      const few = resolve(learned, { pastConversionsMs: [...days(30, 40), 0, -DAY, NaN] });
      assert.deepEqual(few.period, { months: 1 });
      assert.equal(few.explanation, 'Причина: only 2 past conversions (< 3); otherwise 1 month');
      assert.match(resolve(learned).explanation, /only 0 past conversions \(< 3\); otherwise 1 month/);
    });
  });

  describe('chosen by the manager', () => {
    it('a valid date in the date field wins', () => {
      const r = resolve(manager, { fields: { UF_CRM_RETURN_DATE: '2026-05-01T10:00:00+03:00', UF_CRM_RETURN_PERIOD: '45' } });
      assert.equal(r.basis, 'manager');
      assert.equal(r.wakeAt.toISOString(), '2026-05-01T07:00:00.000Z');
      assert.equal(r.period, undefined);
    });

    it('a list item maps to its period', () => {
      const r = resolve(manager, { fields: { UF_CRM_RETURN_PERIOD: 45 } });
      assert.equal(r.basis, 'manager');
      assert.deepEqual(r.period, { weeks: 2 });
      assert.equal(r.wakeAt.toISOString(), '2026-03-24T08:00:00.000Z');
    });

    it('nothing chosen → the default', () => {
      const r = resolve(manager, { fields: { UF_CRM_RETURN_DATE: '', UF_CRM_RETURN_PERIOD: null } });
      assert.equal(r.basis, 'default');
      assert.deepEqual(r.period, { months: 1 });
      assert.match(r.explanation, /manager chose nothing; default 1 month/);
    });

    it('a past, too far or invalid date → the list item or the default, saying why', () => {
      const past = resolve(manager, { fields: { UF_CRM_RETURN_DATE: '2026-03-01' } });
      assert.equal(past.basis, 'default');
      assert.match(past.explanation, /UF_CRM_RETURN_DATE rejected: .* in the past/);
      const far = resolve(manager, { fields: { UF_CRM_RETURN_DATE: '2030-01-01', UF_CRM_RETURN_PERIOD: '46' } });
      assert.equal(far.basis, 'manager');
      assert.deepEqual(far.period, { months: 1 });
      const invalid = resolve(manager, { fields: { UF_CRM_RETURN_DATE: 'завтра' } });
      assert.equal(invalid.basis, 'default');
      assert.match(invalid.explanation, /not a date/);
    });

    it('an unknown list item → the default', () => {
      const r = resolve(manager, { fields: { UF_CRM_RETURN_PERIOD: ['99'] } });
      assert.equal(r.basis, 'default');
      assert.match(r.explanation, /item "99" has no period/);
    });

    it('a date sent later (API/signal) wins over any rule, if within bounds', () => {
      const r = resolve({ kind: 'static', period: { months: 1 } }, { managerReturnAt: '2026-03-20T10:00:00+03:00' });
      assert.equal(r.basis, 'manager');
      assert.equal(r.wakeAt.toISOString(), '2026-03-20T07:00:00.000Z');
      const rejected = resolve({ kind: 'static', period: { months: 1 } }, { managerReturnAt: '2026-03-10T12:30:00+03:00' });
      assert.equal(rejected.basis, 'static');
      assert.match(rejected.explanation, /manager date rejected: .* sooner than 1 hour ahead/);
    });
  });

  describe('validateManagerDate', () => {
    it('accepts a date within bounds', () => {
      const check = validateManagerDate('2026-04-01T09:00:00+03:00', now, bounds, ZONE);
      assert.deepEqual(check, { ok: true, at: at('2026-04-01T09:00:00+03:00') });
    });

    it('rejects the past, too soon, too far and non-dates with the problem named', () => {
      const problem = (value: unknown) => {
        const check = validateManagerDate(value, now, bounds, ZONE);
        return check.ok ? 'ok' : check.problem;
      };
      assert.equal(problem('2026-03-09T12:00:00+03:00'), 'past');
      assert.equal(problem('2026-03-10T12:00:00+03:00'), 'past');
      assert.equal(problem('2026-03-10T12:59:00+03:00'), 'tooSoon');
      assert.equal(problem('2027-03-10T12:00:01+03:00'), 'tooFar');
      assert.equal(problem('2027-03-10T12:00:00+03:00'), 'ok');
      assert.equal(problem('not a date'), 'invalid');
      assert.equal(problem(42), 'invalid');
      assert.equal(problem('2026-02-30'), 'invalid');
    });

    it('reads date-only values as the start of that day in the zone, and Russian dates', () => {
      assert.equal(parseCrmDate('2026-12-01', ZONE)?.toISOString(), '2026-11-30T21:00:00.000Z');
      assert.equal(parseCrmDate('01.12.2026', ZONE)?.toISOString(), '2026-11-30T21:00:00.000Z');
      assert.equal(parseCrmDate('01.12.2026 10:30', ZONE)?.toISOString(), '2026-12-01T07:30:00.000Z');
      assert.equal(parseCrmDate('2026-12-01T10:00:00+05:00', ZONE)?.toISOString(), '2026-12-01T05:00:00.000Z');
      assert.equal(parseCrmDate('', ZONE), undefined);
      assert.equal(parseCrmDate(null, ZONE), undefined);
    });

    it('gives the bounds in milliseconds for validators', () => {
      assert.deepEqual(managerDateBoundsMs({ minAhead: { hours: 1 }, maxAhead: { days: 2 } }, now, ZONE), { minAheadMs: 3_600_000, maxAheadMs: 172_800_000 });
    });
  });
});
