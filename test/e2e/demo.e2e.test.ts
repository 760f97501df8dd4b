/**
 * `npm run demo:lose` / `demo:win` (src/cli/demo.ts) against the running service (startStack:
 * startService with the embedded sandbox, e2e rules). The demo finds the sandbox admin API
 * through DATA_DIR/sandbox-admin.json, which the service writes at start and removes at stop.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main, parseDemoArgs, runDemo, UsageError } from '../../src/cli/demo';
import { sandboxAdminFile } from '../../src/cli/sandbox-admin';
import { startStack, type Stack } from './stack';

describe('demo commands against the running service (dev server + sandbox)', function () {
  this.timeout(180_000);
  let stack: Stack | undefined;
  let dataDir = '';

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-demo-e2e-'));
    stack = await startStack({ env: { DATA_DIR: dataDir, RECONCILE_EVERY: 'off', DORMANT_SCAN_EVERY: 'off' } });
  });
  after(async () => {
    await stack?.stop();
    if (dataDir) {
      assert.equal(fs.existsSync(sandboxAdminFile(dataDir)), false, 'the service removes sandbox-admin.json when it stops');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('the service writes sandbox-admin.json (0600) with the admin URL, token and certificate', () => {
    const file = sandboxAdminFile(dataDir);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const info = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(info.adminUrl, stack!.sandbox.adminUrl);
    assert.equal(info.adminToken, stack!.sandbox.adminToken);
    assert.match(info.caCertPem, /BEGIN CERTIFICATE/);
    assert.equal(info.pid, process.pid);
  });

  it('demo:lose loses a fresh deal and follows it to its reactivation deal', async () => {
    const lines: string[] = [];
    const result = await runDemo({ action: 'lose', timeoutSeconds: 60, dataDir }, (l) => lines.push(l));
    assert.ok(result.reactivation, lines.join('\n'));
    assert.deepEqual(result.workflowIds, [`reactivation-deal-${result.dealId}`]);
    assert.match(result.reactivation.title, /^Реактивация: .*\(попытка 1\)$/);
    assert.equal(result.reactivation.stageId, 'C1:NEW');
    const out = lines.join('\n');
    assert.match(out, new RegExp(`/namespaces/default/workflows/reactivation-deal-${result.dealId}`));
    assert.match(out, /stage {8}C1:NEW «Новая реактивация»/);
    assert.match(out, /to-do {8}«/);
  });

  it('demo:win wins a fresh deal and follows the client’s purchase cycle to its deal', async () => {
    const lines: string[] = [];
    const result = await runDemo({ action: 'win', timeoutSeconds: 60, dataDir }, (l) => lines.push(l));
    assert.ok(result.reactivation, lines.join('\n'));
    assert.match(result.workflowIds[0], /^client-company-\d+$/);
    assert.match(result.reactivation.title, /Повторная продажа|цепочка/);
  });

  it('exit codes as the README says: 2 for bad arguments, 1 when no npm start is running there', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-demo-none-'));
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      assert.equal(await main(['close']), 2);
      assert.equal(await main(['lose', '--data-dir', empty, '--timeout', '1']), 1);
    } finally {
      process.stderr.write = stderr;
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('arguments: bad ones are refused with a usage error', () => {
    assert.throws(() => parseDemoArgs(['lose', '--deal', 'x']), UsageError);
    assert.throws(() => parseDemoArgs(['win', '--reason', 'LOSE']), UsageError);
    assert.throws(() => parseDemoArgs(['close']), UsageError);
    assert.deepEqual(parseDemoArgs(['lose', '--deal=12', '--reason', 'Дорого'], {}), { action: 'lose', dealId: 12, reason: 'Дорого', timeoutSeconds: 180, dataDir: '.data' });
  });
});
