import assert from 'node:assert/strict';
import {
  addDuration,
  duration,
  durationMs,
  durationToIso,
  formatDuration,
  parseDeadline,
  parseDuration,
  russianPlural,
  subtractDuration,
} from '../../src/domain/durations';
import { at } from './fixtures';

function parsed(text: string) {
  const result = parseDuration(text);
  assert.ok(result.ok, `expected "${text}" to parse: ${result.ok ? '' : result.error}`);
  return result.value;
}

function parseError(text: string): string {
  const result = parseDuration(text);
  assert.ok(!result.ok, `expected "${text}" to be rejected`);
  return result.error;
}

describe('durations', () => {
  describe('parseDuration', () => {
    it('reads ISO 8601 durations', () => {
      assert.deepEqual(parsed('P1M'), { months: 1 });
      assert.deepEqual(parsed('P2W'), { weeks: 2 });
      assert.deepEqual(parsed('P10D'), { days: 10 });
      assert.deepEqual(parsed('PT45M'), { minutes: 45 });
      assert.deepEqual(parsed('PT30S'), { seconds: 30 });
      assert.deepEqual(parsed('P1Y2M3DT4H5M6S'), { years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6 });
      assert.deepEqual(parsed('p1dt12h'), { days: 1, hours: 12 });
    });

    it('rejects broken ISO 8601', () => {
      for (const text of ['P', 'PT', 'P1X', 'P1H', 'PT1D', 'P1M2']) assert.match(parseError(text), /not an ISO 8601 duration/);
    });

    it('reads English words', () => {
      assert.deepEqual(parsed('2 weeks'), { weeks: 2 });
      assert.deepEqual(parsed('1 month'), { months: 1 });
      assert.deepEqual(parsed('10 days'), { days: 10 });
      assert.deepEqual(parsed('45 minutes'), { minutes: 45 });
      assert.deepEqual(parsed('30 seconds'), { seconds: 30 });
      assert.deepEqual(parsed('1 Year'), { years: 1 });
      assert.deepEqual(parsed('1 month and 2 weeks'), { months: 1, weeks: 2 });
      assert.deepEqual(parsed('1 hour, 30 minutes'), { hours: 1, minutes: 30 });
      assert.deepEqual(parsed('week'), { weeks: 1 });
    });

    it('reads short forms: 45m is minutes, 1mo is a month', () => {
      assert.deepEqual(parsed('45m'), { minutes: 45 });
      assert.deepEqual(parsed('1mo'), { months: 1 });
      assert.deepEqual(parsed('2w 3d'), { weeks: 2, days: 3 });
      assert.deepEqual(parsed('30s'), { seconds: 30 });
    });

    it('reads Russian words in every grammatical form', () => {
      assert.deepEqual(parsed('2 недели'), { weeks: 2 });
      assert.deepEqual(parsed('1 месяц'), { months: 1 });
      assert.deepEqual(parsed('3 месяца'), { months: 3 });
      assert.deepEqual(parsed('6 месяцев'), { months: 6 });
      assert.deepEqual(parsed('45 дней'), { days: 45 });
      assert.deepEqual(parsed('1 день'), { days: 1 });
      assert.deepEqual(parsed('2 дня'), { days: 2 });
      assert.deepEqual(parsed('1 год'), { years: 1 });
      assert.deepEqual(parsed('5 лет'), { years: 5 });
      assert.deepEqual(parsed('30 секунд'), { seconds: 30 });
      assert.deepEqual(parsed('45 минут'), { minutes: 45 });
      assert.deepEqual(parsed('1 месяц и 2 недели'), { months: 1, weeks: 2 });
      assert.deepEqual(parsed('неделю'), { weeks: 1 });
      assert.deepEqual(parsed('полгода'), { months: 6 });
    });

    it('rejects unknown units, numbers in words and negative amounts, saying why', () => {
      assert.match(parseError('1 mnth'), /unknown unit "mnth"/);
      assert.match(parseError('two weeks'), /unknown unit "two"/);
      assert.match(parseError('-1 day'), /cannot read/);
      assert.match(parseError('1 5 days'), /cannot read/);
      assert.match(parseError(''), /empty/);
      assert.match(parseError('   '), /empty/);
    });

    it('duration() throws on a bad text', () => {
      assert.deepEqual(duration('2 weeks'), { weeks: 2 });
      assert.throws(() => duration('soon'), /unknown unit/);
    });
  });

  describe('parseDeadline', () => {
    it('reads working days in English and Russian', () => {
      assert.deepEqual(parseDeadline('1 working day'), { ok: true, value: { workingDays: 1 } });
      assert.deepEqual(parseDeadline('3 business days'), { ok: true, value: { workingDays: 3 } });
      assert.deepEqual(parseDeadline('2 рабочих дня'), { ok: true, value: { workingDays: 2 } });
      assert.deepEqual(parseDeadline('1 рабочий день'), { ok: true, value: { workingDays: 1 } });
    });

    it('reads any other duration as a plain delay, and rejects nonsense', () => {
      assert.deepEqual(parseDeadline('4 hours'), { ok: true, value: { after: { hours: 4 } } });
      const bad = parseDeadline('tomorrowish');
      assert.equal(bad.ok, false);
    });
  });

  describe('addDuration', () => {
    it('adds a month at month end by the calendar (31 January → 28 February, 29 in a leap year)', () => {
      assert.equal(addDuration(at('2026-01-31T12:00:00+03:00'), { months: 1 }, 'Europe/Moscow').toISOString(), '2026-02-28T09:00:00.000Z');
      assert.equal(addDuration(at('2028-01-31T12:00:00+03:00'), { months: 1 }, 'Europe/Moscow').toISOString(), '2028-02-29T09:00:00.000Z');
      assert.equal(addDuration(at('2026-03-31T12:00:00+03:00'), { months: 1 }, 'Europe/Moscow').toISOString(), '2026-04-30T09:00:00.000Z');
    });

    it('counts months in the portal zone, not in UTC', () => {
      // 2026-01-30T22:00Z is already 31 January 01:00 in Moscow: +1 month is 28 February there.
      const instant = at('2026-01-30T22:00:00Z');
      assert.equal(addDuration(instant, { months: 1 }, 'Europe/Moscow').toISOString(), '2026-02-27T22:00:00.000Z');
      assert.equal(addDuration(instant, { months: 1 }, 'UTC').toISOString(), '2026-02-28T22:00:00.000Z');
    });

    it('keeps the clock time across a DST change for days, and adds hours exactly', () => {
      const saturdayNoon = at('2026-03-28T12:00:00+01:00'); // Berlin switches to CEST on Sunday 29 March
      assert.equal(addDuration(saturdayNoon, { days: 1 }, 'Europe/Berlin').toISOString(), '2026-03-29T10:00:00.000Z');
      assert.equal(addDuration(saturdayNoon, { hours: 24 }, 'Europe/Berlin').toISOString(), '2026-03-29T11:00:00.000Z');
      assert.equal(durationMs({ days: 1 }, saturdayNoon, 'Europe/Berlin'), 23 * 3600 * 1000);
    });

    it('adds seconds and minutes for the demo', () => {
      const t = at('2026-03-10T10:00:00+03:00');
      assert.equal(addDuration(t, { seconds: 30 }, 'Europe/Moscow').toISOString(), '2026-03-10T07:00:30.000Z');
      assert.equal(addDuration(t, { minutes: 45 }, 'Europe/Moscow').toISOString(), '2026-03-10T07:45:00.000Z');
    });

    it('subtracts calendar units the same way', () => {
      assert.equal(subtractDuration(at('2026-03-31T12:00:00+03:00'), { months: 1 }, 'Europe/Moscow').toISOString(), '2026-02-28T09:00:00.000Z');
      assert.equal(subtractDuration(at('2026-06-01T09:00:00+03:00'), { weeks: 1 }, 'Europe/Moscow').toISOString(), '2026-05-25T06:00:00.000Z');
    });
  });

  describe('formatting', () => {
    it('writes ISO 8601', () => {
      assert.equal(durationToIso({ months: 1, weeks: 2 }), 'P1M2W');
      assert.equal(durationToIso({ days: 1, hours: 12 }), 'P1DT12H');
      assert.equal(durationToIso({ seconds: 30 }), 'PT30S');
      assert.equal(durationToIso({}), 'PT0S');
    });

    it('writes English and Russian words with the right plural', () => {
      assert.equal(formatDuration({ months: 1, weeks: 2 }), '1 month 2 weeks');
      assert.equal(formatDuration({ months: 1, weeks: 2 }, 'ru'), '1 месяц 2 недели');
      assert.equal(formatDuration({ days: 21 }, 'ru'), '21 день');
      assert.equal(formatDuration({ days: 3 }, 'ru'), '3 дня');
      assert.equal(formatDuration({ days: 5 }, 'ru'), '5 дней');
      assert.equal(formatDuration({ days: 12 }, 'ru'), '12 дней');
      assert.equal(formatDuration({ years: 5 }, 'ru'), '5 лет');
      assert.equal(formatDuration({ weeks: 1 }, 'ruAccusative'), '1 неделю');
      assert.equal(formatDuration({ weeks: 2 }, 'ruAccusative'), '2 недели');
      assert.equal(formatDuration({}), '0 seconds');
    });

    it('picks Russian plural forms by the last digits', () => {
      const forms = ['месяц', 'месяца', 'месяцев'] as const;
      assert.deepEqual([1, 2, 4, 5, 11, 14, 21, 22, 25, 111].map((n) => russianPlural(n, forms)), [
        'месяц', 'месяца', 'месяца', 'месяцев', 'месяцев', 'месяцев', 'месяц', 'месяца', 'месяцев', 'месяцев',
      ]);
    });
  });
});
