/**
 * Durations (сроки): return periods, purchase periods, reminder offsets.
 *
 * Written in the rules file as ISO 8601 (`P1M`, `P2W`, `PT45M`, `PT30S`) or in words, English or
 * Russian (`2 weeks`, `1 month`, `10 days`, `45 minutes`, `30 seconds`, `2 недели`, `1 месяц`,
 * `45 дней`, `полгода`). Calendar units (years, months, weeks, days) are added in the portal's
 * time zone, so "1 month" from 31 January is the end of February and "1 day" across a DST change
 * keeps the clock time; hours, minutes and seconds are exact.
 */
import { DateTime } from 'luxon';

export const DURATION_UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];

/** A plain, JSON-safe duration: whole non-negative numbers per unit. */
export type Duration = { readonly [U in DurationUnit]?: number };

/** A to-do deadline: whole working days of the business calendar, or a plain duration. */
export type Deadline = { readonly workingDays: number } | { readonly after: Duration };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ISO_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i;

/** Unit words, English and Russian (all grammatical forms in use), lower case. */
const UNIT_WORDS: Readonly<Record<DurationUnit, readonly string[]>> = {
  seconds: ['s', 'sec', 'secs', 'second', 'seconds', 'с', 'сек', 'секунда', 'секунды', 'секунд', 'секунду'],
  minutes: ['m', 'min', 'mins', 'minute', 'minutes', 'мин', 'минута', 'минуты', 'минут', 'минуту'],
  hours: ['h', 'hr', 'hrs', 'hour', 'hours', 'ч', 'час', 'часа', 'часов'],
  days: ['d', 'day', 'days', 'д', 'дн', 'день', 'дня', 'дней', 'сутки', 'суток'],
  weeks: ['w', 'wk', 'wks', 'week', 'weeks', 'нед', 'неделя', 'недели', 'недель', 'неделю'],
  months: ['mo', 'mon', 'mos', 'month', 'months', 'мес', 'месяц', 'месяца', 'месяцев'],
  years: ['y', 'yr', 'yrs', 'year', 'years', 'г', 'год', 'года', 'лет'],
};

const UNIT_BY_WORD: ReadonlyMap<string, DurationUnit> = new Map(
  DURATION_UNITS.flatMap((unit) => UNIT_WORDS[unit].map((word) => [word, unit] as const)),
);

/** Whole phrases that name a duration without a number. */
const PHRASES: Readonly<Record<string, Duration>> = {
  полгода: { months: 6 },
  'half a year': { months: 6 },
};

const DURATION_HELP =
  'expected a duration such as "2 weeks", "1 month", "45 minutes", "30 seconds", "2 недели", "1 месяц" or ISO 8601 "P1M", "P2W", "PT30S"';

/** Parses a duration written in ISO 8601 or in English/Russian words. */
export function parseDuration(text: string): Parsed<Duration> {
  const source = text.trim();
  if (source === '') return { ok: false, error: `${DURATION_HELP}; got an empty text` };
  if (/^P/i.test(source)) return parseIsoDuration(source);
  return parseWordsDuration(source);
}

/** Like parseDuration, for constants and tests: throws on a bad text. */
export function duration(text: string): Duration {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function parseIsoDuration(source: string): Parsed<Duration> {
  const match = ISO_DURATION.exec(source);
  if (!match || /T$/i.test(source) || source.length === 1) {
    return { ok: false, error: `${DURATION_HELP}; "${source}" is not an ISO 8601 duration` };
  }
  const value: Record<string, number> = {};
  const units: DurationUnit[] = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'];
  units.forEach((unit, i) => {
    const group = match[i + 1];
    if (group !== undefined) value[unit] = Number(group);
  });
  return { ok: true, value };
}

function parseWordsDuration(source: string): Parsed<Duration> {
  const normalized = source
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/,/g, ' ')
    .replace(/\s+(and|и)\s+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const phrase = PHRASES[normalized];
  if (phrase) return { ok: true, value: { ...phrase } };

  const value: Partial<Record<DurationUnit, number>> = {};
  const token = /(\d+)?\s*([a-zа-я]+)\.?\s*/y;
  let position = 0;
  while (position < normalized.length) {
    token.lastIndex = position;
    const match = token.exec(normalized);
    if (!match) return { ok: false, error: `${DURATION_HELP}; cannot read "${source}"` };
    const [, amount, word] = match;
    const unit = UNIT_BY_WORD.get(word!);
    if (!unit) return { ok: false, error: `${DURATION_HELP}; unknown unit "${word}" in "${source}"` };
    value[unit] = (value[unit] ?? 0) + (amount === undefined ? 1 : Number(amount));
    position = token.lastIndex;
  }
  return { ok: true, value };
}

/** "1 working day", "2 рабочих дня" → working days; anything else → a plain duration. */
export function parseDeadline(text: string): Parsed<Deadline> {
  const match = /^\s*(\d+)?\s*(working|business|рабоч(?:ий|их|его))\s+(days?|дн(?:я|ей|ь)|день)\s*$/i.exec(text);
  if (match) return { ok: true, value: { workingDays: match[1] === undefined ? 1 : Number(match[1]) } };
  const parsed = parseDuration(text);
  if (parsed.ok) return { ok: true, value: { after: parsed.value } };
  return { ok: false, error: `expected "N working days" (e.g. "1 working day", "2 рабочих дня") or ${parsed.error.replace(/^expected /, '')}` };
}

export function isZeroDuration(d: Duration): boolean {
  return DURATION_UNITS.every((unit) => !d[unit]);
}

/** Adds a duration to an instant: calendar units in the zone, time units exactly. */
export function addDuration(instant: Date, d: Duration, zone: string): Date {
  return DateTime.fromJSDate(instant, { zone }).plus(d).toJSDate();
}

/** Subtracts a duration from an instant (e.g. "1 week before the expiry date"). */
export function subtractDuration(instant: Date, d: Duration, zone: string): Date {
  return DateTime.fromJSDate(instant, { zone }).minus(d).toJSDate();
}

/** The length of a duration in milliseconds when counted from `from` (months vary). */
export function durationMs(d: Duration, from: Date, zone: string): number {
  return addDuration(from, d, zone).getTime() - from.getTime();
}

/** ISO 8601 form: { months: 1, weeks: 2 } → "P1M2W". Used in keys and logs. */
export function durationToIso(d: Duration): string {
  const date = `${part(d.years, 'Y')}${part(d.months, 'M')}${part(d.weeks, 'W')}${part(d.days, 'D')}`;
  const time = `${part(d.hours, 'H')}${part(d.minutes, 'M')}${part(d.seconds, 'S')}`;
  if (!date && !time) return 'PT0S';
  return `P${date}${time ? `T${time}` : ''}`;
}

function part(n: number | undefined, letter: string): string {
  return n ? `${n}${letter}` : '';
}

const ENGLISH: Readonly<Record<DurationUnit, string>> = {
  years: 'year',
  months: 'month',
  weeks: 'week',
  days: 'day',
  hours: 'hour',
  minutes: 'minute',
  seconds: 'second',
};

/** Russian forms for 1, 2–4 and 5+ (год / года / лет). */
const RUSSIAN: Readonly<Record<DurationUnit, readonly [string, string, string]>> = {
  years: ['год', 'года', 'лет'],
  months: ['месяц', 'месяца', 'месяцев'],
  weeks: ['неделя', 'недели', 'недель'],
  days: ['день', 'дня', 'дней'],
  hours: ['час', 'часа', 'часов'],
  minutes: ['минута', 'минуты', 'минут'],
  seconds: ['секунда', 'секунды', 'секунд'],
};

/** Picks the Russian noun form for a number: 1 месяц, 2 месяца, 5 месяцев, 21 месяц. */
export function russianPlural(n: number, forms: readonly [string, string, string]): string {
  const lastTwo = Math.abs(n) % 100;
  const last = lastTwo % 10;
  if (lastTwo >= 11 && lastTwo <= 14) return forms[2];
  if (last === 1) return forms[0];
  if (last >= 2 && last <= 4) return forms[1];
  return forms[2];
}

/** Accusative singular where it differs ("за 1 неделю", "через 1 минуту"). */
const RUSSIAN_ACCUSATIVE_ONE: Partial<Record<DurationUnit, string>> = { weeks: 'неделю', minutes: 'минуту', seconds: 'секунду' };

/**
 * Human text: "1 month 2 weeks" / "1 месяц 2 недели"; zero is "0 seconds" / "0 секунд".
 * `ruAccusative` is for "за 1 неделю" / "через 3 дня".
 */
export function formatDuration(d: Duration, language: 'en' | 'ru' | 'ruAccusative' = 'en'): string {
  const parts = DURATION_UNITS.filter((unit) => d[unit]).map((unit) => {
    const n = d[unit]!;
    if (language !== 'en') {
      const word = russianPlural(n, RUSSIAN[unit]);
      const accusative = language === 'ruAccusative' && word === RUSSIAN[unit][0] ? RUSSIAN_ACCUSATIVE_ONE[unit] : undefined;
      return `${n} ${accusative ?? word}`;
    }
    return `${n} ${ENGLISH[unit]}${n === 1 ? '' : 's'}`;
  });
  if (parts.length > 0) return parts.join(' ');
  return language === 'en' ? '0 seconds' : '0 секунд';
}
