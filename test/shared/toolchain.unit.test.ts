/**
 * scripts/toolchain.mjs and src/shared/toolchain.ts: where the Temporal servers come from.
 * Fake executables stand in for the real ones, so nothing is built or downloaded here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  findTemporalCli,
  findTestServer,
  readToolchainManifest,
  temporalCliPath,
  testServerPath,
  toolchainCacheDir,
  ToolchainMissingError,
} from '../../src/shared/toolchain';

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'toolchain.mjs');

describe('toolchain (scripts/toolchain.mjs, src/shared/toolchain.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  let cache: string;
  let emptyBin: string;

  const fakeExe = (file: string, version = 'temporal version 9.9.9 (fake)') => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\necho "${version}"\n`, { mode: 0o755 });
    return file;
  };
  /** Runs the script with only the given environment (no PATH unless given). */
  const run = (env: Record<string, string>, args: string[] = []) =>
    spawnSync(process.execPath, [SCRIPT, ...args], { env: { HOME: dir, PATH: emptyBin, ...env }, encoding: 'utf8' });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-toolchain-'));
    cache = path.join(dir, 'cache');
    emptyBin = path.join(dir, 'empty-bin');
    fs.mkdirSync(emptyBin);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the cache directory the same way in both modules', async () => {
    const mjs = await import(pathToFileURL(SCRIPT).href);
    const cases: Record<string, string>[] = [
      { B24R_CACHE_DIR: '/tmp/x/cache' },
      { XDG_CACHE_HOME: '/tmp/xdg' },
      { B24R_CACHE_DIR: '/tmp/a', XDG_CACHE_HOME: '/tmp/b' },
      {},
    ];
    for (const env of cases) assert.equal(toolchainCacheDir(env), mjs.cacheDir(env), JSON.stringify(env));
    assert.equal(toolchainCacheDir({ XDG_CACHE_HOME: '/tmp/xdg' }), '/tmp/xdg/b24-reactivation');
    assert.equal(toolchainCacheDir({}), path.join(os.homedir(), '.cache', 'b24-reactivation'));
  });

  it('uses TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH first, and records them in the manifest', () => {
    const cli = fakeExe(path.join(dir, 'opt', 'temporal'));
    const ts = fakeExe(path.join(dir, 'opt', 'test-server'));
    const env = { B24R_CACHE_DIR: cache, TEMPORAL_CLI_PATH: cli, TEMPORAL_TEST_SERVER_PATH: ts };
    const r = run(env);
    assert.equal(r.status, 0, r.stderr);
    const manifest = readToolchainManifest(env)!;
    assert.equal(manifest.temporalCli?.path, cli);
    assert.equal(manifest.temporalCli?.source, 'env');
    assert.equal(manifest.temporalCli?.version, 'temporal version 9.9.9 (fake)');
    assert.equal(manifest.testServer?.path, ts);
    assert.equal(temporalCliPath(env), cli);
    assert.equal(testServerPath(env), ts);

    // A second run changes nothing and builds nothing.
    const again = run(env);
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /building|resolving/);
  });

  it('takes `temporal` from PATH, then the cache', () => {
    const ts = fakeExe(path.join(dir, 'opt', 'test-server'));
    const onPath = fakeExe(path.join(dir, 'path-bin', 'temporal'));
    const cached = fakeExe(path.join(cache, 'bin', 'temporal'));
    const base = { B24R_CACHE_DIR: cache, TEMPORAL_TEST_SERVER_PATH: ts };

    assert.equal(run({ ...base, PATH: path.dirname(onPath) }, ['--cli']).status, 0);
    assert.equal(readToolchainManifest(base)?.temporalCli?.source, 'path');
    assert.equal(readToolchainManifest(base)?.temporalCli?.path, onPath);

    assert.equal(run(base, ['--cli']).status, 0);
    assert.equal(readToolchainManifest(base)?.temporalCli?.source, 'cache');
    assert.equal(findTemporalCli({ ...base, PATH: emptyBin }), cached);
  });

  it('builds the CLI with `go install ...@v1.5.1` into <cache>/bin when there is none, streaming its output', () => {
    const ts = fakeExe(path.join(dir, 'opt', 'test-server'));
    const goBin = path.join(dir, 'go-bin');
    const argsFile = path.join(dir, 'go-args');
    fs.mkdirSync(goBin);
    // A stand-in for the Go toolchain: records its arguments and "builds" into $GOBIN.
    fs.writeFileSync(
      path.join(goBin, 'go'),
      `#!/bin/sh\necho "$@" > "${argsFile}"\necho "go: downloading github.com/temporalio/cli v1.5.1" >&2\n` +
        `printf '#!/bin/sh\\necho "temporal version 0.0.0-DEV"\\n' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n`,
      { mode: 0o755 },
    );
    const env = { B24R_CACHE_DIR: cache, TEMPORAL_TEST_SERVER_PATH: ts, PATH: goBin };
    const r = run(env, ['--cli']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(argsFile, 'utf8').trim(), 'install github.com/temporalio/cli/cmd/temporal@v1.5.1');
    assert.match(r.stderr, /go: downloading github\.com\/temporalio\/cli v1\.5\.1/, 'Go output is shown');
    assert.match(r.stdout, /building the Temporal CLI v1\.5\.1 with Go/);
    const entry = readToolchainManifest(env)!.temporalCli!;
    assert.equal(entry.path, path.join(cache, 'bin', 'temporal'));
    assert.equal(entry.source, 'go-install');
    assert.equal(typeof entry.buildSeconds, 'number');

    // The second run finds it in the cache and builds nothing.
    fs.rmSync(argsFile);
    const again = run(env, ['--cli']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(fs.existsSync(argsFile), false, 'go was not run again');
    assert.equal(readToolchainManifest(env)!.temporalCli!.source, 'cache');
    assert.equal(readToolchainManifest(env)!.temporalCli!.buildSeconds, entry.buildSeconds, 'the build time is remembered');
  });

  it('without a CLI and without Go it says so, leaves it to the SDK, and fails only with --strict', () => {
    const ts = fakeExe(path.join(dir, 'opt', 'test-server'));
    const env = { B24R_CACHE_DIR: cache, TEMPORAL_TEST_SERVER_PATH: ts };
    const r = run(env, ['--cli']);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /no Temporal CLI found/);
    assert.match(r.stderr, /SDK will try its own download/);
    assert.match(r.stderr, /install\s+Go/);
    assert.equal(readToolchainManifest(env)?.temporalCli, null);
    assert.equal(run(env, ['--cli', '--strict']).status, 1);
    assert.equal(findTemporalCli({ ...env, PATH: emptyBin }), undefined);
    assert.throws(() => temporalCliPath({ ...env, PATH: emptyBin }), (err: unknown) => err instanceof ToolchainMissingError && /npm run toolchain/.test(err.message));
  });

  it('without java or mvn it explains what to install for the test server', () => {
    const r = run({ B24R_CACHE_DIR: cache }, ['--test-server']);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /java and mvn not found/);
    assert.match(r.stderr, /JDK/);
    assert.equal(findTestServer({ B24R_CACHE_DIR: cache }), undefined);
    assert.throws(() => testServerPath({ B24R_CACHE_DIR: cache }), ToolchainMissingError);
    assert.equal(run({ B24R_CACHE_DIR: cache }, ['--test-server', '--strict']).status, 1);
  });

  it('rejects a *_PATH variable that is not an executable, naming it', () => {
    const env = { B24R_CACHE_DIR: cache, TEMPORAL_CLI_PATH: path.join(dir, 'nope') };
    const r = run(env, ['--cli']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /TEMPORAL_CLI_PATH=.*nope is not an executable file/);
    assert.throws(() => findTemporalCli(env), /TEMPORAL_CLI_PATH=.*nope is not an executable file/);
  });

  it('reuses the cached test server launcher when its classpath is complete', () => {
    // Lay out what a Maven run leaves behind, for the pom in the repo.
    const pom = fs.readFileSync(path.join(__dirname, '..', '..', 'scripts', 'test-server', 'pom.xml'), 'utf8');
    const version = /<temporal\.test-server\.version>([^<]+)</.exec(pom)![1];
    const hash = require('node:crypto').createHash('sha256').update(pom).digest('hex').slice(0, 12);
    const tsDir = path.join(cache, 'test-server', `${version}-${hash}`);
    const jar = path.join(dir, 'fake.jar');
    fs.writeFileSync(jar, '');
    fs.mkdirSync(tsDir, { recursive: true });
    fs.writeFileSync(path.join(tsDir, 'classpath.txt'), jar);
    const launcher = fakeExe(path.join(tsDir, 'temporal-test-server'));
    const env = { B24R_CACHE_DIR: cache };
    const r = run(env, ['--test-server']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /resolving/);
    assert.equal(readToolchainManifest(env)?.testServer?.source, 'cache');
    assert.equal(testServerPath(env), launcher);

    // A jar gone from the Maven repository means: resolve again (here: no mvn, so a warning).
    fs.rmSync(jar);
    const stale = run(env, ['--test-server']);
    assert.match(stale.stderr, /java and mvn not found/);
  });
});
