/**
 * The business calendar: reactivations and to-dos are created on working days, in working hours,
 * in the portal's time zone — not on Saturday at 03:00 — and at most N per manager per day.
 * All clock arithmetic is done in the zone with luxon, so DST changes are safe.
 */
import { DateTime } from 'luxon';
import type { Deadline } from './durations';
import { addDuration, durationMs } from './durations';
import type { Calendar } from './types';

/** No search walks further than this many days (a calendar with no working day at all). */
const MAX_DAYS = 3660;

/** A local calendar day in the zone, "YYYY-MM-DD": the key of per-day counts. */
export function localDay(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISODate()!;
}

/** Whether the local day of `day` is a working day: a working weekday or a transferred one, not a holiday. */
export function isWorkingDay(day: DateTime, calendar: Calendar): boolean {
  const date = day.toISODate()!;
  if (calendar.holidays.includes(date)) return false;
  if (calendar.workingWeekends.includes(date)) return true;
  return calendar.workingDays.includes(day.weekday);
}

function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return h! * 60 + m!;
}

/** The local instant `clock` ("09:00", "24:00") on the day of `day`. */
function at(day: DateTime, clock: string): DateTime {
  const minutes = minutesOf(clock);
  const start = day.startOf('day');
  if (minutes >= 24 * 60) return start.plus({ days: 1 });
  return start.set({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
}

function opening(day: DateTime, calendar: Calendar): DateTime {
  return at(day, calendar.workingHours.from);
}

function closing(day: DateTime, calendar: Calendar): DateTime {
  return at(day, calendar.workingHours.to);
}

export interface SlotOptions {
  /** Spreads slots moved to a day's opening over `calendar.spread` (uniform in [0, 1)). */
  random?: () => number;
}

/**
 * The first working moment at or after `instant`: itself if inside working hours of a working
 * day, else the next opening (Saturday 03:00 → Monday 09:00), plus an optional spread so that
 * moved items do not all land on 09:00:00.
 */
export function nextWorkingSlot(instant: Date, calendar: Calendar, options: SlotOptions = {}): Date {
  let moment = DateTime.fromJSDate(instant, { zone: calendar.timeZone });
  for (let i = 0; i < MAX_DAYS; i++) {
    if (isWorkingDay(moment, calendar)) {
      const open = opening(moment, calendar);
      const close = closing(moment, calendar);
      if (moment < open) return spreadFrom(open, close, calendar, options);
      if (moment < close) return moment.toJSDate();
    }
    moment = moment.startOf('day').plus({ days: 1 });
  }
  throw new Error(`the business calendar has no working time within ${MAX_DAYS} days of ${instant.toISOString()}`);
}

function spreadFrom(open: DateTime, close: DateTime, calendar: Calendar, options: SlotOptions): Date {
  if (!calendar.spread || !options.random) return open.toJSDate();
  const window = Math.min(durationMs(calendar.spread, open.toJSDate(), calendar.timeZone), close.toMillis() - open.toMillis());
  const offset = Math.floor(Math.min(Math.max(options.random(), 0), 0.999999) * window);
  return new Date(open.toMillis() + offset);
}

/**
 * `days` working days after `instant`, at the same local clock time kept within working hours
 * (Friday 17:00 + 1 → Monday 17:00; Friday 20:00 + 1 → Monday 18:00).
 */
export function addWorkingDays(instant: Date, days: number, calendar: Calendar): Date {
  const start = DateTime.fromJSDate(instant, { zone: calendar.timeZone });
  let day = start.startOf('day');
  let counted = 0;
  for (let i = 0; counted < days; i++) {
    if (i >= MAX_DAYS) throw new Error(`the business calendar has no ${days} working days within ${MAX_DAYS} days`);
    day = day.plus({ days: 1 });
    if (isWorkingDay(day, calendar)) counted++;
  }
  const sameClock = day.set({ hour: start.hour, minute: start.minute, second: start.second, millisecond: start.millisecond });
  const open = opening(day, calendar);
  const close = closing(day, calendar);
  if (sameClock < open) return open.toJSDate();
  if (sameClock > close) return close.toJSDate();
  return sameClock.toJSDate();
}

/** A to-do's deadline: N working days later, or a plain duration later. */
export function todoDeadline(createdAt: Date, deadline: Deadline, calendar: Calendar): Date {
  if ('workingDays' in deadline) return addWorkingDays(createdAt, deadline.workingDays, calendar);
  return addDuration(createdAt, deadline.after, calendar.timeZone);
}

export interface CappedSlot {
  at: Date;
  /** The local day the slot counts against ("YYYY-MM-DD"). */
  day: string;
  moved: boolean;
  why: string;
}

/**
 * Keeps a manager within a daily cap: if the slot's day already has `cap` reactivations
 * (counts per local day, see localDay), the slot moves to the next working day's opening.
 * `cap` null means no cap.
 */
export function applyDailyCap(
  slot: Date,
  countsPerDay: Readonly<Record<string, number>>,
  cap: number | null,
  calendar: Calendar,
  options: SlotOptions = {},
): CappedSlot {
  const zone = calendar.timeZone;
  if (cap === null) return { at: slot, day: localDay(slot, zone), moved: false, why: 'no daily cap' };
  const full: string[] = [];
  let candidate = slot;
  for (let i = 0; i < MAX_DAYS; i++) {
    const day = localDay(candidate, zone);
    const used = countsPerDay[day] ?? 0;
    if (used < cap) {
      const why = full.length === 0 ? `${used} of ${cap} used on ${day}` : `daily cap ${cap} reached on ${full.join(', ')}; moved to ${day}`;
      return { at: candidate, day, moved: full.length > 0, why };
    }
    full.push(day);
    const nextDay = DateTime.fromJSDate(candidate, { zone }).startOf('day').plus({ days: 1 }).toJSDate();
    candidate = nextWorkingSlot(nextDay, calendar, options);
  }
  throw new Error(`daily cap ${cap} is full on every day within ${MAX_DAYS} days`);
}

/** A date as managers read it in the portal zone: "01.12.2026 09:00" (no locale data needed). */
export function formatLocal(instant: Date, zone: string, withTime = true): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat(withTime ? 'dd.LL.yyyy HH:mm' : 'dd.LL.yyyy');
}
