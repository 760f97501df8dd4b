/**
 * startSandbox(): the Bitrix24 portal emulator over HTTP(S).
 *
 *   /rest/<userId>/<secret>/<method>[.json]   inbound webhook (GET query, POST JSON, POST form)
 *   /rest/<method>[.json]?auth=<token>         application (OAuth) context — event.* need it
 *   /_sandbox/*                                admin API (admin.ts)
 *
 * Request path: fault latency → outage → auth (a wrong webhook path: 401 INVALID_CREDENTIALS or
 * NO_AUTH_FOUND as the portal's settings say; no token: 401 NO_AUTH_FOUND; a wrong one: 401
 * invalid_token; an inactive webhook user: 403 INVALID_CREDENTIALS) → method lookup (404 ERROR_METHOD_NOT_FOUND) → leaky bucket (503) →
 * injected 500s → method or batch (operating limit 429 per method) → answer; for writes the
 * "response lost" fault destroys the connection after the change is committed.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { generate } from 'selfsigned';
import { adminRouter } from './admin';
import { CallLog } from './calllog';
import { Errors, RestError } from './errors';
import { Faults } from './faults';
import { LeakyBucket, OperatingMeter, resolveLimits, type LimitsConfig } from './limits';
import { DEFAULT_SCOPES, METHODS } from './methods';
import { Portal } from './portal';
import { RestEngine, type Principal, type RestRequest } from './rest';
import { profileOf, resolveSettings, seedProfile } from './profiles';
import { emptyState, loadStateFile, type PortalSettings, type PortalState } from './store';
import type { SandboxHandle, SandboxLimitsOptions, SandboxOptions } from './types';
import { parsePhpQuery, type Params } from './util';

export type { SandboxHandle, SandboxOptions } from './types';

const MAX_BODY = 20 * 1024 * 1024;

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

async function generateCertificate(host: string): Promise<{ certPem: string; keyPem: string }> {
  const ipHost = /^[\d.]+$/.test(host) || host.includes(':');
  const altNames: Array<{ type: 2 | 7; value?: string; ip?: string }> = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  if (host !== 'localhost' && host !== '127.0.0.1' && host !== '0.0.0.0' && host !== '::') altNames.push(ipHost ? { type: 7, ip: host } : { type: 2, value: host });
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'Bitrix24 sandbox' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 86_400_000),
    notAfterDate: new Date(now.getTime() + 2 * 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}

function readBody(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new RestError(400, 'INVALID_REQUEST', 'Request body is too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Query string + body (JSON, form-urlencoded, multipart) into one PHP-style parameter map. */
async function readParams(req: Request): Promise<Params> {
  const url = req.originalUrl;
  const qi = url.indexOf('?');
  const query = qi >= 0 ? parsePhpQuery(url.slice(qi + 1)) : {};
  const body = await readBody(req);
  if (body.length === 0) return query;
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('application/json')) {
    let data: unknown;
    try {
      data = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RestError(400, 'INVALID_REQUEST', 'Request body is not valid JSON');
    }
    return data && typeof data === 'object' && !Array.isArray(data) ? { ...query, ...(data as Params) } : query;
  }
  if (type.includes('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': type } }).formData();
    const parts: string[] = [];
    form.forEach((v, k) => {
      if (typeof v === 'string') parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    });
    return { ...query, ...parsePhpQuery(parts.join('&')) };
  }
  return { ...query, ...parsePhpQuery(body.toString('utf8')) };
}

const OUTAGE_HTML = '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** Settings the options give explicitly (over the profile's or the state file's). */
function explicitSettings(opts: SandboxOptions): Partial<PortalSettings> {
  return { ...opts.settings, ...(opts.timezoneOffsetMinutes !== undefined ? { utcOffsetMinutes: opts.timezoneOffsetMinutes } : {}) };
}

/**
 * The saved state when `stateFile` exists (its profile must be the one asked for, if one is),
 * else a fresh one seeded from the profile; then the settings and credentials the options fix.
 */
function initialState(opts: SandboxOptions, settings: Partial<PortalSettings>): PortalState {
  const profile = profileOf(opts.profile);
  let state: PortalState;
  if (opts.stateFile && existsSync(opts.stateFile)) {
    state = loadStateFile(opts.stateFile);
    if (opts.profile && state.profile !== opts.profile) {
      throw new Error(`${opts.stateFile} holds a "${state.profile}" portal, not "${opts.profile}": use another state file or remove it`);
    }
    state.settings = resolveSettings(state.settings, settings);
  } else {
    state = emptyState();
    seedProfile(state, profile, opts.seed ?? 'demo', settings, Date.now());
  }
  if (opts.secret) state.credentials.secret = opts.secret;
  if (opts.applicationToken) state.credentials.applicationToken = opts.applicationToken;
  if (opts.appAccessToken) state.credentials.appAccessToken = opts.appAccessToken;
  return state;
}

/** Outgoing webhooks of the options, unless the (loaded) state already has the same one. */
function addStartupWebhooks(portal: Portal, hooks: SandboxOptions['outgoingWebhooks'] = []): void {
  for (const h of hooks) {
    const events = h.events.map((e) => e.toUpperCase()).sort().join(',');
    const exists = portal.state.outgoingWebhooks.some((w) => w.HANDLER === h.handler && [...w.EVENTS].sort().join(',') === events);
    if (!exists) portal.addOutgoingWebhook(h.handler, h.events);
  }
}

/** The REST limits in force, the leaky bucket and the operating meter that read them. */
function limitsControl(initial: SandboxLimitsOptions | undefined) {
  let limits: LimitsConfig = resolveLimits(initial);
  const current = () => limits;
  const bucket = new LeakyBucket(current);
  const meter = new OperatingMeter(current);
  const set = (patch: Partial<SandboxLimitsOptions>): LimitsConfig => {
    const preset = patch.preset ?? limits.preset;
    const presetChanged = patch.preset !== undefined && patch.preset !== limits.preset;
    limits = resolveLimits({
      ...limits,
      ...(presetChanged ? { drainPerSecond: undefined, burst: undefined } : {}),
      ...patch,
      preset,
    });
    return limits;
  };
  const reset = () => {
    bucket.reset();
    meter.reset();
  };
  return { current, set, reset, bucket, meter };
}

type Webhook = { uid: string; secret: string };

/** `/<userId>/<secret>/<method>[.json]` (inbound webhook) or `/<method>[.json]` (application). */
function parseRestPath(restPath: string): { webhook: Webhook | null; method: string } {
  const segments = restPath.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  let webhook: Webhook | null = null;
  let rawMethod = '';
  if (segments.length >= 3 && /^\d+$/.test(segments[0])) {
    webhook = { uid: segments[0], secret: segments[1] };
    rawMethod = segments.slice(2).join('/');
  } else if (segments.length === 1) {
    rawMethod = segments[0];
  } else if (segments.length === 2 && /^\d+$/.test(segments[0])) {
    webhook = { uid: segments[0], secret: segments[1] };
  }
  return { webhook, method: rawMethod.replace(/\.json$/i, '').toLowerCase() };
}

/**
 * Why the call's credentials are refused, if they are: the webhook's user id and code (the
 * answer the portal's settings name), or the application token; then the user they act as,
 * who must be active (system-errors.md: 403 INVALID_CREDENTIALS when "the user associated with
 * the access token or webhook … lacks the necessary permissions").
 */
function credentialsError(webhook: Webhook | null, params: Params, userId: number, state: PortalState): RestError | undefined {
  const { credentials, settings } = state;
  if (webhook) {
    if (webhook.uid !== String(userId) || !sameSecret(webhook.secret, credentials.secret)) return Errors.wrongWebhookCode(settings.wrongWebhookCodeError);
  } else {
    const token = params.auth;
    if (token === undefined || token === '') return Errors.noAuth();
    if (typeof token !== 'string' || !sameSecret(token, credentials.appAccessToken)) return Errors.invalidToken();
  }
  if (state.users.find((u) => u.ID === userId)?.ACTIVE === false) return Errors.inactiveUser();
  return undefined;
}

interface RestRouteDeps {
  portal: Portal;
  engine: RestEngine;
  faults: Faults;
  callLog: CallLog;
  userId: number;
  verbose?: boolean;
}

/** The `/rest` handler: the request path of this file's header, from fault latency to the answer. */
function restRoute({ portal, engine, faults, callLog, userId, verbose }: RestRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const receivedAt = Date.now();
    const requestId = String(req.get('x-request-id') ?? randomUUID());
    const { webhook, method } = parseRestPath(req.path);
    const principal: Principal = { kind: webhook ? 'webhook' : 'app', userId, key: webhook ? `webhook:${userId}` : 'app' };
    const send = (status: number, body: unknown) => {
      if (verbose) console.log(`[sandbox] ${method || '-'} → ${status}`);
      res.status(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
    };
    let params: Params = {};
    const request: RestRequest = { method, params, principal, ip: req.socket.remoteAddress ?? 'local', requestId, receivedAt };
    const refuse = (err: RestError) => {
      const a = engine.refuse(request, err);
      send(a.status, a.body);
    };
    try {
      params = await readParams(req);
      // The official SDK tags each call with bx24_request_id / bx24_sdk_ver / bx24_sdk_type in
      // the query string: tracing, not method parameters.
      if (typeof params.bx24_request_id === 'string' && !req.get('x-request-id')) request.requestId = params.bx24_request_id;
      for (const k of Object.keys(params)) if (k.startsWith('bx24_')) delete params[k];
      request.params = params;
      if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
      if (faults.inOutage()) {
        const status = faults.outageStatus;
        engine.refuse(request, status === 500 ? Errors.internal() : new RestError(503, '', 'Service Temporarily Unavailable'));
        if (status === 500) send(500, Errors.internal().body());
        else res.status(503).type('text/html').send(OUTAGE_HTML);
        return;
      }
      const denied = credentialsError(webhook, params, userId, portal.state);
      if (denied) return refuse(denied);
      delete params.auth;
      if (!method) return refuse(Errors.methodNotFound());
      if ((method === 'batch' || METHODS[method]) && faults.drawError(method)) return refuse(Errors.internal());
      const answer = engine.handle(request);
      if (answer.writes.length && faults.drawLostResponse(answer.writes)) {
        for (const e of callLog.entries) if (e.requestId === request.requestId) e.lostResponse = true;
        if (verbose) console.log(`[sandbox] ${method} → committed, response lost (fault)`);
        req.socket.destroy();
        return;
      }
      send(answer.status, answer.body);
    } catch (err) {
      if (!(err instanceof RestError)) console.error('[sandbox] request failed:', err);
      refuse(err instanceof RestError ? err : Errors.internal());
    }
  };
}

/** Listens over HTTPS (the given or a generated certificate) or HTTP; the base URL clients use. */
async function listen(app: express.Express, opts: SandboxOptions, host: string): Promise<{ server: http.Server | https.Server; caCertPem: string; baseUrl: string }> {
  const protocol = opts.protocol ?? 'https';
  let caCertPem = '';
  let server: http.Server | https.Server;
  if (protocol === 'https') {
    const tls = opts.tls ?? (await generateCertificate(host));
    caCertPem = tls.certPem;
    server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, app);
  } else {
    server = http.createServer(app);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { server, caCertPem, baseUrl: `${protocol}://${urlHost}:${port}` };
}

interface HandleParts {
  baseUrl: string;
  caCertPem: string;
  userId: number;
  portal: Portal;
  callLog: CallLog;
  faults: Faults;
  adminToken: () => string;
  limits: ReturnType<typeof limitsControl>;
  server: http.Server | https.Server;
}

function sandboxHandle({ baseUrl, caCertPem, userId, portal, callLog, faults, adminToken, limits, server }: HandleParts): SandboxHandle {
  let closed = false;
  return {
    baseUrl,
    get webhookUrl() {
      return `${baseUrl}/rest/${userId}/${portal.state.credentials.secret}/`;
    },
    caCertPem,
    portal,
    get profile() {
      return portal.state.profile;
    },
    get settings() {
      return portal.state.settings;
    },
    callLog,
    faults,
    adminUrl: `${baseUrl}/_sandbox/`,
    get adminToken() {
      return adminToken();
    },
    get app() {
      return {
        accessToken: portal.state.credentials.appAccessToken,
        clientEndpoint: `${baseUrl}/rest/`,
        applicationToken: portal.state.credentials.applicationToken,
        memberId: portal.state.credentials.memberId,
      };
    },
    get limits() {
      return limits.current();
    },
    setLimits: limits.set,
    async save(file?: string) {
      return portal.save(file);
    },
    async load(file?: string) {
      return portal.load(file);
    },
    async close() {
      if (closed) return;
      closed = true;
      portal.bus.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  } as SandboxHandle;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const host = opts.host ?? '127.0.0.1';
  const settings = explicitSettings(opts);
  const userId = opts.userId ?? 1;
  const faults = new Faults(opts.faultSeed ?? 1);
  const limits = limitsControl(opts.limits);
  const callLog = new CallLog();
  let baseUrl = '';
  const portal = new Portal(
    {
      settings,
      stateFile: opts.stateFile,
      baseUrl: () => baseUrl,
      dropEventsPct: () => faults.dropEventsPct,
      rng: faults.rng,
      eventTimeoutMs: opts.eventTimeoutMs ?? 5000,
      adminUserId: userId,
    },
    initialState(opts, settings),
  );
  addStartupWebhooks(portal, opts.outgoingWebhooks);
  // The inbound webhook has the scopes it was given; the local application keeps all of them.
  const webhookScopes = new Set(opts.scopes ?? DEFAULT_SCOPES);
  const appScopes = new Set(DEFAULT_SCOPES);
  const scopes = (kind: 'webhook' | 'app') => (kind === 'app' ? appScopes : webhookScopes);
  const engine = new RestEngine({ portal: () => portal, methods: METHODS, scopes, bucket: limits.bucket, meter: limits.meter, callLog });
  const adminToken = () => opts.adminToken ?? portal.state.credentials.secret;

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(
    '/_sandbox',
    adminRouter({ portal, callLog, faults, token: adminToken, limits: limits.current, setLimits: limits.set, resetLimits: limits.reset }),
  );
  app.use('/rest', restRoute({ portal, engine, faults, callLog, userId, verbose: opts.verbose }));
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'NOT_FOUND', error_description: 'Not a Bitrix24 REST path: use /rest/<user>/<secret>/<method> or /_sandbox/' });
  });

  const listening = await listen(app, opts, host);
  baseUrl = listening.baseUrl;
  return sandboxHandle({ ...listening, userId, portal, callLog, faults, adminToken, limits });
}
