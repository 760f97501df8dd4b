#!/usr/bin/env node
/**
 * Obtains the two Temporal servers the service and its tests run on, into a per-user cache
 * outside the repository (never committed), and records where they are in a JSON manifest:
 *
 *   1. the dev server: the Temporal CLI (`temporal server start-dev`, with the Web UI);
 *   2. the time-skipping test server: Temporal's official Java test server, run through a
 *      launcher script over a Maven-resolved classpath.
 *
 * Idempotent: a second run only checks that the recorded files still exist (milliseconds).
 * See docs/decisions.md ("Toolchain") for why the servers come from the registries.
 *
 * Usage: node scripts/toolchain.mjs [--cli] [--test-server] [--strict] [--quiet]
 *   --cli / --test-server   only that part (default: both)
 *   --strict                exit 1 when a part could not be obtained (default: warn and leave
 *                           that part to the Temporal SDK's own download)
 *
 * Environment:
 *   B24R_CACHE_DIR              cache directory (default $XDG_CACHE_HOME/b24-reactivation,
 *                               else ~/.cache/b24-reactivation)
 *   TEMPORAL_CLI_PATH           use this Temporal CLI binary
 *   TEMPORAL_TEST_SERVER_PATH   use this test server executable (binary or launcher script)
 *
 * Plain Node, no dependencies: it runs before `npm install` has finished mattering.
 * The manifest format is read by src/shared/toolchain.ts; keep both in step.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** The newest CLI tag `go install pkg@version` accepts (v1.6.0+ has a `replace` in go.mod). */
export const CLI_VERSION = 'v1.5.1';
export const MANIFEST_FILE = 'toolchain.json';
export const MANIFEST_SCHEMA = 1;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const POM = path.join(HERE, 'test-server', 'pom.xml');
const TEST_SERVER_MAIN = 'io.temporal.testserver.TestServer';

// ---------------------------------------------------------------------------------------------
// Paths (mirrored by src/shared/toolchain.ts)

export function cacheDir(env = process.env) {
  if (env.B24R_CACHE_DIR) return path.resolve(env.B24R_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'b24-reactivation');
}

export function manifestPath(env = process.env) {
  return path.join(cacheDir(env), MANIFEST_FILE);
}

export function readManifest(env = process.env) {
  try {
    const m = JSON.parse(fs.readFileSync(manifestPath(env), 'utf8'));
    return m && m.schema === MANIFEST_SCHEMA ? m : undefined;
  } catch {
    return undefined;
  }
}

function isExecutable(file) {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size === 0) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function which(cmd, env = process.env) {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

function fingerprint(file) {
  const st = fs.statSync(file);
  return `${st.size}:${Math.trunc(st.mtimeMs)}`;
}

// ---------------------------------------------------------------------------------------------
// Output

let quiet = false;
const say = (msg) => {
  if (!quiet) process.stdout.write(`[toolchain] ${msg}\n`);
};
const warn = (msg) => process.stderr.write(`[toolchain] WARNING: ${msg}\n`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

class ToolchainError extends Error {}

/** Runs a long command with inherited output and a heartbeat line every 30 s. */
function runStreaming(label, cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    // Maven 3.8 with -q prints bare colour resets even in batch mode: pipe and strip them.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const relay = (to) => (chunk) => {
      const text = chunk.toString().replace(/\x1b\[[0-9;]*m/g, '');
      if (text.trim()) to.write(text);
    };
    child.stdout.on('data', relay(process.stdout));
    child.stderr.on('data', relay(process.stderr));
    const beat = setInterval(() => say(`${label}: still running (${secs(Date.now() - started)})`), 30_000);
    const stop = () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    child.on('error', (err) => {
      clearInterval(beat);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearInterval(beat);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (code === 0) resolve(Date.now() - started);
      else reject(new ToolchainError(`${label} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

function probeVersion(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

// ---------------------------------------------------------------------------------------------
// A lock, so that two runs (two terminals, parallel test suites) do not build at once.

async function withLock(dir, fn) {
  const lock = path.join(dir, '.toolchain.lock');
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        /* being created or removed */
      }
      let alive = false;
      if (Number.isInteger(holder) && holder > 0) {
        try {
          process.kill(holder, 0);
          alive = true;
        } catch (e) {
          alive = e.code === 'EPERM';
        }
      } else {
        const age = Date.now() - fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
        alive = !(age > 10_000);
      }
      if (!alive) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!announced) say(`waiting for another toolchain run (pid ${holder}) to finish...`);
      announced = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 1. The dev server (Temporal CLI)

async function resolveCli(env, cache, previous) {
  const record = (file, source, extra = {}) => {
    const fp = fingerprint(file);
    const version =
      previous && previous.path === file && previous.fingerprint === fp
        ? previous.version
        : probeVersion(file, ['--version']) ?? 'unknown';
    return { path: file, source, version, fingerprint: fp, ...extra };
  };

  if (env.TEMPORAL_CLI_PATH) {
    const file = path.resolve(env.TEMPORAL_CLI_PATH);
    if (!isExecutable(file)) throw new ToolchainError(`TEMPORAL_CLI_PATH=${file} is not an executable file`);
    return record(file, 'env');
  }
  const onPath = which('temporal', env);
  if (onPath) return record(onPath, 'path');

  const cached = path.join(cache, 'bin', 'temporal');
  if (isExecutable(cached)) {
    const extra = previous?.path === cached && previous.buildSeconds !== undefined ? { buildSeconds: previous.buildSeconds } : {};
    return record(cached, 'cache', { module: `${CLI_MODULE}@${CLI_VERSION}`, ...extra });
  }

  const go = which('go', env);
  if (!go) {
    warn(
      'no Temporal CLI found (TEMPORAL_CLI_PATH unset, no `temporal` on PATH, nothing in ' +
        `${path.join(cache, 'bin')}) and no Go toolchain to build one.\n` +
        '  The Temporal SDK will try its own download (createLocal without a path), which needs\n' +
        '  access to temporal.download. `npm start` and the dev-server tests need the CLI: install\n' +
        `  Go (https://go.dev/dl/) and run \`npm run toolchain\`, or set TEMPORAL_CLI_PATH.`,
    );
    return null;
  }
  say(`building the Temporal CLI ${CLI_VERSION} with Go (about 5 minutes and ~1.8 GB of module cache`);
  say(`on 2 cores; only the first time): GOBIN=${path.join(cache, 'bin')} go install ${CLI_MODULE}@${CLI_VERSION}`);
  fs.mkdirSync(path.join(cache, 'bin'), { recursive: true });
  const ms = await runStreaming('go install', go, ['install', `${CLI_MODULE}@${CLI_VERSION}`], {
    env: { ...env, GOBIN: path.join(cache, 'bin') },
  });
  if (!isExecutable(cached)) throw new ToolchainError(`go install finished but ${cached} is missing`);
  say(`built the Temporal CLI in ${secs(ms)}`);
  return record(cached, 'go-install', { module: `${CLI_MODULE}@${CLI_VERSION}`, buildSeconds: Math.round(ms / 1000) });
}

// ---------------------------------------------------------------------------------------------
// 2. The time-skipping test server (Java, via Maven)

function pomInfo() {
  const text = fs.readFileSync(POM, 'utf8');
  const version = /<temporal\.test-server\.version>([^<]+)</.exec(text)?.[1]?.trim();
  if (!version) throw new ToolchainError(`${POM}: no <temporal.test-server.version> property`);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return { version, hash };
}

function classpathComplete(cpFile) {
  try {
    const entries = fs.readFileSync(cpFile, 'utf8').trim().split(path.delimiter).filter(Boolean);
    return entries.length > 0 && entries.every((e) => fs.existsSync(e));
  } catch {
    return false;
  }
}

function launcherScript(version, classpath) {
  return [
    '#!/bin/sh',
    `# Temporal time-skipping test server ${version}, generated by scripts/toolchain.mjs.`,
    '# Arguments: <port> [--enable-time-skipping]. JVM options: TEMPORAL_TEST_SERVER_JAVA_OPTS.',
    `exec "\${JAVA:-java}" \${TEMPORAL_TEST_SERVER_JAVA_OPTS:-} -cp "${classpath}" ${TEST_SERVER_MAIN} "$@"`,
    '',
  ].join('\n');
}

async function resolveTestServer(env, cache, previous) {
  if (env.TEMPORAL_TEST_SERVER_PATH) {
    const file = path.resolve(env.TEMPORAL_TEST_SERVER_PATH);
    if (!isExecutable(file)) throw new ToolchainError(`TEMPORAL_TEST_SERVER_PATH=${file} is not an executable file`);
    return { path: file, source: 'env', version: 'unknown' };
  }
  const { version, hash } = pomInfo();
  const dir = path.join(cache, 'test-server', `${version}-${hash}`);
  const launcher = path.join(dir, 'temporal-test-server');
  const cpFile = path.join(dir, 'classpath.txt');
  const entry = (source, extra = {}) => ({ path: launcher, source, version, classpathFile: cpFile, pomHash: hash, ...extra });
  if (isExecutable(launcher) && classpathComplete(cpFile)) {
    return entry('cache', previous?.path === launcher && previous.resolveSeconds !== undefined ? { resolveSeconds: previous.resolveSeconds } : {});
  }

  const missing = ['java', 'mvn'].filter((c) => !which(c, env));
  if (missing.length > 0) {
    warn(
      `cannot build the time-skipping test server: ${missing.join(' and ')} not found on PATH.\n` +
        '  Install a JDK (17+) and Maven (e.g. `apt-get install openjdk-17-jre-headless maven`) and run\n' +
        '  `npm run toolchain`, or set TEMPORAL_TEST_SERVER_PATH. The Temporal SDK will otherwise try\n' +
        '  its own download (needs access to temporal.download).',
    );
    return null;
  }
  fs.mkdirSync(dir, { recursive: true });
  const repo = path.join(cache, 'maven-repo');
  say(`resolving io.temporal:temporal-test-server:${version} with Maven (~30 s and ~45 MB the first time)`);
  const tmpCp = `${cpFile}.${process.pid}.tmp`;
  const ms = await runStreaming(
    'mvn dependency:build-classpath',
    'mvn',
    ['-q', '-B', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${tmpCp}`, `-Dmaven.repo.local=${repo}`],
    { env },
  );
  fs.renameSync(tmpCp, cpFile);
  if (!classpathComplete(cpFile)) throw new ToolchainError(`Maven wrote an incomplete classpath to ${cpFile}`);
  const classpath = fs.readFileSync(cpFile, 'utf8').trim();
  const tmpLauncher = `${launcher}.${process.pid}.tmp`;
  fs.writeFileSync(tmpLauncher, launcherScript(version, classpath), { mode: 0o755 });
  fs.renameSync(tmpLauncher, launcher);
  say(`resolved the test server classpath in ${secs(ms)} (${classpath.split(path.delimiter).length} jars)`);
  return entry('maven', { resolveSeconds: Math.round(ms / 1000) });
}

// ---------------------------------------------------------------------------------------------

function writeManifest(env, manifest) {
  const file = manifestPath(env);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n');
  fs.renameSync(tmp, file);
  return file;
}

export async function main(argv = process.argv.slice(2), env = process.env) {
  const flags = new Set(argv);
  const unknown = [...flags].filter((f) => !['--cli', '--test-server', '--strict', '--quiet'].includes(f));
  if (unknown.length) throw new ToolchainError(`unknown argument(s): ${unknown.join(' ')}`);
  quiet = flags.has('--quiet');
  const wantCli = flags.has('--cli') || !flags.has('--test-server');
  const wantTestServer = flags.has('--test-server') || !flags.has('--cli');
  const cache = cacheDir(env);
  fs.mkdirSync(cache, { recursive: true });
  const started = Date.now();

  return withLock(cache, async () => {
    const previous = readManifest(env);
    const manifest = {
      schema: MANIFEST_SCHEMA,
      cacheDir: cache,
      updatedAt: new Date().toISOString(),
      temporalCli: previous?.temporalCli ?? null,
      testServer: previous?.testServer ?? null,
    };
    if (wantCli) {
      manifest.temporalCli = await resolveCli(env, cache, previous?.temporalCli);
      if (manifest.temporalCli) {
        say(`dev server:  ${manifest.temporalCli.path} (${manifest.temporalCli.source}; ${manifest.temporalCli.version})`);
      }
    }
    if (wantTestServer) {
      manifest.testServer = await resolveTestServer(env, cache, previous?.testServer);
      if (manifest.testServer) {
        say(`test server: ${manifest.testServer.path} (${manifest.testServer.source}; ${manifest.testServer.version})`);
      }
    }
    const file = writeManifest(env, manifest);
    say(`manifest:    ${file} (${secs(Date.now() - started)})`);
    const missing = [wantCli && !manifest.temporalCli && 'Temporal CLI', wantTestServer && !manifest.testServer && 'test server'].filter(Boolean);
    if (missing.length && flags.has('--strict')) throw new ToolchainError(`missing: ${missing.join(', ')}`);
    return manifest;
  });
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((err) => {
    process.stderr.write(`[toolchain] ERROR: ${err instanceof ToolchainError ? err.message : err?.stack ?? err}\n`);
    process.exit(1);
  });
}
