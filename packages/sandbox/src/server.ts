/**
 * startSandbox(): the Bitrix24 portal emulator over HTTP(S).
 *
 *   /rest/<userId>/<secret>/<method>[.json]   inbound webhook (GET query, POST JSON, POST form)
 *   /rest/<method>[.json]?auth=<token>         application (OAuth) context — event.* need it
 *   /_sandbox/*                                admin API (admin.ts)
 *
 * Request path: fault latency → outage → auth (401 INVALID_CREDENTIALS / NO_AUTH_FOUND /
 * invalid_token) → method lookup (404 ERROR_METHOD_NOT_FOUND) → leaky bucket (503) →
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
import { seedPortal } from './seed';
import { emptyState, loadStateFile, type PortalState } from './store';
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

export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const host = opts.host ?? '127.0.0.1';
  const protocol = opts.protocol ?? 'https';
  const tz = opts.timezoneOffsetMinutes ?? 180;
  const userId = opts.userId ?? 1;

  let state: PortalState;
  if (opts.stateFile && existsSync(opts.stateFile)) {
    state = loadStateFile(opts.stateFile);
  } else {
    state = emptyState();
    seedPortal(state, opts.seed ?? 'demo', { tz, now: Date.now() });
  }
  if (opts.secret) state.credentials.secret = opts.secret;
  if (opts.applicationToken) state.credentials.applicationToken = opts.applicationToken;
  if (opts.appAccessToken) state.credentials.appAccessToken = opts.appAccessToken;

  const faults = new Faults(opts.faultSeed ?? 1);
  let limits: LimitsConfig = resolveLimits(opts.limits);
  const bucket = new LeakyBucket(() => limits);
  const meter = new OperatingMeter(() => limits);
  const callLog = new CallLog();
  let baseUrl = '';
  const portal = new Portal(
    {
      tzOffsetMinutes: tz,
      stateFile: opts.stateFile,
      baseUrl: () => baseUrl,
      dropEventsPct: () => faults.dropEventsPct,
      rng: faults.rng,
      eventTimeoutMs: opts.eventTimeoutMs ?? 5000,
      adminUserId: userId,
    },
    state,
  );
  for (const h of opts.outgoingWebhooks ?? []) {
    const events = h.events.map((e) => e.toUpperCase()).sort().join(',');
    const exists = portal.state.outgoingWebhooks.some((w) => w.HANDLER === h.handler && [...w.EVENTS].sort().join(',') === events);
    if (!exists) portal.addOutgoingWebhook(h.handler, h.events);
  }
  const scopes = new Set(opts.scopes ?? DEFAULT_SCOPES);
  const engine = new RestEngine({ portal: () => portal, methods: METHODS, scopes: () => scopes, bucket, meter, callLog });
  const adminToken = () => opts.adminToken ?? portal.state.credentials.secret;

  const setLimits = (patch: Partial<SandboxLimitsOptions>): LimitsConfig => {
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

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(
    '/_sandbox',
    adminRouter({
      portal,
      callLog,
      faults,
      token: adminToken,
      limits: () => limits,
      setLimits,
      resetLimits: () => {
        bucket.reset();
        meter.reset();
      },
    }),
  );

  app.use('/rest', async (req: Request, res: Response) => {
    const receivedAt = Date.now();
    const requestId = String(req.get('x-request-id') ?? randomUUID());
    const segments = req.path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    let webhook: { uid: string; secret: string } | null = null;
    let rawMethod = '';
    if (segments.length >= 3 && /^\d+$/.test(segments[0])) {
      webhook = { uid: segments[0], secret: segments[1] };
      rawMethod = segments.slice(2).join('/');
    } else if (segments.length === 1) {
      rawMethod = segments[0];
    } else if (segments.length === 2 && /^\d+$/.test(segments[0])) {
      webhook = { uid: segments[0], secret: segments[1] };
    }
    const method = rawMethod.replace(/\.json$/i, '').toLowerCase();
    const principal: Principal = { kind: webhook ? 'webhook' : 'app', userId, key: webhook ? `webhook:${userId}` : 'app' };
    const send = (status: number, body: unknown) => {
      if (opts.verbose) console.log(`[sandbox] ${method || '-'} → ${status}`);
      res.status(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
    };
    let params: Params = {};
    const request: RestRequest = { method, params, principal, ip: req.socket.remoteAddress ?? 'local', requestId, receivedAt };
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
      // Authorization.
      if (webhook) {
        if (webhook.uid !== String(userId) || !sameSecret(webhook.secret, portal.state.credentials.secret)) {
          const a = engine.refuse(request, Errors.invalidCredentials());
          send(a.status, a.body);
          return;
        }
      } else {
        const token = params.auth;
        if (token === undefined || token === '') {
          const a = engine.refuse(request, Errors.noAuth());
          send(a.status, a.body);
          return;
        }
        if (typeof token !== 'string' || !sameSecret(token, portal.state.credentials.appAccessToken)) {
          const a = engine.refuse(request, Errors.invalidToken());
          send(a.status, a.body);
          return;
        }
      }
      delete params.auth;
      if (!method) {
        const a = engine.refuse(request, Errors.methodNotFound());
        send(a.status, a.body);
        return;
      }
      if ((method === 'batch' || METHODS[method]) && faults.drawError(method)) {
        const a = engine.refuse(request, Errors.internal());
        send(a.status, a.body);
        return;
      }
      const answer = engine.handle(request);
      if (answer.writes.length && faults.drawLostResponse(answer.writes)) {
        for (const e of callLog.entries) if (e.requestId === request.requestId) e.lostResponse = true;
        if (opts.verbose) console.log(`[sandbox] ${method} → committed, response lost (fault)`);
        req.socket.destroy();
        return;
      }
      send(answer.status, answer.body);
    } catch (err) {
      const e = err instanceof RestError ? err : Errors.internal();
      if (!(err instanceof RestError)) console.error('[sandbox] request failed:', err);
      const a = engine.refuse(request, e);
      send(a.status, a.body);
    }
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'NOT_FOUND', error_description: 'Not a Bitrix24 REST path: use /rest/<user>/<secret>/<method> or /_sandbox/' });
  });

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
  baseUrl = `${protocol}://${urlHost}:${port}`;

  let closed = false;
  const handle: SandboxHandle = {
    baseUrl,
    get webhookUrl() {
      return `${baseUrl}/rest/${userId}/${portal.state.credentials.secret}/`;
    },
    caCertPem,
    portal,
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
      return limits;
    },
    setLimits,
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
  return handle;
}
