/**
 * The service's process environment: one zod schema, validated once at start-up. An invalid
 * value stops start-up with a message naming each bad variable and what it expects.
 *
 * The README's configuration table lists these variables (test/env.unit.test.ts keeps them in
 * step). Secrets (webhook secret, tokens, API key) never leave this module unredacted: print
 * with describeEnv() / redactUrl().
 */
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { z } from 'zod';
import { durationMs, parseDuration } from '../domain/durations';
import { redactSecrets } from '../shared/redact';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const ROLES = ['all', 'worker', 'api'] as const;
export type Role = (typeof ROLES)[number];
/** Portal profiles of the embedded sandbox (the sandbox's PROFILE_NAMES; a test keeps them in step). */
export const SANDBOX_PROFILES = ['demo', 'real-world'] as const;

/** /rest/<user id>/<secret>/ — the path of a Bitrix24 inbound webhook. */
const WEBHOOK_PATH = /^\/rest\/(\d+)\/([^/]+)\/?$/;

const port = (fallback: number, { allowZero }: { allowZero: boolean }) =>
  z.coerce
    .number({ error: 'expected a TCP port number' })
    .int({ error: 'expected a whole number' })
    .min(allowZero ? 0 : 1, { error: `expected a TCP port ${allowZero ? '0' : '1'}-65535${allowZero ? ' (0 = any free port)' : ''}` })
    .max(65535, { error: 'expected a TCP port up to 65535' })
    .default(fallback);

const text = () => z.string().trim().min(1);

/** A Schedule interval: a duration such as "5 minutes" or "PT5M" (milliseconds), or `off` (null). */
const interval = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((value, ctx) => {
      if (value.toLowerCase() === 'off') return null;
      const parsed = parseDuration(value);
      const ms = parsed.ok ? durationMs(parsed.value, new Date(0), 'UTC') : NaN;
      if (!parsed.ok || !(ms >= 10_000)) {
        ctx.addIssue({ code: 'custom', message: `expected a duration of at least 10 seconds such as "5 minutes" or "PT5M", or "off"` });
        return z.NEVER;
      }
      return ms;
    });

const httpUrl = (what: string) =>
  z
    .url({ protocol: /^https?$/, error: `expected ${what}` })
    .transform((u) => u.replace(/\/+$/, ''));

const secretToken = (name: string) =>
  z.string().min(16, { error: `${name} must be at least 16 characters (use a random token)` });

export const envSchema = z
  .object({
    ROLE: z
      .enum(ROLES, { error: `expected one of ${ROLES.join(', ')}` })
      .default('all')
      .describe('What this process runs: `all` (worker + API, and the embedded dev server / sandbox when their variables are unset), `worker` or `api`.'),

    TEMPORAL_ADDRESS: z
      .string()
      .trim()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, { error: 'expected host:port, e.g. temporal:7233' })
      .transform((a) => (/:\d+$/.test(a) ? a : `${a}:7233`))
      .optional()
      .describe('Temporal frontend `host:port`. Unset: `npm start` runs an embedded dev server (Temporal CLI) with its data in DATA_DIR.'),
    TEMPORAL_NAMESPACE: text().default('default').describe('Temporal namespace.'),
    TEMPORAL_TLS: z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .transform((v) => v === 'true')
      .optional()
      .describe('Force TLS on/off. Default: on when a client certificate or an API key is set.'),
    TEMPORAL_TLS_CERT_PATH: text().optional().describe('mTLS client certificate (PEM file); needs TEMPORAL_TLS_KEY_PATH.'),
    TEMPORAL_TLS_KEY_PATH: text().optional().describe('mTLS client private key (PEM file); needs TEMPORAL_TLS_CERT_PATH.'),
    TEMPORAL_TLS_CA_PATH: text().optional().describe('CA certificate (PEM file) to trust for the server, if not a public CA.'),
    TEMPORAL_TLS_SERVER_NAME: text().optional().describe('TLS server name override (SNI).'),
    TEMPORAL_API_KEY: text().optional().describe('API key (Temporal Cloud); implies TLS. Secret.'),
    TEMPORAL_PORT: port(7233, { allowZero: false }).describe('Embedded dev server: gRPC port.'),
    TEMPORAL_UI_PORT: port(8233, { allowZero: false }).describe('Embedded dev server: Web UI port.'),

    DATA_DIR: text().default('.data').describe('Where the embedded dev server and sandbox keep their state (a second start reuses it).'),
    HOST: text().default('127.0.0.1').describe('Interface the HTTP API listens on (`0.0.0.0` in containers).'),
    PORT: port(3000, { allowZero: true }).describe('HTTP API port.'),
    PUBLIC_URL: httpUrl('an http(s) URL, e.g. https://reactivation.example.com')
      .optional()
      .describe('URL at which Bitrix24 reaches this service (outbound webhook handler is `<PUBLIC_URL>/b24/events`). Default: http://HOST:PORT.'),

    B24_WEBHOOK_URL: z
      .url({ protocol: /^https?$/, error: 'expected the inbound webhook URL https://<portal>/rest/<user id>/<secret>/' })
      .refine((u) => URL.canParse(u) && WEBHOOK_PATH.test(new URL(u).pathname), {
        error: 'expected the inbound webhook URL https://<portal>/rest/<user id>/<secret>/',
      })
      .transform((u) => (u.endsWith('/') ? u : `${u}/`))
      .optional()
      .describe('Bitrix24 inbound webhook URL. Unset: `npm start` runs the embedded Bitrix24 sandbox. Secret.'),
    B24_APP_TOKEN: text().optional().describe('`application_token` Bitrix24 sends with outbound events (required with B24_WEBHOOK_URL). Secret.'),
    API_TOKEN: secretToken('API_TOKEN')
      .optional()
      .describe('Bearer token of the manager API (required with B24_WEBHOOK_URL; generated into DATA_DIR/api-token otherwise). Secret.'),
    RULES_FILE: text().default('config/rules.demo.yaml').describe('Reactivation rules (YAML).'),
    SANDBOX_PORT: port(3001, { allowZero: true }).describe('Embedded Bitrix24 sandbox port (only when B24_WEBHOOK_URL is unset).'),
    SANDBOX_PROFILE: z
      .enum(SANDBOX_PROFILES, { error: `expected one of ${SANDBOX_PROFILES.join(', ')}` })
      .default('demo')
      .describe('Portal profile of the embedded Bitrix24 sandbox (only when B24_WEBHOOK_URL is unset).'),
    RECONCILE_EVERY: interval('5 minutes').describe(
      'How often the reconciliation Schedule lists changed deals and leads and hands missed ones to their workflows. ' +
        '`off` disables it — refused with B24_WEBHOOK_URL: an outgoing webhook never receives ONCRMDEALMOVETOCATEGORY (pipeline moves) and loses failed deliveries.',
    ),
    DORMANT_SCAN_EVERY: interval('1 day').describe(
      'How often the dormant-client Schedule starts the purchase cycle of clients who have none (`off` disables it).',
    ),
    LOG_LEVEL: z
      .enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` })
      .default('info')
      .describe('Log level.'),
  });

/**
 * Checks across variables. They look at which variables are set (not at parsed values) so that
 * they are reported together with per-variable errors.
 */
function crossChecks(input: Record<string, string>): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const need = (cond: boolean, variable: string, message: string) => {
    if (cond) problems.push({ variable, message });
  };
  const role = input.ROLE ?? 'all';
  need(
    !!input.TEMPORAL_TLS_CERT_PATH !== !!input.TEMPORAL_TLS_KEY_PATH,
    input.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH',
    'set both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH, or neither',
  );
  if (role === 'worker' || role === 'api') {
    need(!input.TEMPORAL_ADDRESS, 'TEMPORAL_ADDRESS', `required when ROLE=${role} (separate worker and API processes share one Temporal cluster)`);
    need(!input.B24_WEBHOOK_URL, 'B24_WEBHOOK_URL', `required when ROLE=${role} (the embedded sandbox only runs with ROLE=all)`);
  }
  need(!!input.B24_WEBHOOK_URL && !input.B24_APP_TOKEN, 'B24_APP_TOKEN', "required with B24_WEBHOOK_URL (the outbound webhook's application_token)");
  need(!!input.B24_WEBHOOK_URL && !input.API_TOKEN, 'API_TOKEN', 'required with B24_WEBHOOK_URL (bearer token of the manager API)');
  need(
    !!input.B24_WEBHOOK_URL && input.RECONCILE_EVERY?.trim().toLowerCase() === 'off',
    'RECONCILE_EVERY',
    'must not be off with B24_WEBHOOK_URL: events then come only from an outgoing webhook, which cannot subscribe to ' +
      'ONCRMDEALMOVETOCATEGORY (a deal moved to another pipeline) and whose failed deliveries are not retried; ' +
      'the reconciliation is what finds those changes (set an interval such as "5 minutes")',
  );
  for (const name of ['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH', 'TEMPORAL_TLS_CA_PATH']) {
    const file = input[name];
    if (file && !readable(file)) problems.push({ variable: name, message: `file ${file} does not exist or is not readable` });
  }
  return problems;
}

export type AppEnv = z.output<typeof envSchema>;
export type EnvVarName = keyof z.input<typeof envSchema>;
export const ENV_VARS = Object.keys(envSchema.shape) as EnvVarName[];

const SECRET_VARS: ReadonlySet<string> = new Set(['TEMPORAL_API_KEY', 'B24_APP_TOKEN', 'API_TOKEN']);
const URL_VARS: ReadonlySet<string> = new Set(['B24_WEBHOOK_URL', 'PUBLIC_URL']);

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export class EnvError extends Error {
  override name = 'EnvError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration (environment):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n') +
        `\nSee the configuration table in README.md.`,
    );
  }
}

/**
 * Validates the environment. Empty strings count as unset (as with `FOO=` in compose files).
 * Throws EnvError listing every bad variable; never echoes a secret value.
 */
export function loadEnv(processEnv: Record<string, string | undefined> = process.env): AppEnv {
  const input: Record<string, string> = {};
  for (const name of ENV_VARS) {
    const value = processEnv[name];
    if (value !== undefined && value.trim() !== '') input[name] = value;
  }
  const parsed = envSchema.safeParse(input);
  const problems: { variable: string; message: string }[] = [];
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const variable = String(issue.path[0] ?? '(environment)');
    if (!problems.some((p) => p.variable === variable && p.message === issue.message)) problems.push({ variable, message: issue.message });
  }
  for (const p of crossChecks(input)) {
    if (!problems.some((q) => q.variable === p.variable)) problems.push(p);
  }
  if (problems.length > 0 || !parsed.success) throw new EnvError(problems);
  return parsed.data;
}

/**
 * Masks the secret parts of a URL: the webhook secret in /rest/<user>/<secret>/, a password in
 * the userinfo, and token-like query parameters. Non-URLs come back with webhook paths masked.
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return redactSecrets(value);
  }
  if (url.password) url.password = '***';
  url.pathname = redactSecrets(url.pathname);
  for (const key of [...url.searchParams.keys()]) {
    if (/(token|secret|key|auth|password|sig)/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString().replace(/%2A%2A%2A/g, '***');
}

/** The effective configuration as printable lines, secrets masked. */
export function describeEnv(env: AppEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ENV_VARS) {
    const value = (env as Record<string, unknown>)[name];
    if (value === undefined) continue;
    out[name] = SECRET_VARS.has(name) ? '***' : URL_VARS.has(name) ? redactUrl(String(value)) : String(value);
  }
  return out;
}

/** Whether the Temporal connection uses TLS (explicit flag, client cert, or API key). */
export function temporalUsesTls(env: AppEnv): boolean {
  return env.TEMPORAL_TLS ?? !!(env.TEMPORAL_TLS_CERT_PATH || env.TEMPORAL_API_KEY);
}

export interface TemporalConnectionConfig {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

/**
 * Connection options for both Connection (client) and NativeConnection (worker): TLS from the
 * PEM files, the API key (Temporal Cloud), the address (or the embedded dev server's).
 */
export function temporalConnectionConfig(env: AppEnv, address = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_PORT}`): TemporalConnectionConfig {
  const config: TemporalConnectionConfig = { address };
  if (env.TEMPORAL_API_KEY) config.apiKey = env.TEMPORAL_API_KEY;
  if (!temporalUsesTls(env)) return env.TEMPORAL_TLS === false ? { ...config, tls: false } : config;
  const tls: TLSConfig = {};
  if (env.TEMPORAL_TLS_CERT_PATH && env.TEMPORAL_TLS_KEY_PATH) {
    tls.clientCertPair = { crt: fs.readFileSync(env.TEMPORAL_TLS_CERT_PATH), key: fs.readFileSync(env.TEMPORAL_TLS_KEY_PATH) };
  }
  if (env.TEMPORAL_TLS_CA_PATH) tls.serverRootCACertificate = fs.readFileSync(env.TEMPORAL_TLS_CA_PATH);
  if (env.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = env.TEMPORAL_TLS_SERVER_NAME;
  return { ...config, tls: Object.keys(tls).length > 0 ? tls : true };
}
