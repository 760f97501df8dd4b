import assert from 'node:assert/strict';
import { returnReminders, whoToNotify } from '../../src/domain/notifications';
import { at } from './fixtures';

describe('notifications', () => {
  it('plans reminders before the return: future ones only, earliest first, no duplicates', () => {
    const returnAt = at('2026-04-10T09:00:00+03:00');
    const now = at('2026-04-08T12:00:00+03:00');
    const times = returnReminders(returnAt, [{ days: 1 }, { weeks: 1 }, { days: 1 }, { hours: 2 }], now, 'Europe/Moscow');
    assert.deepEqual(times.map((t) => t.toISOString()), ['2026-04-09T06:00:00.000Z', '2026-04-10T04:00:00.000Z']);
  });

  it('never reminds at or after the return itself', () => {
    const returnAt = at('2026-04-10T09:00:00+03:00');
    assert.deepEqual(returnReminders(returnAt, [{ seconds: 0 }], at('2026-04-01T00:00:00+03:00'), 'Europe/Moscow'), []);
  });

  it('tells the manager, the head, or both once', () => {
    assert.deepEqual(whoToNotify({ manager: true, head: true }, { managerId: 7, headId: 1 }), [7, 1]);
    assert.deepEqual(whoToNotify({ manager: false, head: true }, { managerId: 7, headId: 1 }), [1]);
    assert.deepEqual(whoToNotify({ manager: true, head: true }, { managerId: 1, headId: 1 }), [1]);
    assert.deepEqual(whoToNotify({ manager: true, head: true }, {}), []);
  });
});
