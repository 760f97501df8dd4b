/**
 * What the setup and backfill commands share: command-line flags read with zod (every problem
 * names its flag), a subset of the service environment (only the variables the command needs,
 * validated by the same schema as `npm start`), and the Bitrix24 client they talk through.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { createBitrix24Client, type Bitrix24Client } from '../bitrix24';
import { EnvError } from '../config/env';
import { createLogger, type Logger } from '../shared/log';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type FlagKind = 'boolean' | 'string';

/**
 * `--name value`, `--name=value` and boolean `--name`; `--` is skipped (npm passes it through).
 * Unknown flags and stray words are usage errors naming them.
 */
export function readFlags(argv: readonly string[], spec: Readonly<Record<string, FlagKind>>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  const known = Object.keys(spec).map((k) => `--${k}`).join(', ');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}" (options: ${known})`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name} (options: ${known})`);
    if (name in out) throw new UsageError(`--${name} is given twice`);
    if (kind === 'boolean') {
      if (eq !== -1) {
        const v = arg.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`--${name}: expected no value (or =true/=false), got "${v}"`);
        out[name] = v === 'true';
      } else {
        out[name] = true;
      }
      continue;
    }
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name}: expected a value`);
      value = next;
      i++;
    }
    out[name] = value;
  }
  return out;
}

/** Validates flags with a zod object whose keys are the flag names; messages name the flag. */
export function parseFlags<S extends z.ZodType>(schema: S, flags: Record<string, string | boolean>): z.output<S> {
  const parsed = schema.safeParse(flags);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const flag = issue.path.length > 0 ? `--${String(issue.path[0])}` : 'options';
    return `${flag}: ${issue.message}`;
  });
  throw new UsageError(problems.join('\n'));
}

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
