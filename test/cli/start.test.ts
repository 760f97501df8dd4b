/**
 * `npm start` (src/cli/start.ts) as a real process: configuration errors (also a webhook that
 * lacks a scope), the API role against a running cluster, clean stops on SIGTERM, and no
 * orphaned dev server when start-up fails.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startSandbox } from '@b24r/sandbox';
import { freePort, portInUse } from '../../src/shared/dev-server';
import { REPO_ROOT, runTs } from '../support/processes';
import { startDevServer, type DevServer } from '../support/temporal';

const START = 'src/cli/start.ts';

/** Every variable start.ts reads, blanked, so the developer's own environment cannot leak in. */
const BLANK: Record<string, string> = Object.fromEntries(
  [
    'ROLE', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TLS', 'TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH',
    'TEMPORAL_TLS_CA_PATH', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_API_KEY', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'DATA_DIR',
    'HOST', 'PORT', 'PUBLIC_URL', 'B24_WEBHOOK_URL', 'B24_APP_TOKEN', 'API_TOKEN', 'RULES_FILE', 'SANDBOX_PORT', 'SANDBOX_PROFILE', 'LOG_LEVEL',
  ].map((k) => [k, '']),
);

const modulePresent = (rel: string) => ['.ts', '/index.ts'].some((ext) => fs.existsSync(path.join(REPO_ROOT, 'src', rel + ext)));

describe('npm start (src/cli/start.ts)', function () {
  this.timeout(300_000);
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-start-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad configuration with exit code 2, naming each variable', async () => {
    const p = runTs(START, { env: { ...BLANK, PORT: 'eighty', LOG_LEVEL: 'chatty', ROLE: 'worker' } });
    assert.equal(await p.exited(), 2);
    const out = p.output();
    for (const name of ['PORT', 'LOG_LEVEL', 'TEMPORAL_ADDRESS', 'B24_WEBHOOK_URL']) assert.match(out, new RegExp(`- ${name}: `));
  });

  it('a webhook that lacks a scope the rules need stops start-up with exit code 2, naming it, before Temporal is reached', async () => {
    // The demo rules notify managers (lost deals, expiry reminders): they need im.
    const sb = await startSandbox({ seed: 'demo', limits: { enabled: false }, scopes: ['crm', 'user', 'department', 'task', 'bizproc', 'catalog'] });
    try {
      const caFile = path.join(dir, 'sandbox-ca.pem');
      fs.writeFileSync(caFile, sb.caCertPem);
      const secret = new URL(sb.webhookUrl).pathname.split('/')[3]!;
      const p = runTs(START, {
        env: {
          ...BLANK,
          // Nothing listens there: start-up must stop before it connects.
          TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
          B24_WEBHOOK_URL: sb.webhookUrl,
          B24_APP_TOKEN: 'app-token-for-tests',
          API_TOKEN: 'api-token-for-tests-0123456789',
          RULES_FILE: path.join(REPO_ROOT, 'config', 'rules.demo.yaml'),
          PORT: '0',
          DATA_DIR: dir,
          NODE_EXTRA_CA_CERTS: caFile,
        },
      });
      assert.equal(await p.exited(), 2, p.output());
      const out = p.output();
      assert.match(out, /- B24_WEBHOOK_URL: the webhook lacks the scope im \(needed by: notifications, expiry action notify\)/);
      assert.ok(!out.includes(secret), 'no webhook secret in the output');
      assert.deepEqual(sb.callLog.entries.map((e) => e.method), ['scope'], 'one scope request, nothing else');
    } finally {
      await sb.close();
    }
  });

  describe('against a running Temporal cluster', () => {
    let server: DevServer;
    before(async () => {
      server = await startDevServer({ ports: { uiPort: null } });
    });
    after(async () => {
      await server?.stop();
    });

    it('ROLE=api serves the API, prints its URL, and stops cleanly on SIGTERM', async () => {
      const p = runTs(START, {
        env: {
          ...BLANK,
          ROLE: 'api',
          TEMPORAL_ADDRESS: server.address,
          B24_WEBHOOK_URL: 'https://portal.example.invalid/rest/1/not-a-real-secret/',
          B24_APP_TOKEN: 'app-token-for-tests',
          API_TOKEN: 'api-token-for-tests-0123456789',
          PORT: '0',
          DATA_DIR: dir,
        },
      });
      try {
        const [, api] = await p.waitFor(/\n\s+API\s+(http:\/\/\S+)/, 180_000);
        const health = await fetch(`${api}/health`);
        assert.equal(health.status, 200);
        assert.doesNotMatch(p.output(), /not-a-real-secret|api-token-for-tests|app-token-for-tests/, 'no secret in the output');
        // The portal does not exist: its scopes cannot be read, which warns and does not block.
        assert.match(p.output(), /could not read the webhook's scopes: starting without checking them/);
        assert.equal(await p.kill('SIGTERM'), 0);
        const port = Number(new URL(api).port);
        assert.equal(await portInUse(port), false);
      } finally {
        await p.kill();
      }
    });
  });

  it('stops the dev server it started when start-up fails (no orphan)', async () => {
    // The API port is taken, so start-up fails late (at the worker or at listen()).
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const apiPort = (blocker.address() as net.AddressInfo).port;
    const temporalPort = await freePort();
    const p = runTs(START, {
      env: {
        ...BLANK,
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(await freePort()),
        B24_WEBHOOK_URL: 'https://portal.example.invalid/rest/1/not-a-real-secret/',
        B24_APP_TOKEN: 'app-token-for-tests',
        API_TOKEN: 'api-token-for-tests-0123456789',
        PORT: String(apiPort),
        DATA_DIR: dir,
      },
    });
    try {
      assert.equal(await p.exited(), 1, p.output());
      assert.match(p.output(), /starting the Temporal dev server/);
      // It failed late, after the dev server was up (missing activities, or the busy API port).
      assert.match(p.output(), /is not available yet|EADDRINUSE/);
      assert.equal(await portInUse(temporalPort), false, 'the dev server is gone');
      assert.ok(fs.existsSync(path.join(dir, 'temporal.db')), 'its data stays in DATA_DIR');
    } finally {
      await p.kill();
      blocker.close();
    }
  });

  it('ROLE=all with the embedded dev server and sandbox: URLs, clean stop, and a second start on the same data (another sandbox profile)', async function () {
    const missing = ['activities'].filter((m) => !modulePresent(m));
    if (missing.length) {
      // Pending until the sandbox and the activities land (docs/architecture.md).
      this.skip();
    }
    const ports = { TEMPORAL_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(await freePort()), SANDBOX_PORT: '0', PORT: '0' };
    for (const round of [1, 2]) {
      // The second start switches the sandbox's profile: its own state file, the same Temporal data.
      const profile = round === 1 ? 'demo' : 'real-world';
      const p = runTs(START, { env: { ...BLANK, ...ports, DATA_DIR: dir, SANDBOX_PROFILE: round === 1 ? '' : profile } });
      try {
        const [, api] = await p.waitFor(/\n\s+API\s+(http:\/\/\S+)/, 240_000);
        const [, ui] = await p.waitFor(/Temporal Web UI\s+(http:\/\/\S+)/);
        await p.waitFor(/Bitrix24 sandbox portal\s+(https?:\/\/\S+)/);
        await p.waitFor(new RegExp(`Bitrix24 sandbox profile\\s+${profile} `));
        assert.equal((await fetch(`${api}/health`)).status, 200, `round ${round}`);
        assert.equal((await fetch(ui)).status, 200, `round ${round}`);
        // The Schedules are made in the background (retried while the dev server settles):
        // created on the first start, updated in place on the second.
        const verb = round === 1 ? 'created' : 'updated';
        await p.waitFor(new RegExp(`"msg":"schedules ready"[^\\n]*"reconcile-crm-changes":"${verb}","scan-dormant-clients":"${verb}"`), 180_000);
        assert.equal(await p.kill('SIGTERM', 60_000), 0, p.output().slice(-3000));
        assert.equal(await portInUse(Number(ports.TEMPORAL_PORT)), false);
      } finally {
        await p.kill();
      }
    }
    assert.ok(fs.existsSync(path.join(dir, 'temporal.db')));
    assert.ok(fs.existsSync(path.join(dir, 'sandbox.json')), 'the demo portal');
    assert.ok(fs.existsSync(path.join(dir, 'sandbox-real-world.json')), 'the real-world portal, beside it');
  });
});
