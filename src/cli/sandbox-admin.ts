/**
 * `DATA_DIR/sandbox-admin.json`: how a local tool reaches the running demo — the embedded
 * sandbox's admin API (URL, token, the certificate to trust), the Temporal frontend and Web UI,
 * and the service's API. `npm start` writes it (mode 0600: it holds the admin token) once
 * everything answers and removes it when it stops; `npm run demo:*` (src/cli/demo.ts) reads it.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

export const SANDBOX_ADMIN_FILE = 'sandbox-admin.json';

export interface SandboxAdminInfo {
  /** `https://127.0.0.1:3001/_sandbox/` */
  adminUrl: string;
  /** X-Sandbox-Token of the admin API. */
  adminToken: string;
  /** PEM of the sandbox's self-signed certificate (generated per start). */
  caCertPem: string;
  /** Temporal frontend host:port and namespace. */
  temporalAddress: string;
  namespace: string;
  /** Web UI root, e.g. http://127.0.0.1:8233 (the embedded dev server's; absent with TEMPORAL_ADDRESS). */
  temporalUiUrl?: string;
  /** The service's HTTP API root, when this process runs it. */
  apiUrl?: string;
  /** The `npm start` process. */
  pid: number;
  startedAt: string;
}

export function sandboxAdminFile(dataDir: string): string {
  return path.resolve(dataDir, SANDBOX_ADMIN_FILE);
}

/** Writes the file (0600, replacing an earlier one); returns its path. */
export function writeSandboxAdminInfo(dataDir: string, info: SandboxAdminInfo): string {
  const file = sandboxAdminFile(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return file;
}

/** Removes the file if it is still the one this process wrote. */
export function removeSandboxAdminInfo(dataDir: string, pid = process.pid): void {
  const file = sandboxAdminFile(dataDir);
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SandboxAdminInfo>;
    if (info.pid === pid) fs.rmSync(file, { force: true });
  } catch {
    /* gone already */
  }
}

/** Reads the file; a readable reason when `npm start` is not running (or not in demo mode). */
export function readSandboxAdminInfo(dataDir: string): SandboxAdminInfo {
  const file = sandboxAdminFile(dataDir);
  let info: SandboxAdminInfo;
  try {
    info = JSON.parse(fs.readFileSync(file, 'utf8')) as SandboxAdminInfo;
  } catch {
    throw new Error(`${file} not found: is \`npm start\` running with the embedded sandbox (B24_WEBHOOK_URL unset) and DATA_DIR=${dataDir}?`);
  }
  if (!alive(info.pid)) throw new Error(`${file} was left by process ${info.pid}, which is gone: start the demo with \`npm start\``);
  return info;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The sandbox admin API over HTTP(S), trusting the sandbox's own certificate. */
export function sandboxAdmin(info: Pick<SandboxAdminInfo, 'adminUrl' | 'adminToken' | 'caCertPem'>) {
  return function call<T = any>(method: string, route: string, body?: unknown): Promise<T> {
    const url = new URL(route.replace(/^\//, ''), info.adminUrl);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method,
          headers: { 'x-sandbox-token': info.adminToken, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
          ...(url.protocol === 'https:' && info.caCertPem ? { ca: info.caCertPem } : {}),
          timeout: 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let data: any;
            try {
              data = text ? JSON.parse(text) : undefined;
            } catch {
              data = text;
            }
            if ((res.statusCode ?? 500) >= 400) reject(new Error(`sandbox ${method} ${url.pathname}: ${res.statusCode} ${data?.error ?? text}`));
            else resolve(data as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`sandbox ${method} ${url.pathname}: no answer in 15 s`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  };
}
