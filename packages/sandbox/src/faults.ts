/**
 * Fault injection, switchable at run time (in process and over PUT /_sandbox/faults):
 *  - latencyMs: added before every REST answer;
 *  - errorRate (0..1): share of REST requests answered 500 INTERNAL_SERVER_ERROR before any work;
 *  - outage: until `outageUntil` every REST request fails with `outageStatus` (503 or 500);
 *    503 comes as the front server's HTML page, 500 as the JSON INTERNAL_SERVER_ERROR;
 *  - dropEventsPct: share of outbound event deliveries silently lost;
 *  - lostResponsePct: share of WRITE requests whose change is committed and whose connection is
 *    then destroyed without an answer;
 *  - methods: when non-empty, errorRate and lostResponsePct apply only to these methods.
 * Random draws come from a seeded generator, so a run is repeatable.
 */
import { seededRng, type Rng } from './util';

export interface FaultSettings {
  latencyMs: number;
  errorRate: number;
  outageUntil: number | null;
  outageStatus: 500 | 503;
  dropEventsPct: number;
  lostResponsePct: number;
  methods: string[];
}

export const NO_FAULTS: FaultSettings = {
  latencyMs: 0,
  errorRate: 0,
  outageUntil: null,
  outageStatus: 503,
  dropEventsPct: 0,
  lostResponsePct: 0,
  methods: [],
};

export class Faults implements FaultSettings {
  latencyMs = 0;
  errorRate = 0;
  outageUntil: number | null = null;
  outageStatus: 500 | 503 = 503;
  dropEventsPct = 0;
  lostResponsePct = 0;
  methods: string[] = [];
  readonly rng: Rng;

  constructor(seed = 1) {
    this.rng = seededRng(seed);
  }

  /** Partial update; validates ranges. `outageSeconds` starts an outage window from now. */
  set(patch: Partial<FaultSettings> & { outageSeconds?: number }): FaultSettings {
    const num = (v: unknown, min: number, max: number, name: string): number => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) throw new Error(`faults.${name} must be a number in [${min}, ${max}]`);
      return n;
    };
    if (patch.latencyMs !== undefined) this.latencyMs = num(patch.latencyMs, 0, 120_000, 'latencyMs');
    if (patch.errorRate !== undefined) this.errorRate = num(patch.errorRate, 0, 1, 'errorRate');
    if (patch.dropEventsPct !== undefined) this.dropEventsPct = num(patch.dropEventsPct, 0, 100, 'dropEventsPct');
    if (patch.lostResponsePct !== undefined) this.lostResponsePct = num(patch.lostResponsePct, 0, 100, 'lostResponsePct');
    if (patch.outageStatus !== undefined) {
      if (patch.outageStatus !== 500 && patch.outageStatus !== 503) throw new Error('faults.outageStatus must be 500 or 503');
      this.outageStatus = patch.outageStatus;
    }
    if (patch.outageUntil !== undefined) this.outageUntil = patch.outageUntil === null ? null : num(patch.outageUntil, 0, Number.MAX_SAFE_INTEGER, 'outageUntil');
    if (patch.outageSeconds !== undefined) this.outage(num(patch.outageSeconds, 0, 86_400, 'outageSeconds'));
    if (patch.methods !== undefined) {
      if (!Array.isArray(patch.methods)) throw new Error('faults.methods must be an array of method names');
      this.methods = patch.methods.map((m) => String(m).toLowerCase());
    }
    return this.snapshot();
  }

  /** Every REST request fails for `seconds` from now. */
  outage(seconds: number, status?: 500 | 503): void {
    this.outageUntil = Date.now() + seconds * 1000;
    if (status) this.outageStatus = status;
  }

  reset(): void {
    Object.assign(this, { ...NO_FAULTS, methods: [] });
  }

  snapshot(): FaultSettings {
    return {
      latencyMs: this.latencyMs,
      errorRate: this.errorRate,
      outageUntil: this.outageUntil,
      outageStatus: this.outageStatus,
      dropEventsPct: this.dropEventsPct,
      lostResponsePct: this.lostResponsePct,
      methods: [...this.methods],
    };
  }

  inOutage(now = Date.now()): boolean {
    return this.outageUntil !== null && now < this.outageUntil;
  }

  private applies(method: string): boolean {
    return this.methods.length === 0 || this.methods.includes(method.toLowerCase());
  }

  /** Draw: should this request fail with a 500? */
  drawError(method: string): boolean {
    return this.errorRate > 0 && this.applies(method) && this.rng.chance(this.errorRate * 100);
  }

  /** Draw: should this committed write lose its answer? */
  drawLostResponse(methods: string[]): boolean {
    return this.lostResponsePct > 0 && methods.some((m) => this.applies(m)) && this.rng.chance(this.lostResponsePct);
  }
}
