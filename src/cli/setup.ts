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
import { EnvError, envSchema } from '../config/env';
import { loadRules, RulesError } from '../config/rules';
import { commandClient, parseEnvSubset, parseFlags, readFlags, UsageError } from '../setup/cli-support';
import { runSetup } from '../setup/setup';
import { redactText } from '../shared/log';

const USAGE = 'usage: npm run setup [-- --check] [--ca-file FILE]';

const flagsSchema = z.strictObject({
  check: z.boolean().default(false),
  'ca-file': z.string().min(1, 'expected a file name').optional(),
  help: z.boolean().optional(),
});

const envSubset = envSchema.pick({ B24_WEBHOOK_URL: true, RULES_FILE: true, PUBLIC_URL: true, B24_APP_TOKEN: true, LOG_LEVEL: true });

export async function main(argv = process.argv.slice(2), processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  let flags: z.output<typeof flagsSchema>;
  let env: z.output<typeof envSubset>;
  try {
    flags = parseFlags(flagsSchema, readFlags(argv, { check: 'boolean', 'ca-file': 'string', help: 'boolean' }));
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    env = parseEnvSubset(envSubset, processEnv);
    if (!env.B24_WEBHOOK_URL) {
      throw new EnvError([{ variable: 'B24_WEBHOOK_URL', message: 'required: the inbound webhook URL https://<portal>/rest/<user id>/<secret>/ of the portal to set up' }]);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof EnvError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  let rulesText: string;
  try {
    rulesText = fs.readFileSync(env.RULES_FILE, 'utf8');
  } catch (error) {
    process.stderr.write(`RULES_FILE: cannot read ${env.RULES_FILE}: ${(error as Error).message}\n`);
    return 2;
  }
  let rules;
  try {
    rules = loadRules(env.RULES_FILE);
  } catch (error) {
    if (error instanceof RulesError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  try {
    const { b24 } = commandClient({ webhookUrl: env.B24_WEBHOOK_URL!, caFile: flags['ca-file'], logLevel: env.LOG_LEVEL });
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

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`setup failed: ${redactText(String((err as Error)?.stack ?? err))}\n`);
      process.exit(1);
    },
  );
}
