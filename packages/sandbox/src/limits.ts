/**
 * The two REST limits of a cloud portal (limits.md):
 *  - request rate: a leaky bucket per portal and source IP — +1 per HTTP request, −Y per second;
 *    a request that would take the counter over X is refused with 503 QUERY_LIMIT_EXCEEDED
 *    (standard: Y=2, X=50; enterprise: Y=5, X=250). `batch` is one request.
 *  - resource intensity: per method and caller, execution time summed in one-minute baskets that
 *    live 10 minutes from their first call; while the sum exceeds the budget the method answers
 *    429 OPERATION_TIME_LIMIT. `time.operating` / `time.operating_reset_at` report it. The outer
 *    `batch` is not counted; its sub-calls are, each against its own method.
 */

export interface LimitsConfig {
  enabled: boolean;
  preset: 'standard' | 'enterprise';
  drainPerSecond: number;
  burst: number;
  operatingBudgetSeconds: number;
  /** A fixed simulated execution time per call; unset = the built-in cost model. */
  operatingCostSeconds?: number;
}

export const PRESETS = {
  standard: { drainPerSecond: 2, burst: 50 },
  enterprise: { drainPerSecond: 5, burst: 250 },
} as const;

/** Budget from the example in limits.md (480 s per 10 minutes). */
export const DEFAULT_OPERATING_BUDGET = 480;

export function resolveLimits(opts?: Partial<LimitsConfig>): LimitsConfig {
  const preset = opts?.preset ?? 'standard';
  return {
    enabled: opts?.enabled ?? true,
    preset,
    drainPerSecond: opts?.drainPerSecond ?? PRESETS[preset].drainPerSecond,
    burst: opts?.burst ?? PRESETS[preset].burst,
    operatingBudgetSeconds: opts?.operatingBudgetSeconds ?? DEFAULT_OPERATING_BUDGET,
    operatingCostSeconds: opts?.operatingCostSeconds,
  };
}

export class LeakyBucket {
  private buckets = new Map<string, { level: number; at: number }>();

  constructor(private readonly cfg: () => LimitsConfig) {}

  /** Takes one request; false when refused. */
  take(key: string, now: number): boolean {
    const { burst, drainPerSecond, enabled } = this.cfg();
    const b = this.buckets.get(key) ?? { level: 0, at: now };
    b.level = Math.max(0, b.level - ((now - b.at) / 1000) * drainPerSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (!enabled) return true;
    if (b.level + 1 > burst) return false;
    b.level += 1;
    return true;
  }

  level(key: string, now: number): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    return Math.max(0, b.level - ((now - b.at) / 1000) * this.cfg().drainPerSecond);
  }

  reset(): void {
    this.buckets.clear();
  }
}

interface Basket {
  start: number;
  sum: number;
}

const BASKET_MS = 60_000;
const WINDOW_MS = 10 * BASKET_MS;

export class OperatingMeter {
  private baskets = new Map<string, Basket[]>();

  constructor(private readonly cfg: () => LimitsConfig) {}

  private live(key: string, now: number): Basket[] {
    const list = (this.baskets.get(key) ?? []).filter((b) => b.start + WINDOW_MS > now);
    this.baskets.set(key, list);
    return list;
  }

  operating(key: string, now: number): number {
    return this.live(key, now).reduce((s, b) => s + b.sum, 0);
  }

  /** Unix seconds when the oldest basket drops out (now + 10 min when there is none yet). */
  resetAt(key: string, now: number): number {
    const list = this.live(key, now);
    return Math.floor(((list[0]?.start ?? now) + WINDOW_MS) / 1000);
  }

  /** Checked BEFORE a call: over the budget → the call is refused. */
  blocked(key: string, now: number): boolean {
    return this.cfg().enabled && this.operating(key, now) > this.cfg().operatingBudgetSeconds;
  }

  add(key: string, now: number, seconds: number): void {
    const list = this.live(key, now);
    const last = list[list.length - 1];
    if (last && now < last.start + BASKET_MS) last.sum += seconds;
    else list.push({ start: now, sum: seconds });
  }

  /** Simulated execution time of one call: reads are cheap, lists grow with rows, writes cost more. */
  cost(rows: number, write: boolean): number {
    const fixed = this.cfg().operatingCostSeconds;
    if (fixed !== undefined) return fixed;
    if (write) return 0.05;
    if (rows > 1) return 0.02 + rows * 0.002;
    return 0.01;
  }

  reset(): void {
    this.baskets.clear();
  }
}
