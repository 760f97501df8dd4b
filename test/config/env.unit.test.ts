import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROFILE_NAMES } from '@b24r/sandbox';
import {
  describeEnv,
  ENV_VARS,
  EnvError,
  loadEnv,
  redactUrl,
  SANDBOX_PROFILES,
  temporalConnectionConfig,
  temporalUsesTls,
} from '../../src/config/env';

const WEBHOOK = 'https://acme.bitrix24.example/rest/12/fake-webhook-secret/';
const REAL = { B24_WEBHOOK_URL: WEBHOOK, B24_APP_TOKEN: 'app-token-value', API_TOKEN: 'api-token-0123456789' };

function problems(env: Record<string, string>): Map<string, string> {
  try {
    loadEnv(env);
  } catch (err) {
    assert.ok(err instanceof EnvError, String(err));
    return new Map(err.problems.map((p) => [p.variable, p.message]));
  }
  assert.fail('expected an EnvError');
}

describe('environment (src/config/env.ts)', () => {
  it('defaults to the demo: embedded dev server and sandbox', () => {
    const env = loadEnv({});
    assert.equal(env.ROLE, 'all');
    assert.equal(env.TEMPORAL_ADDRESS, undefined);
    assert.equal(env.B24_WEBHOOK_URL, undefined);
    assert.equal(env.TEMPORAL_NAMESPACE, 'default');
    assert.equal(env.TEMPORAL_PORT, 7233);
    assert.equal(env.TEMPORAL_UI_PORT, 8233);
    assert.equal(env.PORT, 3000);
    assert.equal(env.HOST, '127.0.0.1');
    assert.equal(env.DATA_DIR, '.data');
    assert.equal(env.RULES_FILE, 'config/rules.demo.yaml');
    assert.equal(env.LOG_LEVEL, 'info');
  });

  it('ignores unrelated variables and treats empty values as unset', () => {
    const env = loadEnv({ PATH: '/bin', PORT: '', TEMPORAL_ADDRESS: '  ' });
    assert.equal(env.PORT, 3000);
    assert.equal(env.TEMPORAL_ADDRESS, undefined);
  });

  it('parses numbers, normalises the webhook URL and the address', () => {
    const env = loadEnv({ ...REAL, B24_WEBHOOK_URL: 'https://acme.bitrix24.example/rest/12/abc', PORT: '8080', TEMPORAL_ADDRESS: 'temporal' });
    assert.equal(env.PORT, 8080);
    assert.equal(env.B24_WEBHOOK_URL, 'https://acme.bitrix24.example/rest/12/abc/');
    assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['PORT', { PORT: 'eighty' }, /port/i],
    ['PORT', { PORT: '70000' }, /65535/],
    ['TEMPORAL_PORT', { TEMPORAL_PORT: '0' }, /1-65535/],
    ['TEMPORAL_UI_PORT', { TEMPORAL_UI_PORT: '1.5' }, /whole number/],
    ['LOG_LEVEL', { LOG_LEVEL: 'chatty' }, /debug, info, warn, error/],
    ['ROLE', { ROLE: 'both' }, /all, worker, api/],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'http://temporal:7233' }, /host:port/],
    ['TEMPORAL_TLS', { TEMPORAL_TLS: 'yes' }, /true or false/],
    ['B24_WEBHOOK_URL', { B24_WEBHOOK_URL: 'https://acme.bitrix24.example/crm/deal/' }, /rest\/<user id>\/<secret>/],
    ['B24_WEBHOOK_URL', { B24_WEBHOOK_URL: 'not a url' }, /inbound webhook URL/],
    ['PUBLIC_URL', { PUBLIC_URL: 'ftp://example.com' }, /http\(s\) URL/],
    ['API_TOKEN', { API_TOKEN: 'short' }, /at least 16/],
    ['SANDBOX_PROFILE', { SANDBOX_PROFILE: 'realworld' }, /demo, real-world/],
  ];
  for (const [name, env, message] of bad) {
    it(`names ${name} when it is invalid (${JSON.stringify(env[name])})`, () => {
      const found = problems(env);
      assert.ok(found.has(name), `problems: ${[...found.keys()].join(', ')}`);
      assert.match(found.get(name)!, message);
    });
  }

  it('lists every bad variable at once, in one readable message', () => {
    try {
      loadEnv({ PORT: 'x', LOG_LEVEL: 'y', ROLE: 'api', TEMPORAL_TLS_CERT_PATH: '/nonexistent/cert.pem' });
      assert.fail('expected an EnvError');
    } catch (err) {
      assert.ok(err instanceof EnvError);
      const vars = err.problems.map((p) => p.variable).sort();
      assert.deepEqual(vars, ['B24_WEBHOOK_URL', 'LOG_LEVEL', 'PORT', 'TEMPORAL_ADDRESS', 'TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH'].sort());
      for (const v of vars) assert.match(err.message, new RegExp(`^  - ${v}: `, 'm'));
    }
  });

  it('checks variables that go together', () => {
    assert.match(problems({ TEMPORAL_TLS_KEY_PATH: '/k' }).get('TEMPORAL_TLS_CERT_PATH')!, /both/);
    assert.match(problems({ ROLE: 'worker', ...REAL }).get('TEMPORAL_ADDRESS')!, /ROLE=worker/);
    assert.match(problems({ ROLE: 'api', TEMPORAL_ADDRESS: 't:7233' }).get('B24_WEBHOOK_URL')!, /sandbox/);
    const real = problems({ B24_WEBHOOK_URL: WEBHOOK });
    assert.ok(real.has('B24_APP_TOKEN') && real.has('API_TOKEN'));
  });

  it('keeps the reconciliation on with B24_WEBHOOK_URL: webhooks are then the only event source (no ONCRMDEALMOVETOCATEGORY)', () => {
    const found = problems({ ...REAL, RECONCILE_EVERY: 'off' });
    assert.deepEqual([...found.keys()], ['RECONCILE_EVERY']);
    assert.match(found.get('RECONCILE_EVERY')!, /must not be off with B24_WEBHOOK_URL/);
    assert.match(found.get('RECONCILE_EVERY')!, /ONCRMDEALMOVETOCATEGORY/);
    assert.match(problems({ ...REAL, RECONCILE_EVERY: ' OFF ' }).get('RECONCILE_EVERY')!, /must not be off/);
    assert.equal(loadEnv({ ...REAL, RECONCILE_EVERY: '10 minutes' }).RECONCILE_EVERY, 600_000);
    // The embedded sandbox (no B24_WEBHOOK_URL) may run without it: tests and demos (start-up warns).
    assert.equal(loadEnv({ RECONCILE_EVERY: 'off' }).RECONCILE_EVERY, null);
  });

  it('never echoes a secret value in its errors', () => {
    try {
      loadEnv({ API_TOKEN: 'tooShortSecret', TEMPORAL_API_KEY: '', B24_WEBHOOK_URL: 'https://acme.bitrix24.example/rest/1/fake-secret/x/y' });
      assert.fail('expected an EnvError');
    } catch (err) {
      assert.ok(err instanceof EnvError);
      assert.doesNotMatch(err.message, /tooShortSecret|verysecret/);
    }
  });

  it('redactUrl masks the webhook secret, passwords and token parameters', () => {
    assert.equal(redactUrl(WEBHOOK), 'https://acme.bitrix24.example/rest/12/***/');
    assert.equal(redactUrl('https://acme.bitrix24.example/rest/12/fake-secret/crm.deal.get.json?id=5'), 'https://acme.bitrix24.example/rest/12/***/crm.deal.get.json?id=5');
    assert.equal(redactUrl('https://u:pw@host/x?auth=abc&id=1'), 'https://u:***@host/x?auth=***&id=1');
    assert.equal(redactUrl('not a url /rest/3/abc/'), 'not a url /rest/3/***/');
  });

  it('describeEnv prints the configuration with secrets masked', () => {
    const printed = JSON.stringify(describeEnv(loadEnv({ ...REAL, TEMPORAL_API_KEY: 'cloud-key-value', TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233' })));
    for (const secret of ['fake-webhook-secret', 'app-token-value', 'api-token-0123456789', 'cloud-key-value']) {
      assert.ok(!printed.includes(secret), `${secret} leaked: ${printed}`);
    }
    assert.match(printed, /acme\.bitrix24\.example\/rest\/12\/\*\*\*/);
  });

  it('builds Temporal connection options: plain, API key (TLS), mTLS files', () => {
    assert.deepEqual(temporalConnectionConfig(loadEnv({ TEMPORAL_ADDRESS: 'temporal:7233' })), { address: 'temporal:7233' });
    const cloud = loadEnv({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' });
    assert.equal(temporalUsesTls(cloud), true);
    assert.deepEqual(temporalConnectionConfig(cloud), { address: 'ns.acct.tmprl.cloud:7233', apiKey: 'k', tls: true });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-env-'));
    try {
      fs.writeFileSync(path.join(dir, 'c.pem'), 'CERT');
      fs.writeFileSync(path.join(dir, 'k.pem'), 'KEY');
      const mtls = loadEnv({
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_TLS_CERT_PATH: path.join(dir, 'c.pem'),
        TEMPORAL_TLS_KEY_PATH: path.join(dir, 'k.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'ns.acct.tmprl.cloud',
      });
      const config = temporalConnectionConfig(mtls);
      assert.ok(config.tls && typeof config.tls === 'object');
      assert.equal(config.tls.clientCertPair?.crt.toString(), 'CERT');
      assert.equal(config.tls.clientCertPair?.key.toString(), 'KEY');
      assert.equal(config.tls.serverNameOverride, 'ns.acct.tmprl.cloud');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SANDBOX_PROFILE: demo by default, real-world when asked; the same names as the sandbox\'s profiles', () => {
    assert.equal(loadEnv({}).SANDBOX_PROFILE, 'demo');
    assert.equal(loadEnv({ SANDBOX_PROFILE: 'real-world' }).SANDBOX_PROFILE, 'real-world');
    assert.deepEqual([...SANDBOX_PROFILES], [...PROFILE_NAMES]);
  });

  it('the README configuration table lists every variable', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const missing = ENV_VARS.filter((name) => !new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm').test(readme));
    assert.deepEqual(missing, []);
  });
});
