/**
 * `npm run demo:lose` / `npm run demo:win` — play the sales team against a running `npm start`
 * (embedded sandbox) and follow what the service does with it.
 *
 *   npm run demo:lose [-- --deal <id>] [--reason <stage id or name>] [--timeout <seconds>]
 *   npm run demo:win  [-- --deal <id>] [--timeout <seconds>]
 *
 * Without --deal it makes a fresh client (company) with an in-progress deal in «Основная» and one
 * product row (polypropylene bags), so the demo works again and again: no other open deal of
 * that client holds the reactivation back, and no earlier run of its workflow exists. It then
 * loses (default reason «Дорого») or wins the deal through the sandbox admin API — the portal
 * sends its event to the service like a real Bitrix24 would — prints the workflow the service
 * started (id and Web UI link), its phases while it waits, and the reactivation deal once it
 * appears in the sandbox (id, title, stage, responsible, to-do). Under config/rules.demo.yaml:
 * about 30 s for a loss («Дорого»), about a minute for a purchase.
 *
 * It finds the sandbox and Temporal in DATA_DIR/sandbox-admin.json, which `npm start` writes
 * (DATA_DIR as for npm start, default .data; or --data-dir). Exit codes: 0 the reactivation deal
 * appeared, 1 it did not (timeout, nothing to reactivate, npm start not running), 2 bad arguments
 * (`--help`: the usage, 0).
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import type { DispatchReport } from '../activities/contracts';
import { DEMO } from '@b24r/sandbox';
import { clientWorkflowId, crmEventsWorkflowId, lostWorkflowId } from '../shared/names';
import { ORIGINATOR } from '../activities/shared';
import { flagValue, parseCommandLine, runMain, UsageError, withUsage } from './args';
import { readSandboxAdminInfo, sandboxAdmin, type SandboxAdminInfo } from './sandbox-admin';

export { UsageError } from './args';

const USAGE = `usage: npm run demo:lose [-- --deal <id>] [--reason <stage id or name>] [--timeout <seconds>] [--data-dir <dir>]
       npm run demo:win  [-- --deal <id>] [--timeout <seconds>] [--data-dir <dir>]`;

export interface DemoOptions {
  action: 'lose' | 'win';
  dealId?: number;
  reason?: string;
  timeoutSeconds: number;
  dataDir: string;
}

export interface DemoResult {
  dealId: number;
  workflowIds: string[];
  reactivation?: { id: number; title: string; stageId: string; responsibleId: number; afterSeconds: number };
}

type Rec = Record<string, unknown>;
type Print = (line: string) => void;

const demoCommand = {
  usage: USAGE,
  flags: { deal: 'string', reason: 'string', timeout: 'string', 'data-dir': 'string' },
  schema: z.strictObject({
    deal: flagValue.number('expected a deal id (a positive whole number)', (n) => Number.isInteger(n) && n > 0).optional(),
    reason: flagValue.text().optional(),
    timeout: flagValue.number('expected seconds, more than 0', (n) => n > 0).optional(),
    'data-dir': flagValue.text().optional(),
  }),
  positionals: true,
} as const;

/** `lose|win [flags]`; throws UsageError naming the problem (HelpRequested for --help). */
export function parseDemoArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DemoOptions {
  const { flags, positionals } = parseCommandLine(demoCommand, argv);
  const [action, ...rest] = positionals;
  if (action !== 'lose' && action !== 'win') throw new UsageError(`the first argument must be "lose" or "win" (got ${action ?? 'nothing'})`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (flags.reason !== undefined && action !== 'lose') throw new UsageError('--reason is for demo:lose');
  const opts: DemoOptions = { action, timeoutSeconds: flags.timeout ?? 180, dataDir: flags['data-dir'] ?? (env.DATA_DIR || '.data') };
  if (flags.deal !== undefined) opts.dealId = flags.deal;
  if (flags.reason !== undefined) opts.reason = flags.reason;
  return opts;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}

/** One demo run: what it was asked, the sandbox admin API, Temporal (when reachable) and names for printing. */
interface DemoRun {
  opts: DemoOptions;
  admin: ReturnType<typeof sandboxAdmin>;
  temporal?: Client;
  print: Print;
  link: (workflowId: string) => string;
  stageName: (stageId: string) => string;
  userName: (id: number) => string;
}

/** Temporal, to follow the workflows; without it the demo follows the sandbox only. */
async function connectTemporal(info: SandboxAdminInfo, print: Print): Promise<{ connection?: Connection; temporal?: Client }> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: info.temporalAddress, connectTimeout: '5s' });
    return { connection, temporal: new Client({ connection, namespace: info.namespace }) };
  } catch (error) {
    print(`note: cannot reach Temporal at ${info.temporalAddress} (${(error as Error).message}); following the sandbox only`);
    return { connection };
  }
}

/** Stage and user names as the portal shows them. */
async function portalNames(admin: DemoRun['admin']): Promise<Pick<DemoRun, 'stageName' | 'userName'>> {
  const summary = await admin<{ categories: { id: number; name: string; stages: { id: string; name: string }[] }[] }>('GET', 'state');
  const users = await admin<Rec[]>('GET', 'records/users');
  return {
    stageName: (stageId: string) => {
      for (const c of summary.categories) {
        const s = c.stages.find((x) => x.id === stageId);
        if (s) return `${stageId} «${s.name}» (pipeline «${c.name}»)`;
      }
      return stageId;
    },
    userName: (id: number) => {
      const u = users.find((x) => Number(x.ID) === id);
      return u ? `${id} ${[u.NAME, u.LAST_NAME].filter(Boolean).join(' ')}` : String(id);
    },
  };
}

/**
 * The deal's inbox is quiet: its last run finished and no new one began for a moment (the
 * events of a fresh deal must not be taken for the answer to ours).
 */
async function inboxIdle(temporal: Client | undefined, dealId: number): Promise<void> {
  if (!temporal) {
    await sleep(2000);
    return;
  }
  const deadline = Date.now() + 30_000;
  let quiet = '';
  while (Date.now() < deadline) {
    let state = 'none';
    try {
      const d = await temporal.workflow.getHandle(crmEventsWorkflowId('deal', dealId)).describe();
      state = d.status.name === 'RUNNING' ? '' : d.runId;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    if (state && state === quiet) return;
    quiet = state;
    await sleep(700);
  }
}

/** 1. A fresh client (company) with an in-progress deal in «Основная» and one product row. */
async function createDemoDeal({ admin, print, userName }: DemoRun): Promise<number> {
  const stamp = new Date().toISOString().slice(11, 19);
  const companyId = (await admin<{ id: number }>('POST', 'companies', { fields: { TITLE: `ООО «Демо-клиент ${stamp}»`, COMPANY_TYPE: 'CUSTOMER' } })).id;
  const manager = DEMO.managers[companyId % DEMO.managers.length];
  const dealId = (
    await admin<{ id: number }>('POST', 'deals', {
      fields: { TITLE: `Демо: мешки полипропиленовые 50 кг (${stamp})`, CATEGORY_ID: DEMO.mainCategoryId, STAGE_ID: 'NEW', ASSIGNED_BY_ID: manager, COMPANY_ID: companyId },
    })
  ).id;
  await admin('PUT', `deals/${dealId}/productrows`, { rows: [{ PRODUCT_ID: 1, QUANTITY: 3000 }] });
  print(`created company ${companyId} and deal ${dealId} (manager ${userName(manager)}, 3000 × «Мешок полипропиленовый 50 кг»)`);
  return dealId;
}

/** 2. Lose or win the deal, as a manager would in the portal. Returns the workflows that should follow. */
async function playManager({ opts, admin, print, stageName }: DemoRun, dealId: number, before: Rec): Promise<string[]> {
  if (opts.action === 'lose') {
    const { stageId } = await admin<{ stageId: string }>('POST', `deals/${dealId}/lose`, opts.reason ? { reason: opts.reason } : {});
    print(`lost deal ${dealId} «${String(before.TITLE)}» → ${stageName(stageId)}`);
    return [lostWorkflowId('deal', dealId)];
  }
  const { stageId } = await admin<{ stageId: string }>('POST', `deals/${dealId}/win`);
  print(`won deal ${dealId} «${String(before.TITLE)}» → ${stageName(stageId)}`);
  const companyId = Number(before.COMPANY_ID ?? 0);
  const contactId = Number(before.CONTACT_ID ?? 0);
  return companyId > 0 ? [clientWorkflowId('company', companyId)] : contactId > 0 ? [clientWorkflowId('contact', contactId)] : [];
}

/**
 * 3. What the service decided (the deal's inbox report), else the workflows expected.
 * undefined: the service starts no reactivation for this change.
 */
async function decidedWorkflows({ temporal, print, link }: DemoRun, dealId: number, startedAt: number, expected: string[]): Promise<string[] | undefined> {
  if (!temporal) return expected;
  const report = await inboxReport(temporal, dealId, startedAt, 30_000);
  if (!report) {
    print('  (no inbox report yet: is the outbound webhook reaching the service?)');
    return expected;
  }
  for (const a of report.actions) print(`  inbox: ${a.kind}${a.workflowId ? ` ${a.workflowId}` : ''} — ${a.why}`);
  const scenario = report.actions.filter((a) => a.kind !== 'none' && a.workflowId && /^(reactivation|client)-/.test(a.workflowId)).map((a) => a.workflowId!);
  if (scenario.length === 0) {
    print('the service starts no reactivation for this change (see the inbox lines above)');
    return undefined;
  }
  for (const a of report.actions) if (a.kind !== 'none' && a.workflowId?.startsWith('expiry-')) print(`  also: ${a.workflowId}  ${link(a.workflowId)}`);
  return scenario;
}

/** Prints the reactivation deal and its to-do. */
async function printReactivation({ admin, print, stageName, userName }: DemoRun, d: Rec, afterSeconds: number): Promise<void> {
  print(`${clock()}  reactivation deal ${String(d.ID)} appeared after ${afterSeconds} s:`);
  print(`  id           ${String(d.ID)}`);
  print(`  title        ${String(d.TITLE)}`);
  print(`  stage        ${stageName(String(d.STAGE_ID))}`);
  print(`  responsible  ${userName(Number(d.ASSIGNED_BY_ID))}`);
  print(`  workflow     ${String(d.ORIGIN_ID).split('#')[0]} (ORIGIN_ID ${String(d.ORIGIN_ID)})`);
  const todo = await waitFor(10_000, async () =>
    (await admin<Rec[]>('GET', 'records/activities')).find((a) => Number(a.OWNER_TYPE_ID) === 2 && Number(a.OWNER_ID) === Number(d.ID)),
  );
  if (todo) print(`  to-do        «${String(todo.SUBJECT ?? todo.TITLE ?? '')}» for ${userName(Number(todo.RESPONSIBLE_ID))}`);
}

/** Prints each workflow's phase when it changes; throws when one ended without a reactivation deal. */
async function printPhases({ temporal, print }: DemoRun, workflowIds: string[], lastPhase: string): Promise<string> {
  if (!temporal) return lastPhase;
  for (const id of workflowIds) {
    try {
      const s = await temporal.workflow.getHandle(id).query<{ phase: string; why: string }>('status');
      const line = `${s.phase} — ${s.why}`;
      if (line !== lastPhase) print(`${clock()}  ${id}: ${line}`);
      lastPhase = line;
      if (['done', 'skipped', 'cancelled', 'forgotten'].includes(s.phase)) throw new Error(`the workflow ended (${s.phase}) without a new reactivation deal`);
    } catch (error) {
      if (/ended \(/.test((error as Error).message)) throw error;
      // Not started yet, or between runs (continue-as-new): ask again.
    }
  }
  return lastPhase;
}

/** 4. Follow: the workflows' phase, until the reactivation deal exists in the sandbox. */
async function follow(run: DemoRun, dealId: number, workflowIds: string[], startedAt: number, ownDealsBefore: Set<number>): Promise<DemoResult> {
  const deadline = startedAt + run.opts.timeoutSeconds * 1000;
  let lastPhase = '';
  for (;;) {
    const deals = (await run.admin<Rec[]>('GET', 'records/deals')).filter(
      (d) => d.ORIGINATOR_ID === ORIGINATOR && !ownDealsBefore.has(Number(d.ID)) && workflowIds.some((w) => String(d.ORIGIN_ID ?? '').startsWith(`${w}#`)),
    );
    if (deals.length > 0) {
      const d = deals.sort((a, b) => Number(a.ID) - Number(b.ID))[0];
      const afterSeconds = Math.round((Date.now() - startedAt) / 100) / 10;
      await printReactivation(run, d, afterSeconds);
      return {
        dealId,
        workflowIds,
        reactivation: { id: Number(d.ID), title: String(d.TITLE), stageId: String(d.STAGE_ID), responsibleId: Number(d.ASSIGNED_BY_ID), afterSeconds },
      };
    }
    lastPhase = await printPhases(run, workflowIds, lastPhase);
    if (Date.now() > deadline) throw new Error(`no reactivation deal within ${run.opts.timeoutSeconds} s (--timeout to wait longer)`);
    await sleep(1000);
  }
}

export async function runDemo(opts: DemoOptions, print: Print = (l) => process.stdout.write(l + '\n')): Promise<DemoResult> {
  const info = readSandboxAdminInfo(opts.dataDir);
  const admin = sandboxAdmin(info);
  const ui = info.temporalUiUrl ?? 'http://127.0.0.1:8233';
  const link = (id: string) => `${ui}/namespaces/${encodeURIComponent(info.namespace)}/workflows/${encodeURIComponent(id)}`;
  const { connection, temporal } = await connectTemporal(info, print);
  try {
    const run: DemoRun = { opts, admin, temporal, print, link, ...(await portalNames(admin)) };
    const dealId = opts.dealId ?? (await createDemoDeal(run));
    const before = await admin<Rec>('GET', `deals/${dealId}`);
    await inboxIdle(temporal, dealId);
    const startedAt = Date.now();
    const ownDealsBefore = new Set(((await admin<Rec[]>('GET', 'records/deals')) ?? []).map((d) => Number(d.ID)));
    const expected = await playManager(run, dealId, before);
    const workflowIds = await decidedWorkflows(run, dealId, startedAt, expected);
    if (!workflowIds) return { dealId, workflowIds: [] };
    if (workflowIds.length === 0) throw new Error(`deal ${dealId} has no client (company or contact): nothing to reactivate`);
    for (const id of workflowIds) {
      print(`workflow  ${id}`);
      print(`Web UI    ${link(id)}`);
    }
    return await follow(run, dealId, workflowIds, startedAt, ownDealsBefore);
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** The report of the deal's inbox run that began after `since` (the one our change caused). */
async function inboxReport(temporal: Client, dealId: number, since: number, timeoutMs: number): Promise<DispatchReport | undefined> {
  const handle = temporal.workflow.getHandle(crmEventsWorkflowId('deal', dealId));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const d = await handle.describe();
      if (d.startTime.getTime() >= since - 50 && d.status.name === 'COMPLETED') {
        const reports = (await temporal.workflow.getHandle(d.workflowId, d.runId).result()) as DispatchReport[];
        return reports[reports.length - 1];
      }
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    await sleep(300);
  }
  return undefined;
}

async function waitFor<T>(timeoutMs: number, read: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined || Date.now() > deadline) return v;
    await sleep(500);
  }
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const read = withUsage(USAGE, () => parseDemoArgs(argv));
  if (!read.ok) return read.exitCode;
  try {
    const result = await runDemo(read.value);
    return result.reactivation ? 0 : 1;
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) runMain('demo', () => main());
