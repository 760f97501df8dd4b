/**
 * docker-compose.yml, Dockerfile and .dockerignore, checked by reading them (no Docker engine on
 * the build machines): the services, their wiring, the environment the service validates, and
 * that the image runs the files `npm run build` produces and holds no Bitrix24 sandbox.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENV_VARS } from '../../src/config/env';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  container_name?: string;
  healthcheck?: { test: string[] };
  command?: unknown;
  volumes?: string[];
}

describe('docker-compose.yml / Dockerfile', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const s = compose.services;

  it('has postgres, temporal, temporal-ui, worker and api', () => {
    assert.deepEqual(Object.keys(s).sort(), ['api', 'postgres', 'temporal', 'temporal-ui', 'worker']);
  });

  it('pins every image (no :latest)', () => {
    for (const [name, svc] of Object.entries(s)) {
      assert.ok(svc.image, `${name} has an image`);
      assert.match(svc.image!, /:[\w.-]+$/, `${name} pins a tag`);
      assert.doesNotMatch(svc.image!, /:latest$/, name);
    }
  });

  it('runs Temporal on PostgreSQL with its data in a volume, after PostgreSQL is healthy', () => {
    assert.ok(s.postgres.healthcheck, 'postgres has a healthcheck');
    assert.ok(s.postgres.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data')));
    assert.ok(compose.volumes && 'postgres-data' in compose.volumes);
    assert.match(s.temporal.image!, /^temporalio\/(auto-setup|server):/);
    const env = s.temporal.environment!;
    assert.equal(env.DB, 'postgres12');
    assert.equal(env.POSTGRES_SEEDS, 'postgres');
    assert.equal(env.SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES, 'true', 'demo attributes would take the SQL visibility slots');
    assert.equal(s.temporal.depends_on?.postgres?.condition, 'service_healthy');
    assert.equal(s['temporal-ui'].environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  it('builds worker and api from the repo Dockerfile and configures them through validated variables', () => {
    for (const name of ['worker', 'api']) {
      const svc = s[name];
      assert.deepEqual(svc.build, { context: '.', dockerfile: 'Dockerfile' }, name);
      assert.ok(fs.existsSync(path.join(ROOT, svc.build!.context, svc.build!.dockerfile)));
      const env = svc.environment!;
      assert.equal(env.ROLE, name);
      assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
      assert.ok(svc.depends_on?.temporal, `${name} depends on temporal`);
      const unknown = Object.keys(env).filter((k) => !(ENV_VARS as string[]).includes(k));
      assert.deepEqual(unknown, [], `${name}: variables src/config/env.ts does not know`);
      for (const secret of ['B24_WEBHOOK_URL', 'B24_APP_TOKEN', 'API_TOKEN']) {
        assert.match(env[secret], new RegExp(`^\\$\\{${secret}:\\?`), `${name}: ${secret} is required from the environment, never a literal`);
      }
    }
  });

  it('keeps the worker scalable (no published ports, no fixed container name) and publishes the API', () => {
    assert.equal(s.worker.ports, undefined);
    assert.equal(s.worker.container_name, undefined);
    assert.equal(s.api.container_name, undefined);
    assert.equal(s.api.environment!.HOST, '0.0.0.0');
    assert.ok(s.api.ports?.some((p) => p.endsWith(`:${s.api.environment!.PORT}`)), 'API port published');
    assert.ok(s.api.healthcheck?.test.join(' ').includes('/health'));
  });

  it('the Dockerfile is multi-stage: npm ci, build, then a runtime that runs the compiled start.js', () => {
    const dockerfile = read('Dockerfile');
    const stages = dockerfile.match(/^FROM\s+\S+(\s+AS\s+\S+)?/gim) ?? [];
    assert.ok(stages.length >= 2, 'multi-stage');
    assert.match(dockerfile, /RUN npm ci/);
    assert.match(dockerfile, /RUN npm run build/);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /COPY --from=build \/app\/dist \.\/dist/);
    assert.match(dockerfile, /COPY config \.\/config/, 'the rules file ships with the image');
    const entry = /^ENTRYPOINT\s+(\[.*\])/m.exec(dockerfile);
    assert.ok(entry, 'has an exec-form ENTRYPOINT');
    const argv = JSON.parse(entry![1]) as string[];
    assert.equal(argv[0], 'node');

    // `npm run build` (tsc) maps src/cli/start.ts to <outDir>/<path relative to rootDir>.js.
    const pkg = JSON.parse(read('package.json'));
    assert.match(pkg.scripts.build, /^tsc\b/);
    const tsconfig = JSON.parse(read('tsconfig.json')).compilerOptions;
    const expected = path.posix.join(tsconfig.outDir, path.posix.relative(tsconfig.rootDir, 'src/cli/start.ts')).replace(/\.ts$/, '.js');
    assert.equal(argv[1], expected);
    assert.ok(fs.existsSync(path.join(ROOT, 'src/cli/start.ts')));
    for (const role of ['worker', 'api']) assert.match(read('src/cli/start.ts'), new RegExp(`'${role}'|ROLE`), role);
  });

  it('the production image holds no Bitrix24 sandbox: the build emits only the service, the runtime installs no workspace', () => {
    const stages = read('Dockerfile').split(/^(?=FROM\s)/m).filter((stage) => stage.startsWith('FROM'));
    const build = stages.find((stage) => /^FROM\s+\S+\s+AS\s+build\b/i.test(stage));
    const runtime = stages[stages.length - 1];
    assert.ok(build && runtime !== build, 'a build stage and a later runtime stage');
    const copies = runtime.split('\n').filter((l) => /^COPY\s/.test(l));
    for (const line of copies) assert.doesNotMatch(line, /\bpackages\b|\bsrc\b/, `the runtime copies no source: ${line}`);
    for (const line of copies.filter((l) => l.includes('--from='))) assert.match(line, /^COPY --from=build \/app\/dist \.\/dist$/, line);
    assert.match(runtime, /npm ci --omit=dev --workspaces=false\b/, 'production dependencies without the sandbox workspace');
    assert.match(build!, /test ! -e dist\/packages\b/, 'the build stage checks that nothing of packages/ was compiled');

    // `npm run build` compiles src/ only, without the commands that run the sandbox in process.
    const pkg = JSON.parse(read('package.json'));
    assert.match(pkg.scripts.build, /^tsc -p tsconfig\.build\.json$/);
    const buildConfig = JSON.parse(read('tsconfig.build.json'));
    assert.equal(buildConfig.extends, './tsconfig.json');
    assert.equal(buildConfig.compilerOptions?.rootDir, undefined, 'same rootDir as tsconfig.json (the ENTRYPOINT path)');
    assert.equal(buildConfig.compilerOptions?.outDir, undefined, 'same outDir as tsconfig.json');
    assert.deepEqual(buildConfig.include, ['src/**/*.ts']);
    const sources = (fs.readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.posix.join('src', f.split(path.sep).join('/')));
    const importsSandbox = sources.filter((f) => /^import\s+(?!type\s)[^;]*from '@b24r\/sandbox'/m.test(read(f)));
    assert.ok(importsSandbox.includes('src/cli/sandbox.ts'), 'the check sees the sandbox command');
    const excluded = (f: string) => (buildConfig.exclude as string[]).some((e) => f === e || f.startsWith(`${e}/`));
    assert.deepEqual(importsSandbox.filter((f) => !excluded(f)), [], 'files importing the sandbox are not built');
    assert.equal(pkg.dependencies['@b24r/sandbox'], undefined, 'the sandbox is no production dependency');
    assert.ok(pkg.devDependencies['@b24r/sandbox'], 'the sandbox is a development dependency');
  });

  it('.dockerignore keeps local state and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', '.git', '.data', 'dist', '.env']) assert.ok(ignored.includes(entry), entry);
  });
});
