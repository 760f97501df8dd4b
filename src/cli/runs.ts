/**
 * npm run runs -- --failed [--stuck] [--json] [--limit N] [--attempts N] [--overdue 30m]
 * npm run runs -- --restart-failed [--dry-run] [--json] [--limit N]
 *
 * The product's runs that need a person, from Temporal visibility (src/temporal/runs.ts):
 * `--failed` lists the runs that failed for good (workflow id, scenario, element, when, and the
 * reason they recorded: the element, the step, what the portal said, what to fix); `--stuck` the
 * running ones whose wake-up is long past or whose step is on attempt N or later.
 * `--restart-failed` restarts every failed run once the cause is fixed, through the one starter:
 * the same workflow id and the failed run's input, so what it made before is found by ORIGIN_ID
 * (no second deal); a second call restarts nothing. `--dry-run` only says what it would restart.
 *
 * Environment: TEMPORAL_ADDRESS (default: the embedded dev server of `npm start`,
 * 127.0.0.1:TEMPORAL_PORT), TEMPORAL_NAMESPACE, TEMPORAL_TLS*, TEMPORAL_API_KEY.
 *
 * Exit codes: 0 done (whether or not anything failed); 1 Temporal unreachable or a restart
 * failed; 2 bad usage or configuration.
 */
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { EnvError, envSchema, temporalConnectionConfig, type AppEnv } from '../config/env';
import { durationMs, parseDuration } from '../domain/durations';
import { redactText } from '../shared/log';
import { TASK_QUEUE } from '../shared/names';
import { listRuns, restartFailedRuns, type RestartReport, type RunRow } from '../temporal/runs';
import { EXIT_USAGE, flagValue, readCommandLine, runMain } from './args';
import { parseEnvSubset } from './command-support';

const whole = (what: string, min: number, max: number) => flagValue.number(`expected ${what} from ${min} to ${max}`, (n) => Number.isInteger(n) && n >= min && n <= max);

export const runsFlags = z
  .strictObject({
    failed: z.boolean().default(false),
    stuck: z.boolean().default(false),
    'restart-failed': z.boolean().default(false),
    'dry-run': z.boolean().default(false),
    json: z.boolean().default(false),
    limit: whole('a number of runs', 1, 1000).default(100),
    attempts: whole('an attempt number', 2, 1000).default(5),
    overdue: z
      .string()
      .transform((text, ctx) => {
        const parsed = parseDuration(text);
        if (parsed.ok) return durationMs(parsed.value, new Date(), 'UTC');
        ctx.addIssue({ code: 'custom', message: `expected a duration such as 30m, 2 hours or 1 day; got "${text}"` });
        return z.NEVER;
      })
      .default(30 * 60_000),
  })
  .superRefine((f, ctx) => {
    if (!f.failed && !f.stuck && !f['restart-failed']) ctx.addIssue({ code: 'custom', path: ['failed'], message: 'say what to show: --failed, --stuck or --restart-failed' });
    if (f['restart-failed'] && (f.failed || f.stuck)) ctx.addIssue({ code: 'custom', path: ['restart-failed'], message: 'cannot be combined with --failed or --stuck (it lists what it restarts)' });
    if (f['dry-run'] && !f['restart-failed']) ctx.addIssue({ code: 'custom', path: ['dry-run'], message: 'only with --restart-failed' });
  });

export const runsCommand = {
  usage: [
    'usage: npm run runs -- --failed [--stuck] [--json] [--limit N] [--attempts N] [--overdue 30m]',
    '       npm run runs -- --restart-failed [--dry-run] [--json] [--limit N]',
    '  --failed          runs that failed for good, with the reason (what to fix)',
    '  --stuck           running runs whose wake-up passed --overdue ago, or whose step is on attempt --attempts or later',
    '  --restart-failed  restart the failed runs (same workflow id and input; nothing is created twice)',
  ].join('\n'),
  flags: { failed: 'boolean', stuck: 'boolean', 'restart-failed': 'boolean', 'dry-run': 'boolean', json: 'boolean', limit: 'string', attempts: 'string', overdue: 'string' },
  schema: runsFlags,
} as const;

export async function main(argv = process.argv.slice(2), processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  const line = readCommandLine(runsCommand, argv);
  if (!line.ok) return line.exitCode;
  const { flags } = line.value;
  let env: AppEnv;
  try {
    env = parseEnvSubset(envSchema, processEnv) as AppEnv;
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT_USAGE;
  }
  const address = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_PORT}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...temporalConnectionConfig(env, address), connectTimeout: '15s' });
  } catch (error) {
    process.stderr.write(`cannot reach Temporal at ${address} (namespace ${env.TEMPORAL_NAMESPACE}): ${redactText((error as Error).message)}\nIs the service running (npm start), or TEMPORAL_ADDRESS set?\n`);
    return 1;
  }
  try {
    const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    if (flags['restart-failed']) {
      const report = await restartFailedRuns(temporal, TASK_QUEUE, { dryRun: flags['dry-run'], limit: flags.limit });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatRestarts(report));
      return 0;
    }
    const sections: { title: string; rows: RunRow[] }[] = [];
    const query = { limit: flags.limit, attempts: flags.attempts, overdueMs: flags.overdue };
    if (flags.failed) sections.push({ title: 'failed', rows: await listRuns(temporal, { ...query, status: 'failed' }) });
    if (flags.stuck) sections.push({ title: 'stuck', rows: await listRuns(temporal, { ...query, status: 'stuck' }) });
    process.stdout.write(flags.json ? `${JSON.stringify(Object.fromEntries(sections.map((s) => [s.title, s.rows])), null, 2)}\n` : sections.map(formatRows).join('\n'));
    return 0;
  } catch (error) {
    process.stderr.write(`runs failed: ${redactText((error as Error)?.message ?? String(error))}\n`);
    return 1;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** One block per run: the line to find it by, then its reason. */
export function formatRows({ title, rows }: { title: string; rows: RunRow[] }): string {
  if (rows.length === 0) return `no ${title} runs\n`;
  const lines = [`${rows.length} ${title} run(s):`];
  for (const r of rows) {
    lines.push('', `${r.state.toUpperCase()}  ${r.scenario}  ${r.element || '-'}  ${r.workflowId}  ${r.at}${r.failureType ? `  ${r.failureType}` : ''}`, `  ${r.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatRestarts(report: RestartReport): string {
  if (report.actions.length === 0) return 'no failed runs to restart\n';
  const lines = report.actions.map((a) => `${a.outcome}  ${a.workflowId}  ${a.element || '-'}: ${a.why}`);
  const restarted = report.actions.filter((a) => a.outcome === 'restarted').length;
  lines.push(report.dryRun ? 'dry run: nothing was restarted' : `${restarted} run(s) restarted`);
  return `${lines.join('\n')}\n`;
}

if (require.main === module) runMain('runs', () => main());
