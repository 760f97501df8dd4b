/**
 * What a return period reads beyond the lost element: the catalog sections of its products
 * (a `bySection` period) and the waits that converted before (a `learned` period).
 */
import type { Deal } from '../../bitrix24';
import { restDateTime } from '../../bitrix24';
import { subtractDuration, type EffectiveLostRule, type Marks } from '../../domain';
import { ORIGINATOR, type ActivityDeps } from '../shared';

/** A `learned` return period reads at most this many latest won reactivations. */
const LEARNED_SAMPLES = 100;
const HOUR_MS = 3_600_000;

/** Catalog sections of the products (only when a rule computes the period by section). */
export async function sectionsOf(deps: ActivityDeps, productIds: number[], rule: EffectiveLostRule): Promise<number[]> {
  if (productIds.length === 0 || (rule.returnPeriod as { kind?: string }).kind !== 'bySection') return [];
  const products = await deps.crm.listProducts({ '@ID': productIds }, ['ID', 'SECTION_ID']);
  return products.map((p) => p.sectionId).filter((s): s is number => s !== null);
}

/**
 * The waits that converted (only for a `learned` rule): for the latest LEARNED_SAMPLES first
 * reactivations of the rule's reason won within its lookback (found by their marks), the time
 * from their source deal's loss (MOVED_TIME, as the loss key) to the reactivation deal's
 * creation. Measured to the creation, not to the win: a period learned from loss-to-win times
 * would grow by the closing time with every generation. Cost: at most 2 + 2 requests
 * (crm.deal.list, pages of 50), once an hour per reason: the samples per reason and lookback are
 * reused for an hour, as a backfill plans many losses of one reason.
 */
export function createLearnedReader(deps: ActivityDeps) {
  const cache = new Map<string, { at: number; samples: Promise<number[]> }>();
  return async function pastConversionsOf(rule: EffectiveLostRule, at: Date): Promise<number[] | undefined> {
    const period = rule.returnPeriod;
    if (period.kind !== 'learned' || rule.entity !== 'deal') return undefined;
    const key = JSON.stringify([rule.reason.name, period.lookback, rule.marks]);
    const hit = cache.get(key);
    if (hit && Math.abs(at.getTime() - hit.at) < HOUR_MS) return hit.samples;
    const samples = readPastConversions(deps, rule.marks, rule.reason.name, subtractDuration(at, period.lookback, rule.calendar.timeZone));
    cache.set(key, { at: at.getTime(), samples });
    samples.catch(() => cache.delete(key));
    return samples;
  };
}

async function readPastConversions(deps: ActivityDeps, { sourceField, reasonField, attemptField }: Marks, reason: string, since: Date): Promise<number[]> {
  const won = await deps.crm.listDeals(
    {
      ORIGINATOR_ID: ORIGINATOR,
      STAGE_SEMANTIC_ID: 'S',
      [reasonField]: reason,
      // A later attempt's source deal was lost for another reason, at another moment.
      [attemptField]: 1,
      // Won within the lookback: a won deal's MOVED_TIME is its move into the won stage (the
      // purchase moment while it stays won); CLOSEDATE may still be the planned date.
      '>=MOVED_TIME': restDateTime(since),
    },
    ['ID', 'DATE_CREATE', sourceField],
    { MOVED_TIME: 'DESC' },
    { max: LEARNED_SAMPLES },
  );
  const sourceOf = (d: Deal) => Number(d.userFields[sourceField]) || 0;
  const ids = [...new Set(won.map(sourceOf).filter((id) => id > 0))];
  if (ids.length === 0) return [];
  const sources = await deps.crm.listDeals({ '@ID': ids }, ['ID', 'MOVED_TIME', 'DATE_MODIFY']);
  const lostAt = new Map(sources.map((d) => [d.id, Date.parse(d.movedAt ?? d.modifiedAt ?? '')]));
  // Missing or non-positive samples are dropped by the domain.
  return won.map((d) => Date.parse(d.createdAt ?? '') - (lostAt.get(sourceOf(d)) ?? NaN));
}
