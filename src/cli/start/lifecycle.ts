/**
 * What the phases of `npm start` (src/cli/start.ts) share: the context each phase gets, the
 * stack of started parts that stop() stops in reverse order, StartError for start-up problems
 * the operator can fix (ConfigError: a configuration the portal refuses, exit 2), and the tokens
 * kept in DATA_DIR across starts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppEnv } from '../../config/env';
import type { Logger } from '../../shared/log';

export class StartError extends Error {
  override name = 'StartError';
}

/** A configuration the portal refuses (e.g. the webhook lacks a scope): exit 2, each problem named. */
export class ConfigError extends StartError {
  override name = 'ConfigError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration (portal):\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
  }
}

/** Something to stop; `prepare` runs for all of them before any `close` (e.g. quieten logs). */
export type Closer = { name: string; close: () => Promise<void>; prepare?: () => void };

/** What has been started. stop() prepares all, then closes them newest first; once (later calls share it). */
export class Closers {
  private readonly started: Closer[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  push(closer: Closer): void {
    this.started.push(closer);
  }

  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const c of this.started) c.prepare?.();
      for (const c of [...this.started].reverse()) {
        try {
          await c.close();
        } catch (err) {
          this.log.warn(`stopping ${c.name} failed`, { error: err });
        }
      }
    })());
  }
}

/** What every phase gets: the configuration, the log, what to stop, and the URLs printed once all answers. */
export interface StartContext {
  env: AppEnv;
  log: Logger;
  closers: Closers;
  urls: Record<string, string>;
}

/** A file in DATA_DIR holding a random token, created once (0600) and reused by later starts. */
export function persistentToken(dataDir: string, name: string): { value: string; file: string } {
  const file = path.resolve(dataDir, name);
  try {
    const value = fs.readFileSync(file, 'utf8').trim();
    if (value.length >= 16) return { value, file };
  } catch {
    /* first start */
  }
  const value = crypto.randomBytes(24).toString('hex');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, value + '\n', { mode: 0o600 });
  return { value, file };
}
