/**
 * Where the Temporal servers are: the dev server (Temporal CLI) and the Java time-skipping test
 * server that scripts/toolchain.mjs obtained into the per-user cache. This module only looks
 * things up (no builds); `npm run toolchain` builds. Used by `npm start` and test/support.
 *
 * The cache directory and manifest format mirror scripts/toolchain.mjs (test/toolchain.unit.test.ts
 * checks both agree). Never imported by workflow code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Env = Record<string, string | undefined>;

export interface ToolchainEntry {
  path: string;
  /** env = *_PATH variable, path = found on PATH, cache / go-install / maven = our cache. */
  source: 'env' | 'path' | 'cache' | 'go-install' | 'maven';
  version: string;
  buildSeconds?: number;
  resolveSeconds?: number;
}

export interface ToolchainManifest {
  schema: 1;
  cacheDir: string;
  updatedAt: string;
  temporalCli: ToolchainEntry | null;
  testServer: (ToolchainEntry & { classpathFile?: string }) | null;
}

export class ToolchainMissingError extends Error {
  override name = 'ToolchainMissingError';
}

/** B24R_CACHE_DIR, else $XDG_CACHE_HOME/b24-reactivation, else ~/.cache/b24-reactivation. */
export function toolchainCacheDir(env: Env = process.env): string {
  if (env.B24R_CACHE_DIR) return path.resolve(env.B24R_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'b24-reactivation');
}

export function readToolchainManifest(env: Env = process.env): ToolchainManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(toolchainCacheDir(env), 'toolchain.json'), 'utf8'));
    return m?.schema === 1 ? (m as ToolchainManifest) : undefined;
  } catch {
    return undefined;
  }
}

function isExecutable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size === 0) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(cmd: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

function fromEnv(name: string, env: Env): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  const file = path.resolve(value);
  if (!isExecutable(file)) throw new ToolchainMissingError(`${name}=${file} is not an executable file`);
  return file;
}

/** The Temporal CLI binary, or undefined when there is none yet. */
export function findTemporalCli(env: Env = process.env): string | undefined {
  const explicit = fromEnv('TEMPORAL_CLI_PATH', env);
  if (explicit) return explicit;
  const recorded = readToolchainManifest(env)?.temporalCli?.path;
  if (recorded && isExecutable(recorded)) return recorded;
  const cached = path.join(toolchainCacheDir(env), 'bin', 'temporal');
  return onPath('temporal', env) ?? (isExecutable(cached) ? cached : undefined);
}

/** The time-skipping test server executable (launcher script), or undefined. */
export function findTestServer(env: Env = process.env): string | undefined {
  const explicit = fromEnv('TEMPORAL_TEST_SERVER_PATH', env);
  if (explicit) return explicit;
  const recorded = readToolchainManifest(env)?.testServer?.path;
  return recorded && isExecutable(recorded) ? recorded : undefined;
}

const HOW_TO = 'Run `npm run toolchain` (needs Go for the CLI, Java 17+ and Maven for the test server).';

export function temporalCliPath(env: Env = process.env): string {
  const found = findTemporalCli(env);
  if (!found) {
    throw new ToolchainMissingError(
      `Temporal CLI not found (TEMPORAL_CLI_PATH unset, nothing in ${toolchainCacheDir(env)}, no \`temporal\` on PATH). ${HOW_TO}`,
    );
  }
  return found;
}

export function testServerPath(env: Env = process.env): string {
  const found = findTestServer(env);
  if (!found) {
    throw new ToolchainMissingError(
      `Temporal time-skipping test server not found (TEMPORAL_TEST_SERVER_PATH unset, nothing recorded in ${toolchainCacheDir(env)}). ${HOW_TO}`,
    );
  }
  return found;
}
