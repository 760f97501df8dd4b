/**
 * `npm run sandbox` — a seeded Bitrix24 portal emulator for demos and manual testing.
 *
 *   npm run sandbox -- [--port 3001] [--host 127.0.0.1] [--http] [--limits standard|enterprise|off]
 *                      [--state .data/sandbox.json] [--profile demo|real-world] [--seed demo|empty]
 *                      [--secret CODE] [--app-token TOKEN] [--events-url URL] [--verbose]
 *
 * Environment: SANDBOX_PORT, SANDBOX_HOST, SANDBOX_PROTOCOL, SANDBOX_LIMITS, SANDBOX_STATE_FILE,
 * SANDBOX_PROFILE, SANDBOX_SEED, SANDBOX_SECRET, SANDBOX_APP_TOKEN (or B24_APP_TOKEN),
 * SANDBOX_EVENTS_URL. A state file keeps the profile it was seeded from; --profile with a file of
 * another profile fails to start.
 * Flags win over the environment. Ctrl+C saves the state (with --state) and stops. Exit codes:
 * 0 stopped, 1 failed to start, 2 bad arguments (or a bad value in those variables).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEMO, OUTGOING_WEBHOOK_EVENTS, PROFILE_NAMES, PROFILES, REAL_WORLD, startSandbox, type SandboxOptions } from '@b24r/sandbox';
import { flagValue, parseCommandLine, runMain, withUsage } from './args';

const USAGE = `usage: npm run sandbox -- [--port N] [--host H] [--http] [--limits standard|enterprise|off]
                          [--state FILE] [--profile demo|real-world] [--seed demo|empty]
                          [--secret CODE] [--app-token TOKEN] [--events-url URL] [--verbose]`;

/** The variable each flag falls back to. */
const FLAG_ENV = {
  port: 'SANDBOX_PORT',
  host: 'SANDBOX_HOST',
  limits: 'SANDBOX_LIMITS',
  state: 'SANDBOX_STATE_FILE',
  profile: 'SANDBOX_PROFILE',
  seed: 'SANDBOX_SEED',
  secret: 'SANDBOX_SECRET',
  'app-token': 'SANDBOX_APP_TOKEN',
  'events-url': 'SANDBOX_EVENTS_URL',
} as const;

const LIMITS = ['standard', 'enterprise', 'off'] as const;

const sandboxFlags = z.strictObject({
  port: flagValue.number('expected a port number from 0 to 65535', (n) => Number.isInteger(n) && n >= 0 && n <= 65535).optional(),
  host: z.string().optional(),
  http: z.boolean().default(false),
  limits: z
    .string()
    .transform((text, ctx) => {
      const name = text.toLowerCase();
      if ((LIMITS as readonly string[]).includes(name)) return name as (typeof LIMITS)[number];
      ctx.addIssue({ code: 'custom', message: `--limits must be standard, enterprise or off (got ${name})` });
      return z.NEVER;
    })
    .optional(),
  profile: z.enum(PROFILE_NAMES, { error: `--profile must be ${PROFILE_NAMES.join(' or ')}` }).optional(),
  seed: z.enum(['demo', 'empty'], { error: '--seed must be demo or empty' }).optional(),
  state: z.string().optional(),
  secret: z.string().optional(),
  'app-token': z.string().optional(),
  'events-url': z.string().optional(),
  verbose: z.boolean().default(false),
});

/** The command line, each flag not given taken from its variable (checked alike, named by the flag). */
function sandboxCommand(env: NodeJS.ProcessEnv) {
  const fromEnv = Object.fromEntries(Object.entries(FLAG_ENV).flatMap(([flag, name]) => (env[name] ? [[flag, env[name]]] : [])));
  return {
    usage: USAGE,
    flags: {
      port: 'string', host: 'string', http: 'boolean', limits: 'string', state: 'string', profile: 'string', seed: 'string', secret: 'string',
      'app-token': 'string', 'events-url': 'string', verbose: 'boolean',
    },
    schema: z.preprocess((flags) => ({ ...fromEnv, ...(flags as object) }), sandboxFlags),
  } as const;
}

export function parseSandboxArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SandboxOptions & { seed: 'demo' | 'empty' } {
  const { flags } = parseCommandLine(sandboxCommand(env), argv);
  const limits = flags.limits ?? 'standard';
  const eventsUrl = flags['events-url'];
  return {
    host: flags.host ?? '127.0.0.1',
    port: flags.port ?? 3001,
    protocol: flags.http || env.SANDBOX_PROTOCOL === 'http' ? 'http' : 'https',
    profile: flags.profile,
    seed: flags.seed ?? 'demo',
    stateFile: flags.state ? path.resolve(flags.state) : undefined,
    secret: flags.secret,
    applicationToken: flags['app-token'] ?? env.B24_APP_TOKEN,
    limits: limits === 'off' ? { enabled: false } : { enabled: true, preset: limits },
    outgoingWebhooks: eventsUrl ? [{ handler: eventsUrl, events: OUTGOING_WEBHOOK_EVENTS.filter((e) => /^ONCRM(DEAL|LEAD)/.test(e)) }] : undefined,
    verbose: flags.verbose,
  };
}

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/** The CA certificate next to the state file (or in .data), for curl and Node; '' for plain http. */
function writeCaFile(sb: Sandbox, stateFile: string | undefined): string {
  if (!sb.caCertPem) return '';
  const dir = path.resolve(stateFile ? path.dirname(stateFile) : '.data');
  mkdirSync(dir, { recursive: true });
  const caFile = path.join(dir, 'sandbox-ca.pem');
  writeFileSync(caFile, sb.caCertPem);
  return caFile;
}

/** What is printed once it runs: where to call it and how it is set up. */
function describeSandbox(sb: Sandbox, opts: SandboxOptions & { seed: 'demo' | 'empty' }, caFile: string): string[] {
  const l = sb.limits;
  const hooks = sb.portal.state.outgoingWebhooks;
  const profile = PROFILES[sb.profile as keyof typeof PROFILES];
  const seeded = opts.seed === 'demo' && sb.portal.state.deals.length > 0;
  return [
    `Bitrix24 sandbox (${sb.profile} profile${opts.seed === 'empty' ? ', empty' : ''}) is running`,
    `  Profile:           ${sb.profile} — ${profile?.summary ?? 'unknown profile'}`,
    `  Inbound webhook:   ${sb.webhookUrl}`,
    caFile ? `  TLS certificate:   ${caFile}  (curl --cacert it; Node: NODE_EXTRA_CA_CERTS=${caFile})` : '  TLS:               off (plain http)',
    `  Admin API:         ${sb.adminUrl}  (header X-Sandbox-Token: ${sb.adminToken})`,
    `  Application auth:  ${sb.app.clientEndpoint}<method>?auth=${sb.app.accessToken}  (event.bind / event.offline.* need it)`,
    hooks.length
      ? `  Outgoing webhooks: ${hooks.map((h) => `${h.HANDLER} [${h.EVENTS.join(', ')}]`).join('; ')}`
      : `  Outgoing webhooks: none — add one: POST ${sb.adminUrl}outgoing-webhooks {"handler": "<url>", "events": ["ONCRMDEALUPDATE", ...]}`,
    `  Event token:       auth[application_token] = ${sb.app.applicationToken}`,
    l.enabled
      ? `  Limits:            ${l.preset} — ${l.drainPerSecond} req/s, burst ${l.burst}; ${l.operatingBudgetSeconds} s per method per 10 min`
      : '  Limits:            off',
    `  State file:        ${opts.stateFile ?? 'none (state is lost on exit; use --state FILE)'}`,
    seeded
      ? `  Demo data:         pipelines 0 "Основная" and ${DEMO.reactivationCategoryId} "Реактивация"; deals ${DEMO.deals.inProgress[0]}–${DEMO.deals.forgotten}, leads 501–506; head of sales user ${DEMO.headOfSalesId}, fired manager ${DEMO.firedManagerId}`
      : '',
    seeded && sb.profile === 'real-world'
      ? `  Real-world data:   companies ${REAL_WORLD.companies.promTara}–${REAL_WORLD.companies.breadFactory}, contacts 11–15, deals ${REAL_WORLD.deals.openBeforeLoss}–${REAL_WORLD.deals.wonWithFutureCloseDate}, lead ${REAL_WORLD.leads.createdAtNight}; multiple fields ${Object.values(REAL_WORLD.userFields).join(', ')}`
      : '',
    `  Inactive user:     PATCH ${sb.adminUrl}users/${sb.portal.webhookUserId} {"active": false} (REST then answers 403 INVALID_CREDENTIALS)`,
  ].filter(Boolean);
}

/** Resolves with 0 once SIGINT or SIGTERM has saved the state (with --state) and stopped the sandbox. */
function untilStopped(sb: Sandbox, stateFile: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      try {
        if (stateFile) console.log(`saved ${await sb.save()}`);
      } catch (err) {
        console.error(`could not save the state: ${(err as Error).message}`);
      }
      await sb.close();
      console.log(`stopped (${signal})`);
      resolve(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });
}

export async function main(argv = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const read = withUsage(USAGE, () => parseSandboxArgs(argv, env));
  if (!read.ok) return read.exitCode;
  const opts = read.value;
  let sb: Sandbox;
  try {
    sb = await startSandbox(opts);
    console.log(describeSandbox(sb, opts, writeCaFile(sb, opts.stateFile)).join('\n'));
  } catch (err) {
    console.error(`sandbox: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  return untilStopped(sb, opts.stateFile);
}

if (require.main === module) runMain('sandbox', () => main());
