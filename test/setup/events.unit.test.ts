/**
 * Setup's event handlers where the portal lets the caller bind them (an application context): a
 * scripted portal (no network). Missing handlers are bound once, a second run only reads, and
 * `--check` reports the missing ones. Also: the rules-file locator behind "Edit the rules".
 */
import assert from 'node:assert/strict';
import { createBitrix24Client, createCrmApi, type RawAnswer } from '../../src/bitrix24';
import { loadRulesText } from '../../src/config/rules';
import { portalNeeds } from '../../src/setup/requirements';
import { rulesLocator } from '../../src/setup/rules-file';
import { REQUIRED_EVENTS, runSetup } from '../../src/setup/setup';
import { fail, ok, scriptedTransport } from '../bitrix24/support';

const RULES = 'version: 1\n';
const HANDLER = 'https://reactivation.example.com/b24/events';

function fakePortal(opts: { bindRefused?: boolean } = {}) {
  const bound: { event: string; handler: string }[] = [];
  const fields = ['UF_CRM_REACT_SOURCE', 'UF_CRM_REACT_REASON', 'UF_CRM_REACT_ATTEMPT', 'UF_CRM_REACT_DATE'].map((name, i) => ({
    ID: String(i + 1),
    FIELD_NAME: name,
    USER_TYPE_ID: ['integer', 'string', 'integer', 'datetime'][i],
  }));
  const transport = scriptedTransport((method, params): RawAnswer | ReturnType<typeof fail> => {
    switch (method) {
      case 'crm.category.list':
        return ok({ categories: [{ id: 0, name: 'Основная', sort: 100, entityTypeId: 2, isDefault: 'Y' }] }, { total: 1 });
      case 'crm.deal.userfield.list':
        return ok(fields, { total: fields.length });
      case 'event.get':
        return ok(bound.map((b) => ({ event: b.event, handler: b.handler, auth_type: '0', offline: 0 })));
      case 'event.bind':
        if (opts.bindRefused) return fail('WRONG_AUTH_TYPE', 403, method, 'Current authorization type is denied for this method');
        bound.push({ event: String(params.event), handler: String(params.handler) });
        return ok(true);
      default:
        return fail('ERROR_METHOD_NOT_FOUND', 404, method, 'Method not found!');
    }
  });
  const b24 = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/secret-code-123/', transport, preset: 'off' });
  return { b24, crm: createCrmApi(b24), transport, bound };
}

async function run(portal: ReturnType<typeof fakePortal>, check = false) {
  const lines: string[] = [];
  const report = await runSetup(
    { b24: portal.b24, crm: portal.crm, rules: loadRulesText(RULES), publicUrl: 'https://reactivation.example.com/', appTokenSet: true, reporter: { line: (l) => lines.push(l) } },
    { check },
  );
  return { report, lines };
}

describe('setup: event handlers when the portal allows event.bind', () => {
  it('binds the six events to <PUBLIC_URL>/b24/events once; a second run only reads', async () => {
    const portal = fakePortal();
    const first = await run(portal);
    assert.deepEqual(portal.bound.map((b) => b.event), [...REQUIRED_EVENTS]);
    assert.ok(portal.bound.every((b) => b.handler === HANDLER));
    assert.equal(first.report.items.filter((i) => i.kind === 'events' && i.status === 'created').length, 6);
    assert.equal(first.report.exitCode, 0, first.lines.join('\n'));
    assert.equal(first.report.manualEventSteps, undefined);

    const sentBefore = portal.transport.sent.length;
    const second = await run(portal);
    const methods = portal.transport.sent.slice(sentBefore).map((s) => s.method);
    assert.ok(!methods.includes('event.bind'), methods.join(' '));
    assert.equal(second.report.counts.created, 0);
    assert.equal(second.report.items.filter((i) => i.kind === 'events' && i.status === 'ok').length, 6);
  });

  it('--check reports unbound events as missing (exit 1) and binds nothing', async () => {
    const portal = fakePortal();
    const { report } = await run(portal, true);
    assert.equal(portal.bound.length, 0);
    assert.equal(report.items.filter((i) => i.kind === 'events' && i.status === 'missing').length, 6);
    assert.equal(report.exitCode, 1);
  });

  it('a refused event.bind turns into the outbound-webhook steps (not a failure)', async () => {
    const portal = fakePortal({ bindRefused: true });
    const { report, lines } = await run(portal);
    assert.equal(portal.transport.sent.filter((s) => s.method === 'event.bind').length, 1, 'stops trying after the first refusal');
    assert.equal(report.counts.failed, 0);
    assert.equal(report.exitCode, 0);
    assert.match(lines.join('\n'), /Register the outbound events by hand/);
    assert.ok(!lines.join('\n').includes('secret-code-123'));
  });
});

describe('setup: the outgoing-webhook steps and ONCRMDEALMOVETOCATEGORY', () => {
  it('asks for the six events an outgoing webhook can receive, and says the pipeline move is not one of them: reconciliation stays on', async () => {
    const { report, lines } = await run(fakePortal({ bindRefused: true }));
    const steps = report.manualEventSteps!.join('\n');
    const eventsLine = report.manualEventSteps!.find((l) => l.startsWith('3. Events: '))!;
    assert.deepEqual(eventsLine.replace('3. Events: ', '').split(', '), ['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMDEALDELETE', 'ONCRMLEADADD', 'ONCRMLEADUPDATE', 'ONCRMLEADDELETE']);
    assert.match(steps, /ONCRMDEALMOVETOCATEGORY — a deal moved to another pipeline — is not available to outgoing webhooks/);
    assert.match(steps, /RECONCILE_EVERY must not be off/);
    assert.match(lines.join('\n'), /ONCRMDEALMOVETOCATEGORY/);
  });
});

describe('setup: what the rules need, and where the rules file writes it', () => {
  const text = [
    'version: 1',
    'ids:',
    '  pipelines:',
    '    reactivation: &reactivation 7',
    'lostDeals:',
    '  target: { action: copy, categoryId: *reactivation, stageId: "C7:NEW" }',
    '  forgotten: { categoryId: *reactivation, stageId: "C7:UC_FORGOTTEN" }',
    '  pipelines:',
    '    - categoryId: 0',
    '      reasons:',
    '        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }',
    '',
  ].join('\n');

  it('names the pipeline to create «Реактивация» and «Забытый клиент» a failure stage', () => {
    const needs = portalNeeds(loadRulesText(text));
    assert.deepEqual(needs.pipelines.map((p) => [p.categoryId, p.name]), [[0, undefined], [7, 'Реактивация']]);
    const forgotten = needs.stages.find((s) => s.statusId === 'C7:UC_FORGOTTEN');
    assert.deepEqual([forgotten?.name, forgotten?.semantics, forgotten?.categoryId], ['Забытый клиент', 'failure', 7]);
    assert.equal(needs.stages.find((s) => s.statusId === 'LOSE')?.semantics, 'failure');
    assert.equal(needs.stages.find((s) => s.statusId === 'C7:NEW')?.semantics, 'process');
  });

  it('locates a value used through an alias at its anchor', () => {
    const locator = rulesLocator(text);
    assert.deepEqual(locator.locate(['lostDeals', 'target', 'categoryId']), { line: 4, writtenAt: 'ids.pipelines.reactivation' });
    assert.deepEqual(locator.locate(['lostDeals', 'target', 'stageId']), { line: 6, writtenAt: 'lostDeals.target.stageId' });
    assert.equal(rulesLocator('version: [').locate(['version']), undefined);
  });
});
