/**
 * Test helpers for the domain tests: calendars and rules built through the real loader, so a
 * fixture cannot drift from the schema.
 */
import { loadRulesText } from '../../src/config/rules';
import type { Calendar, Rules } from '../../src/domain';

/** Mon–Fri 09:00–18:00 in Moscow, no holidays (override what a test needs). */
export function office(overrides: Partial<Calendar> = {}): Calendar {
  return {
    timeZone: 'Europe/Moscow',
    workingDays: [1, 2, 3, 4, 5],
    workingHours: { from: '09:00', to: '18:00' },
    holidays: [],
    workingWeekends: [],
    ...overrides,
  };
}

/** An instant from ISO 8601 text (always with an offset in these tests). */
export function at(iso: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`bad test date ${iso}`);
  return date;
}

export function rulesFrom(yaml: string): Rules {
  return loadRulesText(yaml, 'test rules');
}
