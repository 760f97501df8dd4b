/**
 * Client-side mirror of the portal's leaky bucket (b24restdocs limits.md): every HTTP request
 * adds 1 to a counter that drains at `drainPerSecond`; above `burst` the portal answers
 * 503 QUERY_LIMIT_EXCEEDED. We keep the same counter on our side and delay a request until
 * it fits, so one process never bursts over the portal's limit.
 *
 * One limiter per portal origin, shared by every client of the process (`sharedRateLimiter`),
 * because the portal counts per account and source IP, not per client object.
 *
 * Time is injected (`now`) so the arithmetic is testable without sleeping.
 */

export type LimitPreset = 'standard' | 'enterprise' | 'off';

export interface BucketConfig {
  /** Counter value above which the portal refuses requests (50; Enterprise 250). */
  burst: number;
  /** Counter decrease per second (2; Enterprise 5). */
  drainPerSecond: number;
  /**
   * Slots of the burst we never use (default 10%, at least 1). The portal counts a request when
   * it ARRIVES; requests sent in order over different connections (TLS handshakes, retries) can
   * arrive closer together than they were sent, and other tools may share the webhook.
   */
  headroom?: number;
}

export const PRESETS: Record<Exclude<LimitPreset, 'off'>, BucketConfig> = {
  standard: { burst: 50, drainPerSecond: 2 },
  enterprise: { burst: 250, drainPerSecond: 5 },
};

/** The counter value we allow ourselves: burst minus headroom. */
export function usableBurst(cfg: BucketConfig): number {
  const headroom = cfg.headroom ?? Math.max(1, Math.floor(cfg.burst * 0.1));
  return Math.max(1, cfg.burst - headroom);
}

export interface RateLimiter {
  readonly config: BucketConfig | null;
  /**
   * Reserves a slot for one HTTP request and returns how long to wait before sending it
   * (0 = now). Reservations queue: concurrent callers get increasing waits.
   */
  reserve(): number;
  /** Wait the next `reserve()` would return, without reserving. */
  peek(): number;
  /** The portal said 503 QUERY_LIMIT_EXCEEDED: its counter is full; align ours. */
  markFull(): void;
  /** Current counter (after draining to `now`). */
  level(): number;
  /** Remembers `time.operating_reset_at` (unix seconds) seen for a method. */
  noteOperatingReset(method: string, resetAtUnixSeconds: number): void;
  /** Last known operating reset instant (ms since epoch) for a method, if any. */
  operatingResetAt(method: string): number | undefined;
  reconfigure(config: BucketConfig | null): void;
}

export function createRateLimiter(
  config: BucketConfig | LimitPreset | null,
  now: () => number = Date.now,
): RateLimiter {
  let cfg: BucketConfig | null = resolve(config);
  let counter = 0;
  let at = now();
  const resets = new Map<string, number>();

  const drain = (): void => {
    const t = now();
    if (cfg && t > at) counter = Math.max(0, counter - ((t - at) / 1000) * cfg.drainPerSecond);
    at = Math.max(at, t);
  };

  const waitFor = (): number => {
    if (!cfg) return 0;
    // The request fits when counter + 1 <= usable burst at send time.
    const excess = counter + 1 - usableBurst(cfg);
    return excess <= 0 ? 0 : Math.ceil((excess / cfg.drainPerSecond) * 1000);
  };

  return {
    get config() {
      return cfg;
    },
    reserve() {
      if (!cfg) return 0;
      drain();
      const wait = waitFor();
      counter += 1; // counted now; the wait guarantees it has drained enough by send time
      return wait;
    },
    peek() {
      if (!cfg) return 0;
      drain();
      return waitFor();
    },
    markFull() {
      if (!cfg) return;
      drain();
      counter = Math.max(counter, usableBurst(cfg));
    },
    level() {
      drain();
      return counter;
    },
    noteOperatingReset(method, resetAtUnixSeconds) {
      if (Number.isFinite(resetAtUnixSeconds) && resetAtUnixSeconds > 0) resets.set(method, resetAtUnixSeconds * 1000);
    },
    operatingResetAt(method) {
      return resets.get(method);
    },
    reconfigure(next) {
      drain();
      cfg = next;
      if (cfg) counter = Math.min(counter, cfg.burst);
    },
  };
}

function resolve(config: BucketConfig | LimitPreset | null): BucketConfig | null {
  if (config === null || config === 'off') return null;
  if (typeof config === 'string') return { ...PRESETS[config] };
  if (!(config.burst >= 1) || !(config.drainPerSecond > 0) || (config.headroom !== undefined && !(config.headroom >= 0))) {
    throw new RangeError('rate limiter: burst must be >= 1, drainPerSecond > 0, headroom >= 0');
  }
  return { ...config };
}

const shared = new Map<string, RateLimiter>();

/**
 * The process-wide limiter of one portal (keyed by origin, e.g. `https://acme.bitrix24.ru`).
 * A later client asking for another preset of the same portal reconfigures it (last wins).
 */
export function sharedRateLimiter(origin: string, preset: LimitPreset): RateLimiter {
  const key = origin.toLowerCase();
  const want = resolve(preset);
  let limiter = shared.get(key);
  if (!limiter) {
    limiter = createRateLimiter(want);
    shared.set(key, limiter);
  } else if (!sameConfig(limiter.config, want)) {
    limiter.reconfigure(want);
  }
  return limiter;
}

function sameConfig(a: BucketConfig | null, b: BucketConfig | null): boolean {
  if (a === null || b === null) return a === b;
  return a.burst === b.burst && a.drainPerSecond === b.drainPerSecond && a.headroom === b.headroom;
}
