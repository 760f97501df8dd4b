/**
 * The one retry loop of start-up steps (Temporal calls, not Bitrix24: those go through
 * src/bitrix24's own retries): try, wait a doubling delay, try again, while `retryIf` allows.
 *
 * retryInBackground runs it for steps the service can do without for a while (the Temporal
 * Schedules): right after a dev server restart DescribeSchedule may time out for 30 s while the
 * server's internal scheduler worker comes up, and a cluster may be briefly unavailable. The
 * worker and the API must neither wait for that nor die of it.
 */
import type { Logger } from './log';

export interface RetryOptions {
  /** Delay before the second attempt; doubles each time up to maxDelayMs. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Whether to try again after `error` (default: always); false rethrows it. */
  retryIf?: (error: unknown, delayMs: number) => boolean;
  /** Called before each wait. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Aborting ends the wait at once and rethrows the last error. */
  signal?: AbortSignal;
}

export async function retry<T>(step: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const maxDelayMs = opts.maxDelayMs ?? 60_000;
  let delayMs = opts.firstDelayMs ?? 1_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (opts.signal?.aborted || (opts.retryIf && !opts.retryIf(error, delayMs))) throw error;
      opts.onRetry?.(error, attempt, delayMs);
      await pause(delayMs, opts.signal);
      if (opts.signal?.aborted) throw error;
    }
    delayMs = Math.min(delayMs * 2, maxDelayMs);
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface BackgroundRetry<T> {
  /** Settles with the step's result, or undefined when stopped before it succeeded. */
  done: Promise<T | undefined>;
  stop(): void;
}

export function retryInBackground<T>(what: string, step: () => Promise<T>, log: Logger, opts: Pick<RetryOptions, 'firstDelayMs' | 'maxDelayMs'> = {}): BackgroundRetry<T> {
  const stopper = new AbortController();
  const done = retry(step, {
    ...opts,
    signal: stopper.signal,
    onRetry: (error, attempt, retryInMs) => log.warn(`${what} failed; retrying`, { attempt, retryInMs, error }),
  }).catch((error: unknown) => {
    if (stopper.signal.aborted) return undefined;
    throw error;
  });
  return { done, stop: () => stopper.abort() };
}
