/**
 * One setup run (setup.ts): the types of what it reports, and what every phase shares —
 * reporting an item, noting a rules value to edit, describing a failure.
 */
import { isBitrix24Error, type Bitrix24Client, type CrmApi } from '../bitrix24';
import type { Rules } from '../config/rules';
import { formatRulePath, type RulePath } from './requirements';
import type { RulesLocator } from './rules-file';

export type ItemStatus = 'ok' | 'created' | 'missing' | 'differs' | 'manual' | 'failed';

export interface SetupItem {
  kind: 'scope' | 'pipeline' | 'stage' | 'field' | 'events' | 'config';
  subject: string;
  status: ItemStatus;
  detail?: string;
}

/** One value of the rules file to change, because the portal gave the object another id. */
export interface RulesEdit {
  /** The rule that uses the value: `lostDeals.target.categoryId`. */
  rulePath: string;
  /** Where the value is written (the anchor in `ids:` when used through an alias). */
  writtenAt: string;
  line?: number;
  from: string;
  to: string;
}

export interface SetupReporter {
  line(text: string): void;
}

export interface SetupDeps {
  b24: Bitrix24Client;
  crm: CrmApi;
  rules: Rules;
  /** The rules file's text and name, for line numbers in "edit the rules". */
  rulesText?: string;
  rulesFile?: string;
  /** PUBLIC_URL: where Bitrix24 reaches the service; the handler is `<PUBLIC_URL>/b24/events`. */
  publicUrl?: string;
  /** Whether B24_APP_TOKEN is set (its value is never needed here, nor printed). */
  appTokenSet: boolean;
  reporter: SetupReporter;
}

export interface SetupOptions {
  /** Only report: no writes. */
  check?: boolean;
}

export interface SetupReport {
  check: boolean;
  items: SetupItem[];
  edits: RulesEdit[];
  /** Pipelines the rules name by an id the portal does not have, and the id they have there. */
  pipelineIds: { rulesId: number; portalId: number; name: string }[];
  /** Set when the event handlers have to be registered by hand: the steps. */
  manualEventSteps?: string[];
  counts: Record<ItemStatus, number>;
  restCalls: number;
  exitCode: 0 | 1;
}

const LABEL: Record<ItemStatus, string> = {
  ok: 'ok',
  created: 'created',
  missing: 'MISSING',
  differs: 'DIFFERS',
  manual: 'manual',
  failed: 'FAILED',
};

/** One run: what its phases share — the deps, the mode, and what they have reported so far. */
export interface Run {
  deps: SetupDeps;
  check: boolean;
  locator: RulesLocator;
  items: SetupItem[];
  edits: RulesEdit[];
  pipelineIds: SetupReport['pipelineIds'];
}

export function report(run: Run, item: SetupItem): void {
  run.items.push(item);
  run.deps.reporter.line(`  ${LABEL[item.status].padEnd(8)} ${item.subject}${item.detail ? ` — ${item.detail}` : ''}`);
}

export function edit(run: Run, paths: readonly RulePath[], from: string, to: string): void {
  for (const path of paths) {
    const at = run.locator.locate(path);
    const writtenAt = at?.writtenAt ?? formatRulePath(path);
    if (run.edits.some((e) => e.writtenAt === writtenAt && e.from === from)) continue;
    run.edits.push({ rulePath: formatRulePath(path), writtenAt, line: at?.line, from, to });
  }
}

export function failure(error: unknown): string {
  return isBitrix24Error(error) ? `${error.code || `HTTP ${error.httpStatus}`}: ${error.description || error.message}` : String((error as Error)?.message ?? error);
}

export function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
