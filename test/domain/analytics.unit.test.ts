import assert from 'node:assert/strict';
import { computeAnalytics, parseReactivationOrigin, type ReactivationDealRow, type UpcomingWait } from '../../src/domain/analytics';
import { at } from './fixtures';

const NOW = at('2026-03-10T12:00:00+03:00');
const ZONE = 'Europe/Moscow';

let nextId = 1000;
function deal(over: Partial<ReactivationDealRow> = {}): ReactivationDealRow {
  const id = ++nextId;
  return {
    id,
    originId: `reactivation-deal-${id - 500}#1`,
    reasonMark: 'Дорого',
    attempt: 1,
    responsibleId: 3,
    pipelineId: 1,
    createdAt: '2026-03-02T10:00:00.000Z',
    stageSemantic: 'P',
    amount: 1000,
    ...over,
  };
}

const names = { users: { 3: 'Алексей Петров', 4: 'Мария Иванова' }, pipelines: { 1: 'Реактивация' }, reasonsByStage: { UC_PAYMENT: 'Не устроили условия оплаты' } };

describe('analytics', () => {
  it('reads the scenario, source and attempt from ORIGIN_ID', () => {
    assert.deepEqual(parseReactivationOrigin('reactivation-deal-110#2'), { kind: 'lost', sourceId: 110, step: '2', attempt: 2 });
    assert.deepEqual(parseReactivationOrigin('client-company-5#p120-3-cycle-3'), { kind: 'client', sourceId: 5, step: 'p120-3-cycle-3', attempt: 3 });
    assert.deepEqual(parseReactivationOrigin('expiry-deal-7#before-P1D'), { kind: 'expiry', sourceId: 7, step: 'before-P1D', attempt: null });
    assert.equal(parseReactivationOrigin('something-else-1#1'), null);
    assert.equal(parseReactivationOrigin(null), null);
  });

  it('counts reactivated, won, lost, in progress and both conversions', () => {
    const report = computeAnalytics({
      deals: [
        deal({ stageSemantic: 'S', amount: 5000 }),
        deal({ stageSemantic: 'S', amount: 7000 }),
        deal({ stageSemantic: 'F' }),
        deal({ stageSemantic: 'P' }),
        deal({ stageSemantic: null }),
      ],
      waits: [],
      now: NOW,
      timeZone: ZONE,
    });
    assert.deepEqual(report.totals, { reactivated: 5, won: 2, lost: 1, inProgress: 2, wonAmount: 12000, conversion: { ofClosed: 0.6667, ofAll: 0.4 } });
    assert.equal(report.generatedAt, NOW.toISOString());
  });

  it('has no conversion when nothing is closed, rather than 0 or NaN', () => {
    const report = computeAnalytics({ deals: [deal()], waits: [], now: NOW, timeZone: ZONE });
    assert.deepEqual(report.totals.conversion, { ofClosed: null, ofAll: 0 });
    assert.deepEqual(computeAnalytics({ deals: [], waits: [], now: NOW, timeZone: ZONE }).totals.conversion, { ofClosed: null, ofAll: null });
  });

  it('groups by reason, manager, pipeline and attempt, with names from the CRM', () => {
    const report = computeAnalytics({
      deals: [
        deal({ reasonMark: 'Дорого', responsibleId: 3, stageSemantic: 'S' }),
        deal({ reasonMark: 'Дорого', responsibleId: 4, stageSemantic: 'F' }),
        deal({ reasonMark: 'Дорого', responsibleId: 4, stageSemantic: 'P', attempt: 2, pipelineId: 0 }),
        // No mark (the portal lacks the field): the source deal's stage names the reason; the attempt comes from ORIGIN_ID.
        deal({ reasonMark: null, sourceStageId: 'UC_PAYMENT', attempt: null, originId: 'reactivation-deal-7#2', responsibleId: null, stageSemantic: 'S' }),
        deal({ reasonMark: '', sourceStageId: 'UC_ODD', stageSemantic: 'F' }),
      ],
      waits: [],
      now: NOW,
      timeZone: ZONE,
      names,
    });
    const pick = (groups: typeof report.byReason) => groups.map((g) => [g.label, g.reactivated, g.won, g.conversion.ofClosed]);
    assert.deepEqual(pick(report.byReason), [
      ['Дорого', 3, 1, 0.5],
      ['Не устроили условия оплаты', 1, 1, 1],
      ['UC_ODD', 1, 0, 0],
    ]);
    assert.deepEqual(pick(report.byManager), [
      ['Алексей Петров', 2, 1, 0.5],
      ['Мария Иванова', 2, 0, 0],
      ['Unassigned', 1, 1, 1],
    ]);
    assert.deepEqual(report.byManager.map((g) => g.key), ['3', '4', 'none']);
    assert.deepEqual(pick(report.byPipeline), [
      ['Реактивация', 4, 2, 0.5],
      ['Pipeline 0', 1, 0, null],
    ]);
    assert.deepEqual(pick(report.byAttempt), [
      ['Attempt 1', 3, 1, 0.3333],
      ['Attempt 2', 2, 1, 1],
    ]);
  });

  it('labels client-cycle and expiry deals by their scenario', () => {
    const report = computeAnalytics({
      deals: [
        deal({ originId: 'client-company-5#p120-1-cycle-1', reasonMark: null, stageSemantic: 'S' }),
        deal({ originId: 'client-contact-9#p121-2-chain:Упаковка:1:121', reasonMark: null }),
        deal({ originId: 'expiry-deal-7#before-P1D', reasonMark: null }),
        deal({ originId: null }), // not ours: skipped
      ],
      waits: [],
      now: NOW,
      timeZone: ZONE,
    });
    assert.deepEqual(report.byReason.map((g) => g.label).sort(), ['Expiry reminder', 'Repeat purchase', 'Sales chain «Упаковка»']);
    assert.deepEqual(report.byKind.map((g) => [g.key, g.reactivated]), [['client', 2], ['expiry', 1]]);
    assert.equal(report.totals.reactivated, 3);
  });

  it('groups by month in the rules time zone, in calendar order', () => {
    const deals = [
      deal({ createdAt: '2026-01-31T21:30:00.000Z' }), // 1 February 00:30 in Moscow
      deal({ createdAt: '2026-01-31T20:30:00.000Z' }), // 31 January 23:30 in Moscow
      deal({ createdAt: '2025-12-15T09:00:00.000Z', stageSemantic: 'S' }),
    ];
    const moscow = computeAnalytics({ deals, waits: [], now: NOW, timeZone: ZONE });
    assert.deepEqual(moscow.byMonth.map((g) => [g.key, g.reactivated, g.won]), [['2025-12', 1, 1], ['2026-01', 1, 0], ['2026-02', 1, 0]]);
    const utc = computeAnalytics({ deals, waits: [], now: NOW, timeZone: 'UTC' });
    assert.deepEqual(utc.byMonth.map((g) => [g.key, g.reactivated]), [['2025-12', 1], ['2026-01', 2]]);
  });

  it('filters by creation day, both ends inclusive, in the rules time zone', () => {
    const deals = [
      deal({ createdAt: '2026-02-28T20:59:00.000Z' }), // 28 February 23:59 Moscow
      deal({ createdAt: '2026-02-28T21:00:00.000Z' }), // 1 March 00:00 Moscow
      deal({ createdAt: '2026-03-31T20:59:59.000Z' }), // 31 March 23:59:59 Moscow
      deal({ createdAt: '2026-03-31T21:00:00.000Z' }), // 1 April
      deal({ createdAt: null }),
    ];
    const march = computeAnalytics({ deals, waits: [], now: NOW, timeZone: ZONE, from: '2026-03-01', to: '2026-03-31' });
    assert.equal(march.totals.reactivated, 2);
    assert.deepEqual(march.period, { from: '2026-03-01', to: '2026-03-31' });
    assert.equal(computeAnalytics({ deals, waits: [], now: NOW, timeZone: ZONE, from: '2026-03-01' }).totals.reactivated, 3);
    assert.equal(computeAnalytics({ deals, waits: [], now: NOW, timeZone: ZONE }).totals.reactivated, 5);
  });

  it('counts upcoming reactivations per manager in the next 7 and 30 days', () => {
    const inDays = (d: number) => new Date(NOW.getTime() + d * 86_400_000).toISOString();
    const waits: UpcomingWait[] = [
      { responsibleId: 4, wakeUpAt: inDays(1), scenario: 'lost-deal' },
      { responsibleId: 4, wakeUpAt: inDays(7), scenario: 'lost-deal' },
      { responsibleId: 4, wakeUpAt: inDays(20), scenario: 'client' },
      { responsibleId: 3, wakeUpAt: inDays(29.9), scenario: 'expiry' },
      { responsibleId: null, wakeUpAt: inDays(2), scenario: null },
      { responsibleId: 3, wakeUpAt: inDays(31), scenario: 'lost-deal' }, // beyond 30 days
      { responsibleId: 3, wakeUpAt: inDays(-1), scenario: 'lost-deal' }, // already due
    ];
    const { upcoming } = computeAnalytics({ deals: [], waits, now: NOW, timeZone: ZONE, names });
    assert.equal(upcoming.next7Days, 3);
    assert.equal(upcoming.next30Days, 5);
    assert.deepEqual(upcoming.byManager, [
      { key: '4', label: 'Мария Иванова', responsibleId: 4, next7Days: 2, next30Days: 3, scenarios: { 'lost-deal': 2, client: 1 } },
      { key: 'none', label: 'Unassigned', responsibleId: null, next7Days: 1, next30Days: 1, scenarios: { unknown: 1 } },
      { key: '3', label: 'Алексей Петров', responsibleId: 3, next7Days: 0, next30Days: 1, scenarios: { expiry: 1 } },
    ]);
  });
});
