/**
 * `npm run sandbox` (src/cli/sandbox.ts): starts a seeded portal, prints where to call it, saves
 * the state on SIGTERM.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTs } from '../support/processes';

describe('sandbox CLI', () => {
  it('prints the webhook, admin and application URLs, answers REST, saves the state on SIGTERM', async function () {
    this.timeout(90_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'b24-sandbox-cli-'));
    const state = path.join(dir, 'state.json');
    const p = runTs('src/cli/sandbox.ts', { args: ['--http', '--port', '0', '--limits', 'off', '--state', state, '--app-token', 'cli-token'] });
    try {
      const [, webhook] = await p.waitFor(/Inbound webhook:\s+(\S+)/, 60_000);
      await p.waitFor(/Admin API:\s+(\S+)/);
      await p.waitFor(/Application auth:/);
      assert.match(webhook, /^http:\/\/127\.0\.0\.1:\d+\/rest\/1\/[a-z0-9]{16}\/$/);
      assert.match(p.output(), /auth\[application_token\] = cli-token/);
      const r = await fetch(`${webhook}crm.deal.get?id=101`);
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { result: { ID: string } }).result.ID, '101');
      await p.kill('SIGTERM');
      assert.match(p.output(), /saved /);
      assert.ok(existsSync(state));
    } finally {
      await p.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--profile real-world: prints the profile, answers in +05:00; a state file of another profile is refused', async function () {
    this.timeout(90_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'b24-sandbox-cli-'));
    const state = path.join(dir, 'rw.json');
    const p = runTs('src/cli/sandbox.ts', { args: ['--http', '--port', '0', '--limits', 'off', '--state', state, '--profile', 'real-world'] });
    try {
      const [, webhook] = await p.waitFor(/Inbound webhook:\s+(\S+)/, 60_000);
      assert.match(p.output(), /Profile:\s+real-world — .*close-date sync off/);
      const time = (await (await fetch(`${webhook}server.time`)).json()) as { result: string };
      assert.match(time.result, /\+05:00$/);
      await p.kill('SIGTERM');
      assert.ok(existsSync(state));
      const other = runTs('src/cli/sandbox.ts', { args: ['--http', '--port', '0', '--limits', 'off', '--state', state, '--profile', 'demo'] });
      assert.equal(await other.exited(), 1);
      assert.match(other.output(), /holds a "real-world" portal, not "demo"/);
    } finally {
      await p.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags with a usage line', async () => {
    const p = runTs('src/cli/sandbox.ts', { args: ['--limits', 'sometimes', '--http', '--port', '0'] });
    const code = await p.exited();
    assert.notEqual(code, 0);
    assert.match(p.output(), /--limits must be standard, enterprise or off/);
    const profile = runTs('src/cli/sandbox.ts', { args: ['--profile', 'imaginary', '--http', '--port', '0'] });
    assert.equal(await profile.exited(), 2);
    assert.match(profile.output(), /--profile must be demo or real-world/);
  });
});
