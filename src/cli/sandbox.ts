/**
 * `npm run sandbox` — a seeded Bitrix24 portal emulator for demos and manual testing.
 *
 *   npm run sandbox -- [--port 3001] [--host 127.0.0.1] [--http] [--limits standard|enterprise|off]
 *                      [--state .data/sandbox.json] [--seed demo|empty] [--secret CODE]
 *                      [--app-token TOKEN] [--events-url URL] [--verbose]
 *
 * Environment: SANDBOX_PORT, SANDBOX_HOST, SANDBOX_PROTOCOL, SANDBOX_LIMITS, SANDBOX_STATE_FILE,
 * SANDBOX_SEED, SANDBOX_SECRET, SANDBOX_APP_TOKEN (or B24_APP_TOKEN), SANDBOX_EVENTS_URL.
 * Flags win over the environment. Ctrl+C saves the state (with --state) and stops.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BINDABLE_EVENTS, DEMO, startSandbox, type SandboxOptions } from '@b24r/sandbox';

const USAGE = `usage: npm run sandbox -- [--port N] [--host H] [--http] [--limits standard|enterprise|off]
                          [--state FILE] [--seed demo|empty] [--secret CODE] [--app-token TOKEN]
                          [--events-url URL] [--verbose]`;

function parseArgs(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const [k, inline] = a.slice(2).split('=', 2);
    if (['http', 'verbose', 'help'].includes(k)) out[k] = true;
    else {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`--${k} needs a value`);
      out[k] = v;
    }
  }
  return out;
}

async function main(): Promise<void> {
  let args: Record<string, string | true>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const env = process.env;
  const pick = (flag: string, name: string): string | undefined => (typeof args[flag] === 'string' ? (args[flag] as string) : env[name] || undefined);

  const port = Number(pick('port', 'SANDBOX_PORT') ?? 3001);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port ${String(port)}`);
  const limitsName = (pick('limits', 'SANDBOX_LIMITS') ?? 'standard').toLowerCase();
  if (!['standard', 'enterprise', 'off'].includes(limitsName)) throw new Error(`--limits must be standard, enterprise or off (got ${limitsName})`);
  const seed = (pick('seed', 'SANDBOX_SEED') ?? 'demo') as 'demo' | 'empty';
  if (seed !== 'demo' && seed !== 'empty') throw new Error('--seed must be demo or empty');
  const stateFile = pick('state', 'SANDBOX_STATE_FILE');
  const eventsUrl = pick('events-url', 'SANDBOX_EVENTS_URL');
  const protocol = args.http || env.SANDBOX_PROTOCOL === 'http' ? 'http' : 'https';

  const opts: SandboxOptions = {
    host: pick('host', 'SANDBOX_HOST') ?? '127.0.0.1',
    port,
    protocol,
    seed,
    stateFile: stateFile ? path.resolve(stateFile) : undefined,
    secret: pick('secret', 'SANDBOX_SECRET'),
    applicationToken: pick('app-token', 'SANDBOX_APP_TOKEN') ?? env.B24_APP_TOKEN,
    limits: limitsName === 'off' ? { enabled: false } : { enabled: true, preset: limitsName as 'standard' | 'enterprise' },
    outgoingWebhooks: eventsUrl ? [{ handler: eventsUrl, events: BINDABLE_EVENTS.filter((e) => /^ONCRM(DEAL|LEAD)/.test(e)) }] : undefined,
    verbose: !!args.verbose,
  };
  const sb = await startSandbox(opts);

  let caFile = '';
  if (sb.caCertPem) {
    const dir = path.resolve(stateFile ? path.dirname(stateFile) : '.data');
    mkdirSync(dir, { recursive: true });
    caFile = path.join(dir, 'sandbox-ca.pem');
    writeFileSync(caFile, sb.caCertPem);
  }
  const l = sb.limits;
  const hooks = sb.portal.state.outgoingWebhooks;
  const lines = [
    `Bitrix24 sandbox (${seed} portal) is running`,
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
    seed === 'demo'
      ? `  Demo data:         pipelines 0 "Основная" and ${DEMO.reactivationCategoryId} "Реактивация"; deals ${DEMO.deals.inProgress[0]}–${DEMO.deals.forgotten}, leads 501–506; head of sales user ${DEMO.headOfSalesId}, fired manager ${DEMO.firedManagerId}`
      : '',
  ].filter(Boolean);
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    try {
      if (opts.stateFile) console.log(`saved ${await sb.save()}`);
    } catch (err) {
      console.error(`could not save the state: ${(err as Error).message}`);
    }
    await sb.close();
    console.log(`stopped (${signal})`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`sandbox: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
