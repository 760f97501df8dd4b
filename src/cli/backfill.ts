/**
 * npm run backfill -- --since 2025-01-01 [--dry-run] [--spread 6h] [--resume] [--ca-file FILE]
 *
 * Imports the portal's history: lost deals and junk leads changed since the date, won deals
 * closed since it. `--dry-run` only reports (counts per reason and rule, what would be skipped
 * and why, the first wake-ups, the REST requests it cost and what scheduling would cost);
 * otherwise every element that concerns a scenario is handed to its inbox workflow (as a
 * webhook would), spread over `--spread` (default: sized to half the portal's REST budget)
 * with Temporal's start delay. Ctrl-C stops after the element in hand and saves the checkpoint
 * (DATA_DIR/backfill-checkpoint.json); `--resume` continues from it. A second run hands off
 * nothing that is already handled.
 *
 * Environment: B24_WEBHOOK_URL (required), RULES_FILE, DATA_DIR, TEMPORAL_ADDRESS (default: the
 * embedded dev server of `npm start`, 127.0.0.1:TEMPORAL_PORT), TEMPORAL_NAMESPACE, TEMPORAL_TLS*,
 * TEMPORAL_API_KEY, LOG_LEVEL. `--ca-file` trusts a CA certificate (PEM) — the local sandbox only.
 *
 * Exit codes: 0 done; 1 failed (the checkpoint keeps the progress: --resume); 2 bad usage or
 * configuration; 130 stopped by Ctrl-C (checkpoint saved).
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { BackfillError, runBackfill } from '../backfill/backfill';
import { CheckpointError } from '../backfill/checkpoint';
import { consoleReporter } from '../backfill/progress';
import { createCrmApi } from '../bitrix24';
import { envSchema, temporalConnectionConfig } from '../config/env';
import { parseDuration } from '../domain/durations';
import { redactText } from '../shared/log';
import { TASK_QUEUE } from '../shared/names';
import { readCommandLine, runMain, UsageError } from './args';
import { commandClient, readPortalEnv, readRules } from './command-support';

export const CHECKPOINT_FILE = 'backfill-checkpoint.json';

export const backfillFlags = z
  .strictObject({
    since: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'expected a date YYYY-MM-DD (or an ISO 8601 date-time), e.g. --since 2025-01-01')
      .optional(),
    'dry-run': z.boolean().default(false),
    spread: z
      .string()
      .transform((text, ctx) => {
        if (/^0+$/.test(text.trim())) return {};
        const parsed = parseDuration(text);
        if (parsed.ok) return parsed.value;
        ctx.addIssue({ code: 'custom', message: `expected a duration such as 6h, 90 minutes, 2 days or 0 (no spread); got "${text}"` });
        return z.NEVER;
      })
      .optional(),
    resume: z.boolean().default(false),
    'ca-file': z.string().min(1, 'expected a file name').optional(),
  })
  .superRefine((f, ctx) => {
    if (!f.since && !f.resume) ctx.addIssue({ code: 'custom', path: ['since'], message: 'required (e.g. --since 2025-01-01), unless --resume' });
    if (f.resume && f['dry-run']) ctx.addIssue({ code: 'custom', path: ['resume'], message: 'cannot be combined with --dry-run (a dry run keeps no checkpoint)' });
  });

const backfillCommand = {
  usage: 'usage: npm run backfill -- --since YYYY-MM-DD [--dry-run] [--spread 6h] [--resume] [--ca-file FILE]',
  flags: { since: 'string', 'dry-run': 'boolean', spread: 'string', resume: 'boolean', 'ca-file': 'string' },
  schema: backfillFlags,
} as const;

export async function main(argv = process.argv.slice(2), processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  const line = readCommandLine(backfillCommand, argv);
  if (!line.ok) return line.exitCode;
  const { flags } = line.value;
  const config = readPortalEnv(envSchema, processEnv);
  if (!config.ok) return config.exitCode;
  const env = config.value;
  const loaded = readRules(env.RULES_FILE);
  if (!loaded.ok) return loaded.exitCode;
  const rules = loaded.value;

  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) {
      process.stderr.write('\nsecond Ctrl-C: exiting now (the checkpoint has the last finished page)\n');
      process.exit(130);
    }
    process.stderr.write('\nstopping after the element in hand; the checkpoint will be saved (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let connection: Connection | undefined;
  try {
    const { b24, log } = commandClient({ webhookUrl: env.B24_WEBHOOK_URL, caFile: flags['ca-file'], logLevel: env.LOG_LEVEL });
    let temporal: Client | undefined;
    if (!flags['dry-run']) {
      const address = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_PORT}`;
      try {
        connection = await Connection.connect({ ...temporalConnectionConfig(env, address), connectTimeout: '15s' });
      } catch (error) {
        process.stderr.write(
          `cannot reach Temporal at ${address} (namespace ${env.TEMPORAL_NAMESPACE}): ${redactText((error as Error).message)}\n` +
            'Is the service running (npm start), or TEMPORAL_ADDRESS set? A --dry-run needs no Temporal.\n',
        );
        return 1;
      }
      temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    }
    const report = await runBackfill(
      {
        b24,
        crm: createCrmApi(b24),
        rules,
        temporal,
        taskQueue: TASK_QUEUE,
        reporter: consoleReporter(process.stdout),
        log: log.child({ component: 'backfill' }),
        portalUrl: b24.origin,
      },
      {
        since: flags.since,
        dryRun: flags['dry-run'],
        spread: flags.spread,
        resume: flags.resume,
        checkpointFile: path.resolve(env.DATA_DIR, CHECKPOINT_FILE),
        signal: controller.signal,
      },
    );
    return report.interrupted ? 130 : 0;
  } catch (error) {
    if (error instanceof BackfillError || error instanceof CheckpointError || error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(
      `backfill failed: ${redactText((error as Error)?.message ?? String(error))}\n` +
        (flags['dry-run'] ? '' : 'The checkpoint keeps what was done: fix the cause and continue with npm run backfill -- --resume\n'),
    );
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await connection?.close().catch(() => undefined);
  }
}

if (require.main === module) runMain('backfill', () => main());
