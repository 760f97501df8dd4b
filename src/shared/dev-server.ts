/**
 * The embedded Temporal dev server (Temporal CLI `server start-dev`) and search-attribute
 * registration: shared by `npm start` (src/cli/start.ts) and the test harness (test/support).
 * Never imported by workflow code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './names';
import { retry } from './retry';

type IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const IVT = temporal.api.enums.v1.IndexedValueType;

const INDEXED_TYPES: Record<(typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES], IndexedValueType> = {
  Int: IVT.INDEXED_VALUE_TYPE_INT,
  Keyword: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: IVT.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export interface DevServerArgsOptions {
  /** SQLite file; omitted = in memory (lost when the process dies). */
  dbFile?: string;
  ip?: string;
  port: number;
  /** Web UI port; null = headless. */
  uiPort: number | null;
  namespace?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** `temporal server start-dev` arguments: our search attributes, WAL SQLite (see docs/temporal.md). */
export function devServerArgs(opts: DevServerArgsOptions): string[] {
  const args = ['server', 'start-dev', '--ip', opts.ip ?? '127.0.0.1', '--port', String(opts.port)];
  args.push(...(opts.uiPort === null ? ['--headless'] : ['--ui-port', String(opts.uiPort)]));
  if (opts.dbFile) {
    args.push('--db-filename', opts.dbFile);
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  args.push('--log-level', opts.logLevel ?? 'warn', '--log-format', 'json', '--color', 'never');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  return args;
}

export function spawnDevServer(cliPath: string, opts: DevServerArgsOptions): ChildProcess {
  if (opts.dbFile) fs.mkdirSync(path.dirname(path.resolve(opts.dbFile)), { recursive: true });
  return spawn(cliPath, devServerArgs(opts), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A TCP port that was free a moment ago (bind to port 0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on host:port right now. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface WaitOptions {
  namespace?: string;
  timeoutMs?: number;
  /** Stop waiting early (e.g. the server process exited); return a reason to fail with. */
  abort?: () => string | undefined;
  connection?: Omit<ConnectionOptions, 'address'>;
  /** Also wait until these search attributes are registered on the namespace. */
  searchAttributes?: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the Temporal frontend at `address` answers for the namespace (and, if asked, has
 * the search attributes). Generous by default: a cold dev server on a busy 2-core box can take
 * tens of seconds.
 */
export async function waitForTemporal(address: string, opts: WaitOptions = {}): Promise<void> {
  const namespace = opts.namespace ?? 'default';
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let last: unknown;
  while (Date.now() < deadline) {
    const aborted = opts.abort?.();
    if (aborted) throw new Error(`Temporal at ${address} did not come up: ${aborted}`);
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ ...opts.connection, address, connectTimeout: '5s' });
      await connection.workflowService.describeNamespace({ namespace });
      if (opts.searchAttributes?.length) {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = opts.searchAttributes.filter((n) => !customAttributes || !(n in customAttributes));
        if (missing.length) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
      }
      return;
    } catch (err) {
      last = err;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(`Temporal at ${address} did not answer in time: ${(last as Error)?.message ?? last}`);
}

/** gRPC status codes met while registering search attributes. */
const ALREADY_EXISTS = 6;
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;
/** DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE: a (re)starting or busy server. */
const TRANSIENT = new Set([4, 8, 10, 14]);

/**
 * `call`, tried again while it fails with a transient gRPC status, up to `timeoutMs`: a start-up
 * step right after a server (re)start must not die of one slow or refused answer.
 */
export function retryTransient<T>(call: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return retry(call, {
    firstDelayMs: 250,
    maxDelayMs: 5_000,
    retryIf: (err, delayMs) => TRANSIENT.has((err as { code?: number }).code ?? -1) && Date.now() + delayMs <= deadline,
  });
}

export interface EnsureResult {
  added: string[];
  present: string[];
  /** Set when the cluster refused (e.g. Temporal Cloud: register them with tcld / the Cloud UI). */
  refused?: string;
}

/**
 * Makes sure the product's custom search attributes exist on the namespace (self-hosted
 * clusters). Tolerates "already exists" (another process got there first).
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<EnsureResult> {
  const wanted = Object.keys(SEARCH_ATTRIBUTES) as (keyof typeof SEARCH_ATTRIBUTES)[];
  let existing: Record<string, unknown> = {};
  try {
    existing = (await retryTransient(() => connection.operatorService.listSearchAttributes({ namespace }))).customAttributes ?? {};
  } catch (err) {
    // The Java time-skipping test server implements add but not list: try adding them all.
    if ((err as { code?: number }).code !== UNIMPLEMENTED) throw err;
  }
  const missing = wanted.filter((n) => !(n in existing));
  const present = wanted.filter((n) => n in existing);
  if (missing.length === 0) return { added: [], present };
  const searchAttributes = Object.fromEntries(missing.map((n) => [n, INDEXED_TYPES[SEARCH_ATTRIBUTES[n]]]));
  try {
    // (Retried after a timeout, an add that went through answers ALREADY_EXISTS: handled below.)
    await retryTransient(() => connection.operatorService.addSearchAttributes({ namespace, searchAttributes }));
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === ALREADY_EXISTS && missing.length > 1) {
      // Raced with another process (or list is unavailable): add them one by one.
      const added: string[] = [];
      for (const name of missing) {
        try {
          await retryTransient(() => connection.operatorService.addSearchAttributes({ namespace, searchAttributes: { [name]: INDEXED_TYPES[SEARCH_ATTRIBUTES[name]] } }));
          added.push(name);
        } catch (e) {
          if ((e as { code?: number }).code !== ALREADY_EXISTS) throw e;
        }
      }
      return { added, present: wanted.filter((n) => !added.includes(n)) };
    }
    if (code === ALREADY_EXISTS) return { added: [], present: wanted };
    if (code === PERMISSION_DENIED || code === UNIMPLEMENTED) return { added: [], present, refused: (err as Error).message };
    throw err;
  }
  return { added: missing, present };
}
