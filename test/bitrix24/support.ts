/**
 * Test helpers for src/bitrix24: a fake clock (sleep advances time instantly) and a scripted
 * transport (no network), so retry and limit behaviour is tested without real waiting.
 */
import { Bitrix24Error, type RawAnswer, type Transport } from '../../src/bitrix24';

export interface FakeClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Every sleep, in order. */
  sleeps: number[];
  advance(ms: number): void;
}

export function fakeClock(start = Date.UTC(2025, 0, 1)): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += Math.max(0, ms);
    },
    sleeps,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

export interface SentRequest {
  method: string;
  params: Record<string, unknown>;
}

export type Handler = (method: string, params: Record<string, unknown>, n: number) => RawAnswer | Bitrix24Error | Promise<RawAnswer | Bitrix24Error>;

export function scriptedTransport(handler: Handler, origin = 'https://fake.bitrix24.test'): Transport & { sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  return {
    origin,
    sent,
    async send(method, params) {
      sent.push({ method, params: JSON.parse(JSON.stringify(params)) });
      const out = await handler(method, params, sent.length);
      if (out instanceof Bitrix24Error) throw out;
      return out;
    },
  };
}

export const ok = (result: unknown, extra: Partial<RawAnswer> = {}): RawAnswer => ({ httpStatus: 200, result, ...extra });

export const fail = (code: string, httpStatus: number, method = 'x', description = ''): Bitrix24Error =>
  new Bitrix24Error({ code, httpStatus, method, description });
