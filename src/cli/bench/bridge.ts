/**
 * Bench part (a): the webhook bridge — requests/s and p50/p95/p99 latency of POST /b24/events
 * (token, payload, signal-with-start) with C concurrent clients; its inbox workflows go to a task
 * queue no worker polls, so downstream REST work does not disturb it.
 */
import http from 'node:http';
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import { createMemoryLogger } from '../../shared/log';

import { percentile, pool, progress, round, type BenchOptions } from './support';

// (a) the webhook bridge

export interface BridgeResult {
  mode: string;
  requests: number;
  concurrency: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}

export async function benchBridge(temporal: Client, opts: BenchOptions): Promise<BridgeResult[]> {
  const appToken = 'bench-application-token-0123456789';
  const log = createMemoryLogger('warn');
  // A task queue no worker polls: the accept path only (the inbox workflows wait, untouched).
  const { app } = createApp({ temporal, appToken, apiToken: 'bench-api-token-0123456789', log, taskQueue: 'bench-bridge-unpolled' });
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const post = (dealId: number): Promise<{ ms: number; status: number }> => {
    const body = new URLSearchParams({
      event: 'ONCRMDEALUPDATE',
      'data[FIELDS][ID]': String(dealId),
      ts: String(Math.floor(Date.now() / 1000)),
      'auth[application_token]': appToken,
      'auth[domain]': 'bench.bitrix24.ru',
    }).toString();
    const started = process.hrtime.bigint();
    return new Promise((resolve) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/b24/events', method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.statusCode ?? 0 }));
        },
      );
      req.on('error', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: 0 }));
      req.end(body);
    });
  };
  const results: BridgeResult[] = [];
  const modes: { mode: string; dealOf: (i: number) => number }[] = [
    // Every event for another deal: signal-with-start STARTS a workflow each time.
    { mode: 'new deal each (start+signal)', dealOf: (i) => 1_000_000 + i },
    // Bursts on 20 deals: signal-with-start finds the running inbox and only SIGNALS it.
    { mode: 'same 20 deals (signal)', dealOf: (i) => 1_000_000 + (i % 20) },
  ];
  try {
    for (const { mode, dealOf } of modes) {
      await post(dealOf(0)); // warm: connection, express, first workflow
      const latencies: number[] = [];
      let errors = 0;
      const t0 = Date.now();
      await pool(opts.bridgeRequests, opts.concurrency, async (i) => {
        const r = await post(dealOf(i + 1));
        latencies.push(r.ms);
        if (r.status !== 200) errors++;
      });
      const seconds = (Date.now() - t0) / 1000;
      latencies.sort((a, b) => a - b);
      const r: BridgeResult = {
        mode,
        requests: opts.bridgeRequests,
        concurrency: opts.concurrency,
        seconds: round(seconds, 2),
        requestsPerSecond: round(opts.bridgeRequests / seconds),
        p50Ms: round(percentile(latencies, 50)),
        p95Ms: round(percentile(latencies, 95)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(latencies[latencies.length - 1] ?? NaN),
        errors,
      };
      progress(`bridge ${mode}: ${r.requestsPerSecond} req/s, p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, errors ${errors}`);
      results.push(r);
    }
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
  return results;
}
