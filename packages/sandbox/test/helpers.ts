/**
 * Test helpers for the sandbox: start one over plain http (most tests) and call it with fetch,
 * as JSON, form-urlencoded or GET; a tiny HTTP server that records outbound event deliveries.
 * Deliberately independent of src/bitrix24.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../src';

export async function sandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  return startSandbox({ protocol: 'http', limits: { enabled: false }, ...opts });
}

export interface Answer {
  status: number;
  body: any;
  text: string;
  contentType: string;
}

async function answer(r: globalThis.Response): Promise<Answer> {
  const text = await r.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: r.status, body, text, contentType: r.headers.get('content-type') ?? '' };
}

/** POST JSON to `<webhookUrl><method>`. */
export async function call(sb: SandboxHandle, method: string, params: unknown = {}, base = sb.webhookUrl): Promise<Answer> {
  const r = await fetch(base + method, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
  return answer(r);
}

/** POST application/x-www-form-urlencoded with a raw PHP-style body. */
export async function callForm(sb: SandboxHandle, method: string, body: string): Promise<Answer> {
  const r = await fetch(sb.webhookUrl + method, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return answer(r);
}

/** GET with a raw query string. */
export async function callGet(sb: SandboxHandle, methodAndQuery: string): Promise<Answer> {
  return answer(await fetch(sb.webhookUrl + methodAndQuery));
}

/** A call in the local application's (OAuth) context: /rest/<method> with `auth`. */
export async function callApp(sb: SandboxHandle, method: string, params: Record<string, unknown> = {}): Promise<Answer> {
  return call(sb, method, { ...params, auth: sb.app.accessToken }, `${sb.baseUrl}/rest/`);
}

export async function admin(sb: SandboxHandle, verb: string, path: string, body?: unknown, token = sb.adminToken): Promise<Answer> {
  const r = await fetch(sb.adminUrl + path.replace(/^\//, ''), {
    method: verb,
    headers: { 'content-type': 'application/json', 'x-sandbox-token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(r);
}

export interface Receiver {
  url: string;
  received: Array<{ contentType: string; body: string; form: URLSearchParams }>;
  /** Status the receiver answers with. */
  status: number;
  close(): Promise<void>;
}

/** An event handler endpoint that records every POST. */
export async function receiver(status = 200): Promise<Receiver> {
  const rec: Receiver = { url: '', received: [], status, close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      rec.received.push({ contentType: String(req.headers['content-type'] ?? ''), body, form: new URLSearchParams(body) });
      res.statusCode = rec.status;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bitrix24/events`;
  rec.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return rec;
}

/** A URL on which nothing listens (connection refused). */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/gone`;
}
