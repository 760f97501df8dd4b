/**
 * Keeps retrying a start-up step in the background until it succeeds or is stopped. For steps
 * the service can run without for a while (the Temporal Schedules): right after a dev server
 * restart, DescribeSchedule may time out for 30 s while the server's internal scheduler worker
 * comes up, and a cluster may be briefly unavailable. The worker and the API must neither wait
 * for that nor die of it.
 */
import type { Logger } from './log';

export interface BackgroundRetry<T> {
  /** Settles with the step's result, or undefined when stopped before it succeeded. */
  done: Promise<T | undefined>;
  stop(): void;
}

export interface RetryOptions {
  /** Delay before the second attempt; doubles each time up to maxDelayMs. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export function retryInBackground<T>(what: string, step: () => Promise<T>, log: Logger, opts: RetryOptions = {}): BackgroundRetry<T> {
  const maxDelayMs = opts.maxDelayMs ?? 60_000;
  let delayMs = opts.firstDelayMs ?? 1_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: () => void = () => undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  const done = (async () => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (stopped) break;
        log.warn(`${what} failed; retrying`, { attempt, retryInMs: delayMs, error });
      }
      await pause(delayMs);
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
    return undefined;
  })();
  return {
    done,
    stop() {
      stopped = true;
      clearTimeout(timer);
      wake();
    },
  };
}
