/** What the bench parts share: options, timing helpers, a bounded pool, the bench rules, the table printer. */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadRulesText } from '../../config/rules';

export type Preset = 'standard' | 'enterprise' | 'off';

export interface BenchOptions {
  only: Set<'bridge' | 'lost' | 'memory'>;
  bridgeRequests: number;
  concurrency: number;
  deals: Record<Preset, number>;
  presets: Preset[];
  periodSeconds: number;
  sleeping: number;
  outDir: string;
  runTimeoutSeconds: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Runs `task(i)` for i in [0, n) with at most `limit` at a time. */
export async function pool(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await task(i);
      }
    }),
  );
}

/** Rules for (b): the demo rules with «Дорого» after `period` seconds and no follow-up polling. */
export function benchRules(periodSeconds: number): string {
  const source = path.resolve(__dirname, '..', '..', '..', 'config', 'rules.demo.yaml');
  const rules = YAML.parse(fs.readFileSync(source, 'utf8')) as {
    lostDeals: { followUpEvery: string; pipelines: { reasons: { stageId: string; returnPeriod?: unknown }[] }[] };
    clients?: { enabled?: boolean };
    expiry?: { enabled?: boolean };
  };
  const reason = rules.lostDeals.pipelines.flatMap((p) => p.reasons).find((r) => r.stageId === 'LOSE');
  if (!reason) throw new Error('config/rules.demo.yaml has no reason for stage LOSE');
  reason.returnPeriod = `${periodSeconds} seconds`;
  // A followed reactivation is re-read every followUpEvery: with the demo's 10 s, 20 followed
  // deals alone would take a standard portal's whole 2 requests/s. Events cover the bench.
  rules.lostDeals.followUpEvery = '1 hour';
  const text = YAML.stringify(rules);
  loadRulesText(text, 'bench rules'); // valid, or fail now
  return text;
}

export function table(headers: string[], rows: (string | number | null)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || (typeof c === 'number' && Number.isNaN(c)) ? '—' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n');
}
