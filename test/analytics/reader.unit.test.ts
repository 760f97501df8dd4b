/**
 * The analytics reader over fakes of the CRM helpers and the Temporal client: what it asks
 * Bitrix24 for, the reason fallback when the portal lacks the mark fields, the visibility query,
 * the cache; and the page escapes what comes from the CRM.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { renderAnalyticsPage } from '../../src/analytics/page';
import { createAnalyticsReader, upcomingQuery } from '../../src/analytics/reader';
import { parseDeal, type CrmApi, type CrmFilter } from '../../src/bitrix24';
import { loadRules } from '../../src/config/rules';
import { computeAnalytics } from '../../src/domain/analytics';
import { createMemoryLogger } from '../../src/shared/log';
import { SA } from '../../src/shared/search-attributes';

const rules = loadRules(path.resolve(__dirname, '../fixtures/rules.e2e.yaml'));
const NOW = new Date('2026-03-10T09:00:00Z');

function fakes() {
  const calls: { filter: CrmFilter; select?: string[]; opts?: unknown }[] = [];
  const queries: string[] = [];
  const crm = {
    listDeals: async (filter: CrmFilter = {}, select?: string[], _order?: unknown, opts?: unknown) => {
      calls.push({ filter, select, opts });
      if ('@ID' in filter) return [parseDeal({ ID: '110', STAGE_ID: 'UC_PAYMENT' })];
      return [
        { ID: '901', ORIGINATOR_ID: 'b24-reactivation', ORIGIN_ID: 'reactivation-deal-110#1', ASSIGNED_BY_ID: '3', CATEGORY_ID: '1', STAGE_SEMANTIC_ID: 'S', OPPORTUNITY: '100.00', DATE_CREATE: '2026-03-02T10:00:00+03:00' },
        { ID: '902', ORIGINATOR_ID: 'b24-reactivation', ORIGIN_ID: 'reactivation-deal-111#2', ASSIGNED_BY_ID: '4', CATEGORY_ID: '1', STAGE_SEMANTIC_ID: 'P', UF_CRM_REACT_REASON: 'Дорого', UF_CRM_REACT_ATTEMPT: '2' },
        { ID: '903', ORIGINATOR_ID: 'someone-else', ORIGIN_ID: 'reactivation-deal-112#1' }, // a portal that ignored the filter
      ].map((d) => parseDeal(d));
    },
    getUser: async () => [{ id: 3, name: 'Алексей', lastName: 'Петров' }, { id: 4, name: '<script>x</script>', lastName: null }],
    listCategories: async () => {
      throw new Error('insufficient scope');
    },
  } as unknown as CrmApi;
  const temporal = {
    workflow: {
      list: async function* ({ query }: { query: string }) {
        queries.push(query);
        yield { typedSearchAttributes: new TypedSearchAttributes([{ key: SA.NextWakeUp, value: new Date('2026-03-12T09:00:00Z') }, { key: SA.Responsible, value: 4 }, { key: SA.Scenario, value: 'lost-deal' }]) };
      },
    },
  } as unknown as Client;
  let clock = NOW.getTime();
  const reader = createAnalyticsReader({ crm, temporal, rules: () => rules, log: createMemoryLogger('warn'), now: () => new Date(clock) });
  return { reader, calls, queries, tick: (ms: number) => (clock += ms) };
}

describe('analytics reader', () => {
  it('lists our deals with a minimal select paged by ID, names them, and reads the upcoming waits', async () => {
    const { reader, calls, queries } = fakes();
    const snap = await reader.snapshot();
    assert.deepEqual(calls[0]!.filter, { ORIGINATOR_ID: 'b24-reactivation' });
    assert.deepEqual(calls[0]!.opts, { fastById: true });
    for (const field of ['ORIGIN_ID', 'STAGE_SEMANTIC_ID', 'ASSIGNED_BY_ID', 'UF_CRM_REACT_REASON', 'UF_CRM_REACT_ATTEMPT']) assert.ok(calls[0]!.select!.includes(field), field);
    assert.ok(!calls[0]!.select!.includes('*'));
    // Deal 901 has no reason mark: its source deal 110 is read once (its stage names the reason).
    assert.deepEqual(calls[1]!.filter, { '@ID': [110] });
    assert.deepEqual(snap.deals.map((d) => [d.id, d.reasonMark, d.sourceStageId ?? null]), [[901, null, 'UC_PAYMENT'], [902, 'Дорого', null]]);
    assert.equal(queries[0], upcomingQuery(NOW));
    assert.equal(queries[0], "ExecutionStatus = 'Running' AND NextWakeUp > '2026-03-10T09:00:00.000Z' AND NextWakeUp <= '2026-04-09T09:00:00.000Z'");
    assert.deepEqual(snap.waits, [{ responsibleId: 4, wakeUpAt: '2026-03-12T09:00:00.000Z', scenario: 'lost-deal' }]);
    assert.equal(snap.timeZone, 'Europe/Moscow');
    // Pipeline names: the CRM refused, the rules name them.
    assert.equal(snap.names.pipelines?.[1], 'Реактивация');

    const report = computeAnalytics({ ...snap, now: NOW });
    assert.deepEqual(report.byReason.map((g) => [g.label, g.reactivated, g.won]), [['Не устроили условия оплаты', 1, 1], ['Дорого', 1, 0]]);
    assert.deepEqual(report.byAttempt.map((g) => g.key), ['1', '2']);
    const html = renderAnalyticsPage(report, snap.readAt);
    assert.match(html, /Алексей Петров/);
    assert.match(html, /&lt;script&gt;x&lt;\/script&gt;/);
    assert.doesNotMatch(html, /<script>/);
  });

  it('serves one snapshot for a minute; `fresh` reads again', async () => {
    const { reader, calls, tick } = fakes();
    const first = await reader.snapshot();
    tick(59_000);
    assert.equal(await reader.snapshot(), first);
    assert.equal(calls.length, 2);
    assert.notEqual(await reader.snapshot({ fresh: true }), first);
    tick(61_000);
    await reader.snapshot();
    assert.equal(calls.length, 6);
  });
});
