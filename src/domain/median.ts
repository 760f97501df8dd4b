/** A learned period: the median of observed durations, kept within [min, max]. */
import { durationMs, formatDuration, type Duration } from './durations';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ClampedMedian {
  /** Whole days (whole seconds under a day), or `min`/`max` when clamped. */
  period: Duration;
  medianMs: number;
  clamped?: 'min' | 'max';
}

/** The median of `samplesMs` (not empty) within [min, max], the bounds counted from `from`. */
export function clampedMedian(samplesMs: readonly number[], bounds: { min: Duration; max: Duration }, from: Date, zone: string): ClampedMedian {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  if (medianMs < durationMs(bounds.min, from, zone)) return { period: bounds.min, medianMs, clamped: 'min' };
  if (medianMs > durationMs(bounds.max, from, zone)) return { period: bounds.max, medianMs, clamped: 'max' };
  return { period: medianMs >= DAY_MS ? { days: Math.round(medianMs / DAY_MS) } : { seconds: Math.round(medianMs / 1000) }, medianMs };
}

/** "38.5 days", ", raised to the minimum 1 week" / ", lowered to the maximum 3 months" when clamped. */
export function describeMedian(m: ClampedMedian): string {
  const ms = m.medianMs;
  const text = ms >= DAY_MS ? `${Math.round((ms / DAY_MS) * 10) / 10} days` : `${Math.round(ms / 1000)} seconds`;
  if (!m.clamped) return text;
  return `${text}, ${m.clamped === 'min' ? 'raised to the minimum' : 'lowered to the maximum'} ${formatDuration(m.period)}`;
}
