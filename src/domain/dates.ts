/**
 * Dates as Bitrix24 fields hold them: ISO 8601 with or without time ("2026-12-01T10:00:00+03:00",
 * "2026-12-01"), or the Russian "01.12.2026". A date without time is the start of that day in
 * the portal zone.
 */
import { DateTime } from 'luxon';

export function parseCrmDate(value: unknown, zone: string): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  const russian = /^(\d{2})\.(\d{2})\.(\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  const parsed = russian
    ? DateTime.fromObject(
        {
          day: Number(russian[1]),
          month: Number(russian[2]),
          year: Number(russian[3]),
          hour: Number(russian[4] ?? 0),
          minute: Number(russian[5] ?? 0),
          second: Number(russian[6] ?? 0),
        },
        { zone },
      )
    : DateTime.fromISO(text, { zone, setZone: true });
  return parsed.isValid ? parsed.toJSDate() : undefined;
}
