/**
 * npm run setup [-- --check] [--ca-file FILE]
 *
 * Creates on the portal what the rules need (pipelines, stages, lead statuses, user fields) and
 * registers the outbound event handlers, or prints the steps for the admin where the webhook may
 * not. Idempotent: a second run only reads. `--check` never writes; it reports what is missing
 * or different.
 *
 * Environment: B24_WEBHOOK_URL (required), RULES_FILE, PUBLIC_URL (the event handler is
 * <PUBLIC_URL>/b24/events), B24_APP_TOKEN (only whether it is set is looked at), LOG_LEVEL.
 * `--ca-file` trusts a CA certificate (PEM) — only for the local sandbox's self-signed one.
 *
 * Exit codes: 0 the portal matches the rules; 1 something is missing or different (--check), or
 * action is required (rules ids to edit, failures); 2 bad usage or configuration.
 * Nothing printed carries the webhook secret or the application token.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { createCrmApi } from '../bitrix24';
import { envSchema } from '../config/env';
import { runSetup } from '../setup/setup';
import { redactText } from '../shared/log';
import { readCommandLine, runMain, UsageError } from './args';
import { commandClient, readPortalEnv, readRules } from './command-support';

const setupCommand = {
  usage: 'usage: npm run setup [-- --check] [--ca-file FILE]',
  flags: { check: 'boolean', 'ca-file': 'string' },
  schema: z.strictObject({
    check: z.boolean().default(false),
    'ca-file': z.string().min(1, 'expected a file name').optional(),
  }),
} as const;

const envSubset = envSchema.pick({ B24_WEBHOOK_URL: true, RULES_FILE: true, PUBLIC_URL: true, B24_APP_TOKEN: true, LOG_LEVEL: true });

export async function main(argv = process.argv.slice(2), processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  const line = readCommandLine(setupCommand, argv);
  if (!line.ok) return line.exitCode;
  const { flags } = line.value;
  const config = readPortalEnv(envSubset, processEnv, ' to set up');
  if (!config.ok) return config.exitCode;
  const env = config.value;

  let rulesText: string;
  try {
    rulesText = fs.readFileSync(env.RULES_FILE, 'utf8');
  } catch (error) {
    process.stderr.write(`RULES_FILE: cannot read ${env.RULES_FILE}: ${(error as Error).message}\n`);
    return 2;
  }
  const loaded = readRules(env.RULES_FILE);
  if (!loaded.ok) return loaded.exitCode;
  const rules = loaded.value;

  try {
    const { b24 } = commandClient({ webhookUrl: env.B24_WEBHOOK_URL, caFile: flags['ca-file'], logLevel: env.LOG_LEVEL });
    const report = await runSetup(
      {
        b24,
        crm: createCrmApi(b24),
        rules,
        rulesText,
        rulesFile: env.RULES_FILE,
        publicUrl: env.PUBLIC_URL,
        appTokenSet: !!env.B24_APP_TOKEN,
        reporter: { line: (text) => process.stdout.write(`${text}\n`) },
      },
      { check: flags.check },
    );
    return report.exitCode;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`setup failed: ${redactText((error as Error)?.message ?? String(error))}\n`);
    return 1;
  }
}

if (require.main === module) runMain('setup', () => main());
