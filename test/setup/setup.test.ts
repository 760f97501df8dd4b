/**
 * Portal setup against the sandbox (in process, limits off): the first run creates what the
 * rules need (pipeline, stages, lead statuses, fields), a second run only reads, `--check`
 * reports the drift and never writes, the printed rules edits are exact (applying them makes the
 * check pass), and the CLI neither prints the webhook secret nor the application token.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBitrix24Client, createCrmApi, type Bitrix24Client } from '../../src/bitrix24';
import { loadRulesText } from '../../src/config/rules';
import { runSetup, type SetupReport } from '../../src/setup/setup';
import { startSandbox, type CategoryRec, type SandboxHandle, type StatusRec, type UserFieldRec } from '@b24r/sandbox';
import { REPO_ROOT, runTs } from '../support/processes';

const EXAMPLE_RULES = path.join(REPO_ROOT, 'config', 'rules.example.yaml');
const DEMO_RULES = path.join(REPO_ROOT, 'config', 'rules.demo.yaml');
const PUBLIC_URL = 'https://reactivation.example.com';

/** Methods that only read (the call log holds batch sub-calls too). */
const isRead = (method: string) => /\.(list|get|fields)$/.test(method) || method === 'batch' || method === 'scope';

function clientFor(sb: SandboxHandle): Bitrix24Client {
  return createBitrix24Client({ webhookUrl: sb.webhookUrl, caCertPem: sb.caCertPem, preset: 'off' });
}

async function setup(sb: SandboxHandle, rulesText: string, opts: { check?: boolean; appTokenSet?: boolean; publicUrl?: string } = {}): Promise<SetupReport & { lines: string[] }> {
  const b24 = clientFor(sb);
  const lines: string[] = [];
  const report = await runSetup(
    {
      b24,
      crm: createCrmApi(b24),
      rules: loadRulesText(rulesText, 'rules.yaml'),
      rulesText,
      rulesFile: 'rules.yaml',
      publicUrl: 'publicUrl' in opts ? opts.publicUrl : PUBLIC_URL,
      appTokenSet: opts.appTokenSet ?? true,
      reporter: { line: (text) => lines.push(text) },
    },
    { check: opts.check },
  );
  return Object.assign(report, { lines });
}

/** What the admin does with "Edit the rules": replace each value on its line. */
function applyEdits(text: string, edits: SetupReport['edits']): string {
  const lines = text.split('\n');
  for (const e of edits) {
    assert.ok(e.line, `edit ${e.writtenAt} has a line`);
    const i = e.line - 1;
    const escaped = e.from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(^|[\\s&*:{\\[,])${escaped}(?=$|[\\s,}\\]#])`);
    assert.match(lines[i]!, re, `line ${e.line} holds ${e.from}: ${lines[i]}`);
    lines[i] = lines[i]!.replace(re, `$1${e.to}`);
  }
  return lines.join('\n');
}

describe('portal setup (src/setup) against the sandbox', function () {
  this.timeout(120_000);

  describe('an empty portal and config/rules.example.yaml', () => {
    let sb: SandboxHandle;
    const rulesText = fs.readFileSync(EXAMPLE_RULES, 'utf8');
    let first: SetupReport & { lines: string[] };
    let reactivationId: number;

    before(async () => {
      sb = await startSandbox({ seed: 'empty', limits: { enabled: false } });
      first = await setup(sb, rulesText);
      const created = (sb.portal.records('categories') as CategoryRec[]).find((c) => c.name === 'Реактивация');
      assert.ok(created, 'the «Реактивация» pipeline exists');
      reactivationId = created.id;
    });
    after(async () => {
      await sb?.close();
    });

    it('first run: creates the pipeline, its stages, the loss-reason stages, lead statuses and the fields', () => {
      const statuses = sb.portal.records('statuses') as StatusRec[];
      const stage = (entity: string, id: string) => statuses.find((s) => s.ENTITY_ID === entity && s.STATUS_ID === id);
      const forgotten = stage(`DEAL_STAGE_${reactivationId}`, `C${reactivationId}:UC_FORGOTTEN`);
      assert.ok(forgotten, '«Забытый клиент» in the new pipeline');
      assert.equal(forgotten.NAME, 'Забытый клиент');
      assert.equal(forgotten.SEMANTICS, 'F');
      assert.ok(stage(`DEAL_STAGE_${reactivationId}`, `C${reactivationId}:NEW`), 'the new pipeline has its NEW stage');
      for (const id of ['UC_PAYMENT', 'UC_DELIVERY', 'UC_CONTRACT', 'UC_STOCK', 'UC_NOMONEY', 'UC_SILENT', 'UC_LATER']) {
        assert.equal(stage('DEAL_STAGE', id)?.SEMANTICS, 'F', `loss reason ${id} is a failure stage`);
      }
      assert.equal(stage('STATUS', '1')?.SEMANTICS, 'F', 'lead status «Нет бюджета»');
      assert.equal(stage('STATUS', '2')?.SEMANTICS, 'F', 'lead status «Нецелевой»');

      const fields = sb.portal.records('userFields') as UserFieldRec[];
      const field = (entity: string, name: string) => fields.find((f) => f.ENTITY_ID === entity && f.FIELD_NAME === name);
      for (const [name, type] of [
        ['UF_CRM_REACT_SOURCE', 'integer'],
        ['UF_CRM_REACT_REASON', 'string'],
        ['UF_CRM_REACT_ATTEMPT', 'integer'],
        ['UF_CRM_REACT_DATE', 'datetime'],
        ['UF_CRM_RETURN_DATE', 'date'],
        ['UF_CRM_RETURN_PERIOD', 'enumeration'],
        ['UF_CRM_LOSS_REASON', 'enumeration'],
        ['UF_CRM_LICENSE_END', 'date'],
        ['UF_CRM_MONTHLY_USE', 'double'],
      ]) {
        assert.equal(field('CRM_DEAL', name)?.USER_TYPE_ID, type, `deal field ${name}`);
      }
      assert.deepEqual(
        field('CRM_DEAL', 'UF_CRM_RETURN_PERIOD')?.LIST?.map((i) => i.VALUE),
        ['через 2 недели', 'через 1 месяц', 'через 3 месяца', 'через 6 месяцев'],
      );
      assert.ok(field('CRM_COMPANY', 'UF_CRM_FORGOTTEN_CLIENT') && field('CRM_CONTACT', 'UF_CRM_FORGOTTEN_CLIENT'), 'the forgotten-client mark on companies and contacts');

      assert.equal(first.counts.failed, 0, first.lines.join('\n'));
      assert.ok(first.counts.created >= 20, `created ${first.counts.created}`);
      assert.deepEqual(first.pipelineIds, [{ rulesId: 7, portalId: reactivationId, name: 'Реактивация' }]);
    });

    it('first run: prints every step, the exact rules lines to edit and the outbound-webhook steps', () => {
      const out = first.lines.join('\n');
      assert.match(out, new RegExp(`created\\s+pipeline «Реактивация» — id ${reactivationId}`));
      assert.match(out, /created\s+stage C\d+:UC_FORGOTTEN «Забытый клиент» \(failure\)/);
      assert.match(out, /created\s+deal field UF_CRM_REACT_SOURCE \(integer\)/);
      assert.match(out, new RegExp(`line 15 +ids\\.pipelines\\.reactivation: 7 → ${reactivationId}`));
      assert.match(out, new RegExp(`ids\\.stages\\.forgotten: C7:UC_FORGOTTEN → C${reactivationId}:UC_FORGOTTEN`));
      assert.match(out, /options\[0\]\.value: 45 → \d+/);
      // event.bind needs application authorization; the webhook is refused and the admin gets the steps.
      assert.match(out, /manual\s+6 events → https:\/\/reactivation\.example\.com\/b24\/events/);
      assert.match(out, /Outgoing webhook/);
      assert.match(out, /ONCRMDEALADD, ONCRMDEALUPDATE, ONCRMDEALDELETE, ONCRMLEADADD, ONCRMLEADUPDATE, ONCRMLEADDELETE/);
      assert.match(out, /B24_APP_TOKEN/);
      assert.equal(first.exitCode, 1, 'the rules still say 7: action required');
      assert.ok(first.manualEventSteps && first.manualEventSteps.length >= 4);
    });

    it('second run: creates nothing — the sandbox saw only reads', async () => {
      const before = sb.callLog.size;
      const second = await setup(sb, rulesText);
      const calls = sb.callLog.entries.slice(before);
      assert.ok(calls.length > 0);
      const writes = calls.filter((c) => !isRead(c.method));
      assert.deepEqual(writes.map((c) => c.method), [], 'no write on the second run');
      assert.equal(second.counts.created, 0);
      assert.equal(second.counts.failed, 0);
      assert.equal((sb.portal.records('categories') as CategoryRec[]).filter((c) => c.name === 'Реактивация').length, 1, 'one pipeline, found by its name');
      assert.deepEqual(second.edits.map((e) => `${e.writtenAt}:${e.to}`), first.edits.map((e) => `${e.writtenAt}:${e.to}`), 'the same edits again');
    });

    it('--check reports the drift, exits 1 and never writes', async () => {
      const before = sb.callLog.size;
      const check = await setup(sb, rulesText, { check: true });
      const writes = sb.callLog.entries.slice(before).filter((c) => !isRead(c.method));
      assert.deepEqual(writes, []);
      assert.equal(check.exitCode, 1);
      assert.equal(check.counts.created, 0);
      assert.match(check.lines.join('\n'), /DIFFERS\s+pipeline «Реактивация» — exists as id \d+; the rules say 7/);
      assert.match(check.lines.join('\n'), /The portal does not match the rules/);
    });

    it('after the printed edits, --check passes (the edits are exact)', async () => {
      const edited = applyEdits(rulesText, first.edits);
      const before = sb.callLog.size;
      const check = await setup(sb, edited, { check: true });
      assert.deepEqual(sb.callLog.entries.slice(before).filter((c) => !isRead(c.method)), []);
      assert.equal(check.edits.length, 0, check.lines.join('\n'));
      assert.equal(check.counts.missing + check.counts.differs + check.counts.failed, 0, check.lines.join('\n'));
      assert.equal(check.exitCode, 0);
      // Events cannot be verified through an inbound webhook: reported, not counted as drift.
      assert.equal(check.counts.manual, 1);
    });

    it('--check without PUBLIC_URL and B24_APP_TOKEN reports both as missing', async () => {
      const check = await setup(sb, applyEdits(rulesText, first.edits), { check: true, publicUrl: undefined, appTokenSet: false });
      assert.equal(check.exitCode, 1);
      const missing = check.items.filter((i) => i.status === 'missing').map((i) => i.subject);
      assert.deepEqual(missing.sort(), ['B24_APP_TOKEN', 'PUBLIC_URL']);
      assert.match(check.lines.join('\n'), /<PUBLIC_URL>\/b24\/events/);
    });
  });

  describe('the demo portal and config/rules.demo.yaml', () => {
    let sb: SandboxHandle;
    before(async () => {
      sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
    });
    after(async () => {
      await sb?.close();
    });

    it('--check lists what the rules need and the portal lacks, without writing', async () => {
      const rulesText = fs.readFileSync(DEMO_RULES, 'utf8');
      const before = sb.callLog.size;
      const check = await setup(sb, rulesText, { check: true });
      assert.deepEqual(sb.callLog.entries.slice(before).filter((c) => !isRead(c.method)), []);
      assert.equal(check.exitCode, 1);
      const missing = check.items.filter((i) => i.status === 'missing').map((i) => i.subject);
      for (const field of ['UF_CRM_REACT_SOURCE', 'UF_CRM_REACT_REASON', 'UF_CRM_REACT_ATTEMPT', 'UF_CRM_REACT_DATE']) {
        assert.ok(missing.some((m) => m.includes(field)), `${field} reported missing: ${missing.join('; ')}`);
      }
      // Whatever the rules name that the seed has is reported ok (e.g. the loss stage LOSE).
      assert.ok(check.items.some((i) => i.status === 'ok' && i.subject.startsWith('stage LOSE ')));
      // And a run makes the check pass for everything but the ids the portal assigns (list items).
      const run = await setup(sb, rulesText);
      assert.equal(run.counts.failed, 0, run.lines.join('\n'));
      const after = await setup(sb, applyEdits(rulesText, run.edits), { check: true });
      assert.equal(after.exitCode, 0, after.lines.join('\n'));
    });
  });

  describe('npm run setup (src/cli/setup.ts)', () => {
    let sb: SandboxHandle;
    let dir: string;
    let caFile: string;
    const APP_TOKEN = 'app-token-never-printed-0123456789';
    before(async () => {
      sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-setup-'));
      caFile = path.join(dir, 'ca.pem');
      fs.writeFileSync(caFile, sb.caCertPem);
    });
    after(async () => {
      await sb?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const env = () => ({ B24_WEBHOOK_URL: sb.webhookUrl, RULES_FILE: DEMO_RULES, PUBLIC_URL, B24_APP_TOKEN: APP_TOKEN, LOG_LEVEL: 'info' });

    it('--check: reports, exits 1, and prints neither the webhook secret nor the token', async () => {
      const secret = new URL(sb.webhookUrl).pathname.split('/')[3]!;
      assert.ok(secret.length >= 8);
      const p = runTs('src/cli/setup.ts', { env: env(), args: ['--check', '--ca-file', caFile] });
      assert.equal(await p.exited(), 1, p.output());
      const out = p.output();
      assert.match(out, /Checking the portal https:\/\/127\.0\.0\.1:\d+ for the rules/);
      assert.match(out, /MISSING\s+deal field UF_CRM_REACT_SOURCE/);
      assert.ok(!out.includes(secret), 'no webhook secret in the output');
      assert.ok(!out.includes(APP_TOKEN), 'no application token in the output');
      assert.deepEqual(sb.callLog.entries.filter((c) => !isRead(c.method)), [], 'a check never writes');
    });

    it('--check on a webhook without im: scope im MISSING, naming what needs it (exit 1); a run is blocked too', async () => {
      const narrow = await startSandbox({ seed: 'demo', limits: { enabled: false }, scopes: ['crm', 'user', 'department', 'task', 'bizproc', 'catalog'] });
      try {
        const narrowCa = path.join(dir, 'narrow-ca.pem');
        fs.writeFileSync(narrowCa, narrow.caCertPem);
        const p = runTs('src/cli/setup.ts', { env: { ...env(), B24_WEBHOOK_URL: narrow.webhookUrl }, args: ['--check', '--ca-file', narrowCa] });
        assert.equal(await p.exited(), 1, p.output());
        const out = p.output();
        assert.match(out, /Webhook permissions \(scopes\)/);
        assert.match(out, /ok\s+scope crm/);
        assert.match(out, /MISSING\s+scope im — needed by: notifications, expiry action notify — add it to the inbound webhook's permissions/);
        assert.equal(narrow.callLog.entries.filter((e) => e.method === 'scope').length, 1, 'one scope request');

        const run = await setup(narrow, fs.readFileSync(DEMO_RULES, 'utf8'));
        assert.ok(run.items.some((i) => i.kind === 'scope' && i.subject === 'scope im' && i.status === 'missing'));
        assert.equal(run.exitCode, 1, 'setup cannot grant a scope: the run asks for action');
      } finally {
        await narrow.close();
      }
    });

    it('usage and configuration errors exit 2 and name the flag or variable', async () => {
      const bad = runTs('src/cli/setup.ts', { env: env(), args: ['--chek'] });
      assert.equal(await bad.exited(), 2);
      assert.match(bad.output(), /unknown option --chek \(options: --check, --ca-file, --help\)/);
      const noUrl = runTs('src/cli/setup.ts', { env: { ...env(), B24_WEBHOOK_URL: '' }, args: ['--check'] });
      assert.equal(await noUrl.exited(), 2);
      assert.match(noUrl.output(), /- B24_WEBHOOK_URL: required/);
      const badUrl = runTs('src/cli/setup.ts', { env: { ...env(), B24_WEBHOOK_URL: 'https://portal.example/rest/1' }, args: [] });
      assert.equal(await badUrl.exited(), 2);
      assert.match(badUrl.output(), /- B24_WEBHOOK_URL: expected the inbound webhook URL/);
    });
  });
});
