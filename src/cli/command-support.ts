/**
 * What the setup and backfill commands share besides their command line (src/cli/args.ts): a
 * subset of the service environment (only the variables the command needs, validated by the
 * same schema as `npm start`) with B24_WEBHOOK_URL required, the rules, and the Bitrix24 client
 * they talk through. Configuration problems exit 2, as bad arguments do.
 */
import fs from 'node:fs';
import type { z } from 'zod';
import { createBitrix24Client, type Bitrix24Client } from '../bitrix24';
import { EnvError } from '../config/env';
import { loadRules, RulesError, type Rules } from '../config/rules';
import { createLogger, type Logger } from '../shared/log';
import { EXIT_USAGE, UsageError, type Read } from './args';

/**
 * Parses the variables a command needs with (a pick of) the service's env schema. Empty strings
 * count as unset, as in loadEnv. Throws EnvError naming each bad variable, never its value.
 */
export function parseEnvSubset<S extends z.ZodObject>(schema: S, processEnv: Record<string, string | undefined>): z.output<S> {
  const input: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = processEnv[name];
    if (value !== undefined && value.trim() !== '') input[name] = value;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems: { variable: string; message: string }[] = [];
  for (const issue of parsed.error.issues) {
    const variable = String(issue.path[0] ?? '(environment)');
    if (!problems.some((p) => p.variable === variable)) problems.push({ variable, message: issue.message });
  }
  throw new EnvError(problems);
}

/** The client for a command: a portal (B24_WEBHOOK_URL), trusting `caFile` only in sandbox mode. */
export function commandClient(opts: { webhookUrl: string; caFile?: string; logLevel?: 'debug' | 'info' | 'warn' | 'error' }): { b24: Bitrix24Client; log: Logger } {
  let caCertPem: string | undefined;
  if (opts.caFile) {
    try {
      caCertPem = fs.readFileSync(opts.caFile, 'utf8');
    } catch (error) {
      throw new UsageError(`--ca-file: cannot read ${opts.caFile}: ${(error as Error).message}`);
    }
  }
  // Log lines go to stderr so stdout stays the command's report.
  const log = createLogger({ level: opts.logLevel === 'debug' ? 'debug' : 'warn', sink: (line) => process.stderr.write(line + '\n') });
  const b24 = createBitrix24Client({ webhookUrl: opts.webhookUrl, caCertPem, logger: log.child({ component: 'bitrix24' }) });
  return { b24, log };
}

/**
 * The environment of a command that talks to a portal: `schema`'s variables with B24_WEBHOOK_URL
 * required (`purpose` ends its message). Otherwise the problem, each variable named, on stderr: exit 2.
 */
export function readPortalEnv<S extends z.ZodObject>(schema: S, processEnv: Record<string, string | undefined>, purpose = ''): Read<z.output<S> & { B24_WEBHOOK_URL: string }> {
  try {
    const env = parseEnvSubset(schema, processEnv) as z.output<S> & { B24_WEBHOOK_URL?: string };
    if (!env.B24_WEBHOOK_URL) {
      throw new EnvError([{ variable: 'B24_WEBHOOK_URL', message: `required: the inbound webhook URL https://<portal>/rest/<user id>/<secret>/ of the portal${purpose}` }]);
    }
    return { ok: true, value: env as z.output<S> & { B24_WEBHOOK_URL: string } };
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return { ok: false, exitCode: EXIT_USAGE };
  }
}

/** The rules of RULES_FILE; an invalid file prints its problems on stderr: exit 2. */
export function readRules(file: string): Read<Rules> {
  try {
    return { ok: true, value: loadRules(file) };
  } catch (error) {
    if (!(error instanceof RulesError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return { ok: false, exitCode: EXIT_USAGE };
  }
}
