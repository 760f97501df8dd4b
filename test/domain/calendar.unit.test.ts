import assert from 'node:assert/strict';
import { addWorkingDays, applyDailyCap, formatLocal, localDay, nextWorkingSlot, todoDeadline } from '../../src/domain/calendar';
import { at, office } from './fixtures';

const iso = (d: Date) => d.toISOString();

describe('business calendar', () => {
  describe('nextWorkingSlot', () => {
    it('moves Saturday 03:00 to Monday 09:00 in the portal zone', () => {
      assert.equal(iso(nextWorkingSlot(at('2026-03-07T03:00:00+03:00'), office())), '2026-03-09T06:00:00.000Z');
    });

    it('keeps a moment inside working hours as it is', () => {
      const tuesday = at('2026-03-10T11:17:23+03:00');
      assert.equal(iso(nextWorkingSlot(tuesday, office())), iso(tuesday));
    });

    it('moves after-hours to the next morning, and early morning to the opening the same day', () => {
      assert.equal(iso(nextWorkingSlot(at('2026-03-10T19:30:00+03:00'), office())), '2026-03-11T06:00:00.000Z');
      assert.equal(iso(nextWorkingSlot(at('2026-03-10T07:00:00+03:00'), office())), '2026-03-10T06:00:00.000Z');
      // The closing minute itself is already out of hours.
      assert.equal(iso(nextWorkingSlot(at('2026-03-10T18:00:00+03:00'), office())), '2026-03-11T06:00:00.000Z');
    });

    it('moves Friday evening over the weekend', () => {
      assert.equal(iso(nextWorkingSlot(at('2026-03-06T20:00:00+03:00'), office())), '2026-03-09T06:00:00.000Z');
    });

    it('skips holidays and works transferred weekend days', () => {
      const holidays = office({ holidays: ['2026-03-09'] });
      assert.equal(iso(nextWorkingSlot(at('2026-03-07T03:00:00+03:00'), holidays)), '2026-03-10T06:00:00.000Z');
      const workingSaturday = office({ workingWeekends: ['2026-03-07'] });
      assert.equal(iso(nextWorkingSlot(at('2026-03-07T03:00:00+03:00'), workingSaturday)), '2026-03-07T06:00:00.000Z');
    });

    it('uses the zone: the same instant is Sunday night in Moscow and Sunday afternoon in Los Angeles', () => {
      const instant = at('2026-03-08T20:00:00Z'); // Sunday 23:00 in Moscow, Sunday 13:00 in Los Angeles
      assert.equal(iso(nextWorkingSlot(instant, office())), '2026-03-09T06:00:00.000Z');
      const la = office({ timeZone: 'America/Los_Angeles' });
      assert.equal(iso(nextWorkingSlot(instant, la)), '2026-03-09T16:00:00.000Z'); // Monday 09:00 PDT
    });

    it('is DST-safe: Friday evening in Berlin → Monday 09:00 CEST after the spring change', () => {
      const berlin = office({ timeZone: 'Europe/Berlin' });
      // Friday 27 March 19:00 CET (UTC+1); the clocks go forward on Sunday 29 March.
      assert.equal(iso(nextWorkingSlot(at('2026-03-27T19:00:00+01:00'), berlin)), '2026-03-30T07:00:00.000Z');
      // Autumn: Friday 23 October 19:00 CEST → Monday 26 October 09:00 CET (UTC+1).
      assert.equal(iso(nextWorkingSlot(at('2026-10-23T19:00:00+02:00'), berlin)), '2026-10-26T08:00:00.000Z');
    });

    it('never moves anything on a 24/7 calendar', () => {
      const always = office({ workingDays: [1, 2, 3, 4, 5, 6, 7], workingHours: { from: '00:00', to: '24:00' } });
      for (const t of ['2026-03-08T03:00:00+03:00', '2026-03-07T23:59:59+03:00', '2026-03-09T00:00:00+03:00']) {
        assert.equal(iso(nextWorkingSlot(at(t), always)), iso(at(t)));
      }
    });

    it('spreads moved slots over the spread window with the given random, and only moved ones', () => {
      const spread = office({ spread: { hours: 2 } });
      assert.equal(iso(nextWorkingSlot(at('2026-03-07T03:00:00+03:00'), spread, { random: () => 0.5 })), '2026-03-09T07:00:00.000Z');
      assert.equal(iso(nextWorkingSlot(at('2026-03-07T03:00:00+03:00'), spread)), '2026-03-09T06:00:00.000Z');
      const inside = at('2026-03-10T11:00:00+03:00');
      assert.equal(iso(nextWorkingSlot(inside, spread, { random: () => 0.9 })), iso(inside));
    });

    it('finds a working day far ahead (Saturdays only)', () => {
      const saturdays = office({ workingDays: [6] });
      assert.equal(iso(nextWorkingSlot(at('2026-03-09T10:00:00+03:00'), saturdays)), '2026-03-14T06:00:00.000Z');
    });

    it('fails loudly on a calendar with no working time at all', () => {
      assert.throws(() => nextWorkingSlot(at('2026-03-09T10:00:00+03:00'), office({ workingDays: [] })), /no working time/);
    });
  });

  describe('addWorkingDays and to-do deadlines', () => {
    it('Friday 17:00 + 1 working day is Monday 17:00', () => {
      assert.equal(iso(addWorkingDays(at('2026-03-06T17:00:00+03:00'), 1, office())), '2026-03-09T14:00:00.000Z');
    });

    it('keeps the time within working hours', () => {
      assert.equal(iso(addWorkingDays(at('2026-03-06T20:00:00+03:00'), 1, office())), '2026-03-09T15:00:00.000Z');
      assert.equal(iso(addWorkingDays(at('2026-03-06T06:00:00+03:00'), 1, office())), '2026-03-09T06:00:00.000Z');
    });

    it('skips holidays', () => {
      assert.equal(iso(addWorkingDays(at('2026-03-06T10:00:00+03:00'), 2, office({ holidays: ['2026-03-09'] }))), '2026-03-11T07:00:00.000Z');
    });

    it('todoDeadline takes working days or a plain duration', () => {
      const friday = at('2026-03-06T17:00:00+03:00');
      assert.equal(iso(todoDeadline(friday, { workingDays: 1 }, office())), '2026-03-09T14:00:00.000Z');
      assert.equal(iso(todoDeadline(friday, { after: { hours: 4 } }, office())), '2026-03-06T18:00:00.000Z');
    });
  });

  describe('applyDailyCap', () => {
    const tuesday10 = at('2026-03-10T10:00:00+03:00');

    it('keeps the slot while the manager is under the cap', () => {
      const capped = applyDailyCap(tuesday10, { '2026-03-10': 1 }, 2, office());
      assert.equal(iso(capped.at), iso(tuesday10));
      assert.equal(capped.moved, false);
      assert.equal(capped.day, '2026-03-10');
    });

    it('moves the excess to the next working day opening', () => {
      const capped = applyDailyCap(tuesday10, { '2026-03-10': 2 }, 2, office());
      assert.equal(iso(capped.at), '2026-03-11T06:00:00.000Z');
      assert.equal(capped.moved, true);
      assert.match(capped.why, /daily cap 2 reached on 2026-03-10; moved to 2026-03-11/);
    });

    it('walks over several full days and the weekend', () => {
      const friday = at('2026-03-13T10:00:00+03:00');
      const capped = applyDailyCap(friday, { '2026-03-13': 5, '2026-03-16': 7 }, 5, office());
      assert.equal(iso(capped.at), '2026-03-17T06:00:00.000Z');
      assert.equal(capped.day, '2026-03-17');
    });

    it('does nothing without a cap', () => {
      const capped = applyDailyCap(tuesday10, { '2026-03-10': 1000 }, null, office());
      assert.equal(iso(capped.at), iso(tuesday10));
      assert.equal(capped.moved, false);
    });
  });

  describe('local days', () => {
    it('counts the day in the zone (late evening UTC is the next day in Moscow)', () => {
      assert.equal(localDay(at('2026-03-10T22:30:00Z'), 'Europe/Moscow'), '2026-03-11');
      assert.equal(localDay(at('2026-03-10T22:30:00Z'), 'UTC'), '2026-03-10');
    });

    it('formats dates as managers read them', () => {
      assert.equal(formatLocal(at('2026-12-01T06:00:00Z'), 'Europe/Moscow'), '01.12.2026 09:00');
      assert.equal(formatLocal(at('2026-12-01T06:00:00Z'), 'Europe/Moscow', false), '01.12.2026');
    });
  });
});
