/**
 * Backfill pieces that need no server: flag parsing (every problem names its flag), --since in
 * the portal's time zone, the auto spread, the start delay added to the webhook's hand-off, the
 * checkpoint file, and the progress output on a terminal and in a log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { autoSpreadMs, backfillStreams, resolveSince } from '../../src/backfill/backfill';
import { CheckpointError, emptyStreams, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/backfill/checkpoint';
import { consoleReporter, type BackfillProgress } from '../../src/backfill/progress';
import { backfillFlags } from '../../src/cli/backfill';
import { loadRulesText } from '../../src/config/rules';
import { createStarter } from '../../src/temporal/starter';
import { parseFlags, readFlags, UsageError } from '../../src/cli/args';

const KINDS = { since: 'string', 'dry-run': 'boolean', spread: 'string', resume: 'boolean', 'ca-file': 'string', help: 'boolean' } as const;
const flags = (...argv: string[]) => parseFlags(backfillFlags, readFlags(argv, KINDS));

describe('backfill: flags', () => {
  it('reads --since, --dry-run, --spread and --resume (npm passes a leading --)', () => {
    assert.deepEqual(flags('--', '--since', '2025-01-01', '--dry-run', '--spread=6h'), { since: '2025-01-01', 'dry-run': true, spread: { hours: 6 }, resume: false });
    assert.deepEqual(flags('--resume').resume, true);
    assert.deepEqual(flags('--since', '2025-01-01', '--spread', '0').spread, {});
    assert.deepEqual(flags('--since', '2025-01-01T10:00:00+03:00').since, '2025-01-01T10:00:00+03:00');
  });

  it('names the flag in every problem', () => {
    const problem = (...argv: string[]) => {
      try {
        flags(...argv);
      } catch (error) {
        assert.ok(error instanceof UsageError);
        return error.message;
      }
      assert.fail(`accepted ${argv.join(' ')}`);
    };
    assert.match(problem('--dry-run'), /^--since: required/);
    assert.match(problem('--since', '01.01.2025'), /^--since: expected a date YYYY-MM-DD/);
    assert.match(problem('--since', '2025-01-01', '--spread', 'a while'), /^--spread: expected a duration such as 6h/);
    assert.match(problem('--resume', '--dry-run'), /^--resume: cannot be combined with --dry-run/);
    assert.match(problem('--since'), /^--since: expected a value/);
    assert.match(problem('--since', '2025-01-01', '--since', '2025-02-01'), /--since is given twice/);
    assert.match(problem('--speed', '1h'), /unknown option --speed \(options: --since, --dry-run, --spread, --resume, --ca-file, --help\)/);
    assert.match(problem('2025-01-01'), /unexpected argument "2025-01-01"/);
    assert.match(problem('--dry-run=yes'), /--dry-run: expected no value/);
  });
});

describe('backfill: since, lists, spread', () => {
  it('reads a date as midnight in the portal time zone, an instant as is', () => {
    assert.equal(resolveSince('2025-01-01', 'Europe/Moscow').toISOString(), '2024-12-31T21:00:00.000Z');
    assert.equal(resolveSince('2025-01-01T10:00:00Z', 'Europe/Moscow').toISOString(), '2025-01-01T10:00:00.000Z');
    assert.throws(() => resolveSince('2025-02-30', 'Europe/Moscow'), /--since: "2025-02-30" is not a date/);
  });

  it('lists lost deals in the configured pipelines, junk leads and won deals by DATE_MODIFY (not CLOSEDATE: a planned date on portals without close-date sync)', () => {
    const rules = loadRulesText(`
version: 1
lostDeals:
  pipelines: [{ categoryId: 0, reasons: [{ stageId: LOSE, name: Дорого, returnPeriod: 1 month }] }, { categoryId: 3, reasons: [{ stageId: "C3:LOSE", name: Дорого, returnPeriod: 1 month }] }]
  leads: { target: { statusId: IN_PROCESS }, statuses: [{ statusId: JUNK, name: Спам, reactivate: false }] }
clients: { wonIn: [0, 5], periods: { default: 6 weeks }, target: { categoryId: 0, stageId: NEW } }
expiry: { wonIn: [7], rules: [{ name: Лицензии, expiresAt: { kind: field, field: UF_CRM_END }, reminders: [{ before: 1 week, action: notify }] }] }
`);
    const streams = backfillStreams(rules, resolveSince('2025-01-01', 'Europe/Moscow'));
    assert.deepEqual(
      streams.map((s) => [s.name, s.method, s.filter]),
      [
        ['lostDeals', 'crm.deal.list', { STAGE_SEMANTIC_ID: 'F', '@CATEGORY_ID': [0, 3], '>=DATE_MODIFY': '2025-01-01T00:00:00+03:00' }],
        ['wonDeals', 'crm.deal.list', { STAGE_SEMANTIC_ID: 'S', '@CATEGORY_ID': [0, 5, 7], '>=DATE_MODIFY': '2025-01-01T00:00:00+03:00' }],
        ['junkLeads', 'crm.lead.list', { STATUS_SEMANTIC_ID: 'F', '>=DATE_MODIFY': '2025-01-01T00:00:00+03:00' }],
      ],
    );
    assert.deepEqual(backfillStreams(loadRulesText('version: 1\nlostDeals: { enabled: false }\n'), new Date()), []);
  });

  it('sizes the auto spread to half the portal budget, at least a minute', () => {
    assert.equal(autoSpreadMs({ lostDeals: 0, wonDeals: 0, junkLeads: 0 }), 60_000);
    // 1000 lost deals × 2 requests (inbox read, first plan; no "at loss" notice) at 1 request/s.
    assert.equal(autoSpreadMs({ lostDeals: 1000, wonDeals: 0, junkLeads: 0 }), 2_000_000);
  });

  it("adds Temporal's startDelay to the webhook's signal-with-start, nothing else", async () => {
    const calls: { workflowId: string; startDelay?: unknown; signal: unknown; args: unknown }[] = [];
    const fake = {
      workflow: {
        async signalWithStart(_fn: unknown, options: { workflowId: string; startDelay?: unknown; signal: unknown; args: unknown }) {
          calls.push({ workflowId: options.workflowId, startDelay: options.startDelay, signal: options.signal, args: options.args });
          return {};
        },
      },
    } as unknown as Client;
    const notice = { event: 'BACKFILL', at: '2025-01-01T00:00:00.000Z', source: 'backfill' as const };
    await createStarter(fake, 'q').handOffEvent('deal', 7, notice, { startDelayMs: 90_000 });
    await createStarter(fake, 'q').handOffEvent('lead', 8, notice, { startDelayMs: 0 });
    assert.deepEqual(calls.map((c) => [c.workflowId, c.startDelay]), [['crm-events-deal-7', 90_000], ['crm-events-lead-8', undefined]]);
    assert.deepEqual(calls[0]!.args, [{ entity: 'deal', id: 7 }]);
  });
});

describe('backfill: checkpoint', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-checkpoint-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips, is written atomically, and refuses a foreign file', () => {
    const file = path.join(dir, 'sub', 'backfill-checkpoint.json');
    assert.equal(loadCheckpoint(file), undefined);
    const cp: Checkpoint = {
      version: 1, since: '2025-01-01', sinceAt: '2024-12-31T21:00:00.000Z', startedAt: 'x', updatedAt: 'y', spreadMs: 1000, spreadAuto: false,
      spreadStartAt: 'z', total: 3, slot: 1, handedOff: 1, streams: emptyStreams(),
    };
    cp.streams.lostDeals = { lastId: 110, done: false, scanned: 1, total: 3 };
    saveCheckpoint(file, cp);
    assert.deepEqual(loadCheckpoint(file), cp);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['backfill-checkpoint.json'], 'no temp file left');
    fs.writeFileSync(file, '{"hello":1}');
    assert.throws(() => loadCheckpoint(file), CheckpointError);
    fs.writeFileSync(file, 'not json');
    assert.throws(() => loadCheckpoint(file), /is not JSON; delete it to start over/);
  });
});

describe('backfill: progress', () => {
  const p = (processed: number): BackfillProgress => ({ stream: 'lostDeals', processed, total: 20, handedOff: processed, skipped: 0, alreadyHandled: 0, dryRun: false });

  it('on a terminal: one line redrawn in place, report lines above it', () => {
    let out = '';
    let t = 0;
    const r = consoleReporter({ write: (s: string) => (out += s), isTTY: true, columns: 200 }, { now: () => (t += 1000) });
    r.progress(p(5));
    r.line('a report line');
    r.progress(p(10));
    r.endStream(p(20));
    assert.match(out, /^\r\x1b\[2K\[######\.+\] lost deals: 5\/20 \(25%\), 5 handed off/);
    assert.match(out, /\r\x1b\[2Ka report line\n/);
    assert.match(out, /lost deals: 20\/20 \(100%\)[^\n]*\n$/);
    assert.equal(out.split('\n').length - 1, 2, 'two finished lines: the report line and the list');
  });

  it('in a log: plain lines every 10% and at the end, no control characters', () => {
    let out = '';
    const r = consoleReporter({ write: (s: string) => (out += s), isTTY: false });
    for (let i = 1; i <= 20; i++) r.progress(p(i));
    r.endStream(p(20));
    assert.ok(!out.includes('\x1b') && !out.includes('\r'));
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 10, lines.join('\n'));
    assert.match(lines[lines.length - 1]!, /lost deals: 20\/20 \(100%\), 20 handed off, 0 already handled, 0 skipped — done/);
  });
});
