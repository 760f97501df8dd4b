/**
 * Malformed inputs (issue 7 §6) and forged tokens (§7) against the running service: webhook
 * deliveries, manager API bodies and params, updates and signals with bad values, environment
 * values (loadEnv, and the real start-up exiting with code 2), rules files (loadRulesText, and a
 * start-up refusing an invalid RULES_FILE). Every case must end in a clear 4xx or validation
 * error that names the field; none may crash anything: afterwards the service process is alive,
 * answers /health, and no malformed or forged event has started a workflow.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import YAML from 'yaml';
import { EnvError, loadEnv } from '../../src/config/env';
import { loadRulesText, RulesError } from '../../src/config/rules';
import { crmEventsWorkflowId, lostWorkflowId } from '../../src/shared/names';
import { crmEventSignal } from '../../src/workflows/crm-events.messages';
import {
  crmChangedSignal,
  lostDealStatusQuery,
  postponeUpdate,
  reactivationChangedSignal,
  setReturnDateUpdate,
} from '../../src/workflows/lost-deal.messages';
import { runTs } from '../support/processes';
import { api, API_TOKEN, APP_TOKEN, E2E_RULES, type ProcessStack } from '../e2e/stack';
import { describeOrUndefined, unseenLostDeals, waitFor, type ScenarioResult } from './scenarios';

interface CaseOutcome {
  kind: 'webhook' | 'api' | 'message' | 'env' | 'rules' | 'start';
  name: string;
  ok: boolean;
  detail: string;
  /** The input made something answer 5xx, throw an unexpected error, or die. */
  crash?: boolean;
}

interface HttpCase {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Expected status (or one of). */
  status: number | number[];
  /** The answer must name this field (in `issues[].path` or the message). */
  field?: string;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_CT = { 'content-type': 'application/json' };

function webhookCases(dealId: number): HttpCase[] {
  const ok = {
    event: 'ONCRMDEALUPDATE',
    'data[FIELDS][ID]': String(dealId),
    ts: String(Math.floor(Date.now() / 1000)),
    'auth[application_token]': APP_TOKEN,
    'auth[domain]': 'sandbox.local',
  };
  const without = (key: keyof typeof ok) => Object.fromEntries(Object.entries(ok).filter(([k]) => k !== key));
  const raw = (s: string) => s; // bodies written by hand (arrays, nesting, bad encodings)
  const okRaw = form(ok);
  const idRaw = (id: string) => form({ ...without('data[FIELDS][ID]') }) + `&${id}`;
  const p = '/b24/events';
  return [
    { name: 'no body at all', path: p, status: 401, field: 'application_token' },
    { name: 'token missing', path: p, headers: FORM, body: form(without('auth[application_token]')), status: 401, field: 'application_token' },
    { name: 'token empty', path: p, headers: FORM, body: form({ ...ok, 'auth[application_token]': '' }), status: 401, field: 'application_token' },
    { name: 'token as an array', path: p, headers: FORM, body: form(without('auth[application_token]')) + `&auth[application_token][]=${APP_TOKEN}`, status: 401, field: 'application_token' },
    { name: 'token as an object', path: p, headers: FORM, body: form(without('auth[application_token]')) + `&auth[application_token][value]=${APP_TOKEN}`, status: 401, field: 'application_token' },
    { name: 'auth as a scalar', path: p, headers: FORM, body: raw(`event=ONCRMDEALUPDATE&data[FIELDS][ID]=${dealId}&auth=${APP_TOKEN}`), status: 401, field: 'application_token' },
    { name: 'event missing', path: p, headers: FORM, body: form(without('event')), status: 400, field: 'event' },
    { name: 'event unsupported (ONCRMCONTACTADD)', path: p, headers: FORM, body: form({ ...ok, event: 'ONCRMCONTACTADD' }), status: 400, field: 'event' },
    { name: 'event as an array', path: p, headers: FORM, body: form(without('event')) + '&event[]=ONCRMDEALUPDATE&event[]=ONCRMDEALADD', status: 400, field: 'event' },
    { name: 'event name of 5000 characters', path: p, headers: FORM, body: form({ ...ok, event: 'X'.repeat(5000) }), status: 400, field: 'event' },
    { name: 'data missing', path: p, headers: FORM, body: form(without('data[FIELDS][ID]')), status: 400, field: 'data' },
    { name: 'data as a scalar', path: p, headers: FORM, body: form(without('data[FIELDS][ID]')) + '&data=5', status: 400, field: 'data' },
    { name: 'data[FIELDS] without ID', path: p, headers: FORM, body: form(without('data[FIELDS][ID]')) + '&data[FIELDS][TITLE]=x', status: 400, field: 'data.FIELDS.ID' },
    { name: 'ID not a number', path: p, headers: FORM, body: idRaw('data[FIELDS][ID]=abc'), status: 400, field: 'data.FIELDS.ID' },
    { name: 'ID negative', path: p, headers: FORM, body: idRaw('data[FIELDS][ID]=-7'), status: 400, field: 'data.FIELDS.ID' },
    { name: 'ID zero', path: p, headers: FORM, body: idRaw('data[FIELDS][ID]=0'), status: 400, field: 'data.FIELDS.ID' },
    { name: 'ID fractional', path: p, headers: FORM, body: idRaw('data[FIELDS][ID]=1.5'), status: 400, field: 'data.FIELDS.ID' },
    { name: 'ID beyond 2^53', path: p, headers: FORM, body: idRaw('data[FIELDS][ID]=99999999999999999999'), status: 400, field: 'data.FIELDS.ID' },
    { name: 'ID as an array', path: p, headers: FORM, body: idRaw(`data[FIELDS][ID][]=${dealId}`), status: 400, field: 'data.FIELDS.ID' },
    { name: 'ID in hex', path: p, headers: FORM, body: idRaw('data[FIELDS][ID]=0x10'), status: 400, field: 'data.FIELDS.ID' },
    { name: 'ID in exponent notation', path: p, headers: FORM, body: idRaw('data[FIELDS][ID]=1e3'), status: 400, field: 'data.FIELDS.ID' },
    { name: 'ID nested deeper', path: p, headers: FORM, body: idRaw('data[FIELDS][ID][a][b][c]=1'), status: 400, field: 'data.FIELDS.ID' },
    { name: 'ts not a number', path: p, headers: FORM, body: form({ ...ok, ts: 'yesterday' }), status: 400, field: 'ts' },
    { name: 'ts as an array', path: p, headers: FORM, body: form(without('ts')) + '&ts[]=1&ts[]=2', status: 400, field: 'ts' },
    { name: 'JSON cut short', path: p, headers: JSON_CT, body: '{"event":"ONCRMDEALUPDATE","data":', status: 400 },
    { name: 'JSON null', path: p, headers: JSON_CT, body: 'null', status: 400 },
    { name: 'JSON array instead of an object', path: p, headers: JSON_CT, body: JSON.stringify([{ event: 'ONCRMDEALUPDATE' }]), status: 401, field: 'application_token' },
    {
      name: 'JSON with ID true',
      path: p,
      headers: JSON_CT,
      body: JSON.stringify({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: true } }, auth: { application_token: APP_TOKEN } }),
      status: 400,
      field: 'data.FIELDS.ID',
    },
    {
      name: 'JSON with ID an object',
      path: p,
      headers: JSON_CT,
      body: JSON.stringify({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: { $gt: 0 } } }, auth: { application_token: APP_TOKEN } }),
      status: 400,
      field: 'data.FIELDS.ID',
    },
    {
      name: 'JSON with the token a number',
      path: p,
      headers: JSON_CT,
      body: JSON.stringify({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: dealId } }, auth: { application_token: 12345 } }),
      status: 401,
      field: 'application_token',
    },
    { name: 'form body of 200 KB', path: p, headers: FORM, body: `${okRaw}&pad=${'x'.repeat(200_000)}`, status: 413 },
    { name: 'JSON body of 1 MB', path: p, headers: JSON_CT, body: JSON.stringify({ pad: 'x'.repeat(1_000_000) }), status: 413 },
    { name: '300 form parameters', path: p, headers: FORM, body: `${okRaw}&${Array.from({ length: 300 }, (_, i) => `p${i}=1`).join('&')}`, status: 413 },
    { name: 'text/plain body', path: p, headers: { 'content-type': 'text/plain' }, body: okRaw, status: 401, field: 'application_token' },
    { name: 'multipart/form-data body', path: p, headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: `--x\r\nContent-Disposition: form-data; name="event"\r\n\r\nONCRMDEALUPDATE\r\n--x--\r\n`, status: 401, field: 'application_token' },
    { name: 'XML body', path: p, headers: { 'content-type': 'application/xml' }, body: '<event>ONCRMDEALUPDATE</event>', status: 401, field: 'application_token' },
    { name: 'JSON in charset iso-8859-1', path: p, headers: { 'content-type': 'application/json; charset=iso-8859-1' }, body: '{}', status: 415 },
    { name: 'gzip header, body not gzip', path: p, headers: { ...FORM, 'content-encoding': 'gzip' }, body: okRaw, status: 400 },
    { name: 'unknown content-encoding', path: p, headers: { ...FORM, 'content-encoding': 'x-unknown' }, body: okRaw, status: 415 },
    { name: 'gzip bomb (64 KB limit after inflating)', path: p, headers: { ...FORM, 'content-encoding': 'gzip' }, body: gzipSync(Buffer.from(`${okRaw}&pad=${'0'.repeat(5_000_000)}`)), status: 413 },
    { name: 'prototype pollution keys', path: p, headers: FORM, body: raw(`__proto__[application_token]=${APP_TOKEN}&constructor[prototype][application_token]=${APP_TOKEN}&event=ONCRMDEALUPDATE&data[FIELDS][ID]=${dealId}`), status: 401, field: 'application_token' },
    { name: 'broken percent-encoding', path: p, headers: FORM, body: raw(`event=ONCRMDEALUPDATE&data[FIELDS][ID]=${dealId}&auth%5Bapplication_token%5D=%E0%A4%A`), status: 401, field: 'application_token' },
    { name: 'content-type JSON, body a form', path: p, headers: JSON_CT, body: okRaw, status: 400 },
    { name: 'GET instead of POST', method: 'GET', path: p, status: 404 },
    { name: 'PUT instead of POST', method: 'PUT', path: p, headers: FORM, body: okRaw, status: 404 },
  ];
}

function managerCases(waitingDealId: number): HttpCase[] {
  const auth = { authorization: `Bearer ${API_TOKEN}`, ...JSON_CT };
  const body = (v: unknown) => JSON.stringify(v);
  const r = '/api/reactivations';
  const w = `${r}/deal/${waitingDealId}`;
  const future = new Date(Date.now() + 3600_000).toISOString();
  return [
    { name: 'no Authorization', path: r, headers: JSON_CT, body: body({ id: 5 }), status: 401, field: 'Authorization' },
    { name: 'wrong bearer token', path: r, headers: { ...JSON_CT, authorization: 'Bearer wrong-token-0123456789' }, body: body({ id: 5 }), status: 401, field: 'Authorization' },
    { name: 'Basic instead of Bearer', path: r, headers: { ...JSON_CT, authorization: `Basic ${Buffer.from(`x:${API_TOKEN}`).toString('base64')}` }, body: body({ id: 5 }), status: 401, field: 'Authorization' },
    { name: 'the application token as bearer', path: r, headers: { ...JSON_CT, authorization: `Bearer ${APP_TOKEN}` }, body: body({ id: 5 }), status: 401, field: 'Authorization' },
    { name: 'start: empty body', path: r, headers: auth, body: body({}), status: 400, field: 'id' },
    { name: 'start: id not a number', path: r, headers: auth, body: body({ id: 'abc' }), status: 400, field: 'id' },
    { name: 'start: id negative', path: r, headers: auth, body: body({ id: -5 }), status: 400, field: 'id' },
    { name: 'start: id an array', path: r, headers: auth, body: body({ id: [7] }), status: 400, field: 'id' },
    { name: 'start: id true', path: r, headers: auth, body: body({ id: true }), status: 400, field: 'id' },
    { name: 'start: entity company', path: r, headers: auth, body: body({ entity: 'company', id: 5 }), status: 400, field: 'entity' },
    { name: 'start: returnAt in words', path: r, headers: auth, body: body({ id: 5, returnAt: 'tomorrow' }), status: 400, field: 'returnAt' },
    { name: 'start: returnAt without a zone', path: r, headers: auth, body: body({ id: 5, returnAt: '2026-12-01T10:00:00' }), status: 400, field: 'returnAt' },
    { name: 'start: unknown key', path: r, headers: auth, body: body({ id: 5, hack: 1 }), status: 400, field: 'hack' },
    { name: 'start: JSON array body', path: r, headers: auth, body: body([{ id: 5 }]), status: 400 },
    { name: 'start: JSON cut short', path: r, headers: auth, body: '{"id": ', status: 400 },
    { name: 'start: JSON scalar body', path: r, headers: auth, body: '"5"', status: 400 },
    { name: 'start: body of 100 KB', path: r, headers: auth, body: body({ id: 5, pad: 'x'.repeat(100_000) }), status: 413 },
    { name: 'start: already running', path: r, headers: auth, body: body({ id: waitingDealId }), status: 409 },
    { name: 'status: id not a number', method: 'GET', path: `${r}/deal/abc`, headers: auth, status: 400, field: 'id' },
    { name: 'status: entity company', method: 'GET', path: `${r}/company/5`, headers: auth, status: 400, field: 'entity' },
    { name: 'status: id zero', method: 'GET', path: `${r}/deal/0`, headers: auth, status: 400, field: 'id' },
    { name: 'status: id fractional', method: 'GET', path: `${r}/deal/1.5`, headers: auth, status: 400, field: 'id' },
    { name: 'status: id beyond 2^53', method: 'GET', path: `${r}/deal/99999999999999999999`, headers: auth, status: 400, field: 'id' },
    { name: 'status: id a NUL byte', method: 'GET', path: `${r}/deal/%00`, headers: auth, status: 400, field: 'id' },
    { name: 'status: no such reactivation', method: 'GET', path: `${r}/deal/987654`, headers: auth, status: 404 },
    { name: 'return-date: empty body', method: 'PUT', path: `${w}/return-date`, headers: auth, body: body({}), status: 400, field: 'returnAt' },
    { name: 'return-date: a number', method: 'PUT', path: `${w}/return-date`, headers: auth, body: body({ returnAt: 5 }), status: 400, field: 'returnAt' },
    { name: 'return-date: "by" of 500 characters', method: 'PUT', path: `${w}/return-date`, headers: auth, body: body({ returnAt: future, by: 'y'.repeat(500) }), status: 400, field: 'by' },
    { name: 'return-date: in the past', method: 'PUT', path: `${w}/return-date`, headers: auth, body: body({ returnAt: new Date(Date.now() - 60_000).toISOString() }), status: 422, field: 'returnAt' },
    { name: 'return-date: a year ahead (rule allows 30 days)', method: 'PUT', path: `${w}/return-date`, headers: auth, body: body({ returnAt: new Date(Date.now() + 365 * 86400_000).toISOString() }), status: 422, field: 'returnAt' },
    { name: 'return-date: no such reactivation', method: 'PUT', path: `${r}/deal/987654/return-date`, headers: auth, body: body({ returnAt: future }), status: 404 },
    { name: 'postpone: zero days', path: `${w}/postpone`, headers: auth, body: body({ days: 0 }), status: 400, field: 'days' },
    { name: 'postpone: days as text', path: `${w}/postpone`, headers: auth, body: body({ days: '2' }), status: 400, field: 'days' },
    { name: 'postpone: fractional days', path: `${w}/postpone`, headers: auth, body: body({ days: 1.5 }), status: 400, field: 'days' },
    { name: 'postpone: 100000 days', path: `${w}/postpone`, headers: auth, body: body({ days: 100000 }), status: 400, field: 'days' },
    { name: 'postpone: beyond the rule (3650 days)', path: `${w}/postpone`, headers: auth, body: body({ days: 3650 }), status: 422, field: 'returnAt' },
    { name: 'cancel: no reason', path: `${w}/cancel`, headers: auth, body: body({}), status: 400, field: 'reason' },
    { name: 'cancel: blank reason', path: `${w}/cancel`, headers: auth, body: body({ reason: '   ' }), status: 400, field: 'reason' },
    { name: 'cancel: reason of 2000 characters', path: `${w}/cancel`, headers: auth, body: body({ reason: 'x'.repeat(2000) }), status: 400, field: 'reason' },
    { name: 'cancel: "by" a number', path: `${w}/cancel`, headers: auth, body: body({ reason: 'ok', by: 42 }), status: 400, field: 'by' },
    { name: 'unknown action', path: `${w}/teleport`, headers: auth, body: body({}), status: 404 },
    { name: 'DELETE a reactivation', method: 'DELETE', path: w, headers: auth, status: 404 },
  ];
}

async function runHttpCase(baseUrl: string, c: HttpCase, kind: 'webhook' | 'api'): Promise<CaseOutcome> {
  const expected = Array.isArray(c.status) ? c.status : [c.status];
  try {
    const res = await fetch(`${baseUrl}${c.path}`, { method: c.method ?? 'POST', headers: c.headers, body: c.body });
    const text = await res.text();
    const named = !c.field || text.includes(c.field);
    const ok = expected.includes(res.status) && named && text.length > 0;
    return {
      kind,
      name: c.name,
      ok,
      crash: res.status >= 500,
      detail: ok ? `${res.status}` : `answered ${res.status} ${text.slice(0, 300)}; expected ${expected.join('/')}${c.field ? ` naming ${c.field}` : ''}`,
    };
  } catch (error) {
    return { kind, name: c.name, ok: false, crash: true, detail: `no answer: ${(error as Error).message}` };
  }
}

/** Updates and signals with bad values, straight through Temporal (past the API's validation). */
async function messageCases(stack: ProcessStack, dealId: number): Promise<CaseOutcome[]> {
  const handle = stack.temporal.workflow.getHandle(lostWorkflowId('deal', dealId));
  const out: CaseOutcome[] = [];
  const rejected = async (name: string, field: string, send: () => Promise<unknown>) => {
    try {
      const result = await send();
      out.push({ kind: 'message', name, ok: false, detail: `accepted: ${JSON.stringify(result)}` });
    } catch (error) {
      const message = `${(error as Error).message} ${String((error as { cause?: Error }).cause?.message ?? '')}`;
      out.push({ kind: 'message', name, ok: message.includes(field), detail: message.slice(0, 200) });
    }
  };
  const update = handle.executeUpdate.bind(handle) as (def: unknown, opts: { args: unknown[] }) => Promise<unknown>;
  await rejected('update setReturnDate: returnAt garbage', 'returnAt', () => update(setReturnDateUpdate, { args: [{ returnAt: 'garbage' }] }));
  await rejected('update setReturnDate: returnAt missing', 'returnAt', () => update(setReturnDateUpdate, { args: [{}] }));
  await rejected('update setReturnDate: no argument', 'returnAt', () => update(setReturnDateUpdate, { args: [] }));
  await rejected('update setReturnDate: in the past', 'returnAt', () => update(setReturnDateUpdate, { args: [{ returnAt: new Date(Date.now() - 86400_000).toISOString() }] }));
  await rejected('update setReturnDate: a year ahead', 'returnAt', () => update(setReturnDateUpdate, { args: [{ returnAt: new Date(Date.now() + 365 * 86400_000).toISOString() }] }));
  await rejected('update setReturnDate: returnAt a number', 'returnAt', () => update(setReturnDateUpdate, { args: [{ returnAt: 12345 }] }));
  await rejected('update postpone: zero days', 'days', () => update(postponeUpdate, { args: [{ days: 0 }] }));
  await rejected('update postpone: negative days', 'days', () => update(postponeUpdate, { args: [{ days: -3 }] }));
  await rejected('update postpone: fractional days', 'days', () => update(postponeUpdate, { args: [{ days: 1.5 }] }));
  await rejected('update postpone: days as text', 'days', () => update(postponeUpdate, { args: [{ days: 'two' }] }));
  await rejected('update postpone: no argument', 'days', () => update(postponeUpdate, { args: [] }));
  await rejected('update with no handler', 'noSuchUpdate', () => update('noSuchUpdate', { args: [{}] }));

  // Signals cannot be refused; bad values must not break the workflow.
  const signals: [string, () => Promise<void>][] = [
    ['signal crmChanged with garbage', () => handle.signal(crmChangedSignal, { lossKey: 42, source: 'nowhere' } as never)],
    ['signal reactivationChanged with garbage', () => handle.signal(reactivationChangedSignal, { dealId: 'x' } as never)],
    ['signal crmChanged with null', () => handle.signal(crmChangedSignal, null as never)],
    ['signal of an unknown name', () => handle.signal('noSuchSignal', { a: 1 })],
    [
      'inbox signal with a garbage notice',
      async () => {
        await stack.temporal.workflow.signalWithStart('crmEvents', {
          workflowId: crmEventsWorkflowId('deal', dealId),
          taskQueue: 'reactivation',
          args: [{ entity: 'deal', id: dealId }],
          signal: crmEventSignal,
          signalArgs: [{ event: 42, at: 'never', source: 'mars' } as never],
        });
      },
    ],
  ];
  for (const [name, send] of signals) {
    try {
      await send();
      out.push({ kind: 'message', name, ok: true, detail: 'delivered' });
    } catch (error) {
      out.push({ kind: 'message', name, ok: false, detail: (error as Error).message });
    }
  }
  // The workflow took them all in its stride: still running, still waiting, no failed task.
  const alive = await waitFor(
    'the reactivation to settle after the bad messages',
    async () => {
      const status = await handle.query(lostDealStatusQuery);
      return status.phase === 'waiting' ? status : undefined;
    },
    60_000,
  ).catch(() => undefined);
  const history = await handle.fetchHistory();
  const failedTasks = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
  const inbox = await waitFor('the inbox to finish', async () => ((await describeOrUndefined(stack.temporal, crmEventsWorkflowId('deal', dealId)))?.status.name === 'COMPLETED' ? true : undefined), 60_000).catch(() => false);
  for (const o of out.filter((x) => x.name.startsWith('signal') || x.name.startsWith('inbox'))) {
    if (!alive || failedTasks > 0 || !inbox) {
      o.ok = false;
      o.crash = true;
      o.detail = `workflow ${alive ? 'waiting' : 'not waiting'}, ${failedTasks} failed workflow tasks, inbox ${inbox ? 'completed' : 'not completed'}`;
    }
  }
  return out;
}

function envCases(): CaseOutcome[] {
  const real = { B24_WEBHOOK_URL: 'https://acme.bitrix24.example/rest/1/fake-secret/', B24_APP_TOKEN: 'app-token-0123456789', API_TOKEN: 'api-token-0123456789' };
  const cases: [string, Record<string, string>, string, string?][] = [
    ['PORT not a number', { PORT: 'eighty' }, 'PORT'],
    ['PORT above 65535', { PORT: '70000' }, 'PORT'],
    ['PORT negative', { PORT: '-1' }, 'PORT'],
    ['PORT fractional', { PORT: '80.5' }, 'PORT'],
    ['TEMPORAL_PORT zero', { TEMPORAL_PORT: '0' }, 'TEMPORAL_PORT'],
    ['SANDBOX_PORT text', { SANDBOX_PORT: 'any' }, 'SANDBOX_PORT'],
    ['ROLE unknown', { ROLE: 'boss' }, 'ROLE'],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    ['TEMPORAL_ADDRESS a URL', { TEMPORAL_ADDRESS: 'http://temporal:7233' }, 'TEMPORAL_ADDRESS'],
    ['TEMPORAL_ADDRESS with a space', { TEMPORAL_ADDRESS: 'tem poral:7233' }, 'TEMPORAL_ADDRESS'],
    ['TEMPORAL_TLS yes', { TEMPORAL_TLS: 'yes' }, 'TEMPORAL_TLS'],
    ['B24_WEBHOOK_URL not a URL', { ...real, B24_WEBHOOK_URL: 'acme.bitrix24.example' }, 'B24_WEBHOOK_URL'],
    ['B24_WEBHOOK_URL without user and secret', { ...real, B24_WEBHOOK_URL: 'https://acme.bitrix24.example/rest/' }, 'B24_WEBHOOK_URL'],
    ['B24_WEBHOOK_URL ftp', { ...real, B24_WEBHOOK_URL: 'ftp://acme.bitrix24.example/rest/1/x/' }, 'B24_WEBHOOK_URL'],
    ['B24_WEBHOOK_URL without B24_APP_TOKEN', { B24_WEBHOOK_URL: real.B24_WEBHOOK_URL, API_TOKEN: real.API_TOKEN }, 'B24_APP_TOKEN'],
    ['B24_WEBHOOK_URL without API_TOKEN', { B24_WEBHOOK_URL: real.B24_WEBHOOK_URL, B24_APP_TOKEN: real.B24_APP_TOKEN }, 'API_TOKEN'],
    ['API_TOKEN too short (and not echoed)', { API_TOKEN: 'short-secret' }, 'API_TOKEN', 'short-secret'],
    ['PUBLIC_URL ftp', { PUBLIC_URL: 'ftp://example.com' }, 'PUBLIC_URL'],
    ['RECONCILE_EVERY without a unit', { RECONCILE_EVERY: '5' }, 'RECONCILE_EVERY'],
    ['RECONCILE_EVERY under 10 seconds', { RECONCILE_EVERY: '1 second' }, 'RECONCILE_EVERY'],
    ['DORMANT_SCAN_EVERY negative', { DORMANT_SCAN_EVERY: '-1 day' }, 'DORMANT_SCAN_EVERY'],
    ['TLS certificate without key', { TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CERT_PATH: __filename }, 'TEMPORAL_TLS_KEY_PATH'],
    ['TLS CA file missing', { TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CA_PATH: '/nonexistent/ca.pem' }, 'TEMPORAL_TLS_CA_PATH'],
    ['ROLE=worker without TEMPORAL_ADDRESS', { ...real, ROLE: 'worker' }, 'TEMPORAL_ADDRESS'],
    ['ROLE=api without B24_WEBHOOK_URL', { ROLE: 'api', TEMPORAL_ADDRESS: 'x:7233' }, 'B24_WEBHOOK_URL'],
  ];
  return cases.map(([name, env, variable, secret]): CaseOutcome => {
    try {
      loadEnv(env);
      return { kind: 'env', name, ok: false, detail: 'accepted' };
    } catch (error) {
      if (!(error instanceof EnvError)) return { kind: 'env', name, ok: false, crash: true, detail: `unexpected ${(error as Error).name}: ${(error as Error).message}` };
      const named = error.problems.some((p) => p.variable === variable);
      const leaked = secret !== undefined && error.message.includes(secret);
      return { kind: 'env', name, ok: named && !leaked, detail: leaked ? 'the message echoes the secret' : error.message.split('\n').slice(1, 3).join(' ') };
    }
  });
}

function rulesCases(): CaseOutcome[] {
  const base = () => YAML.parse(fs.readFileSync(E2E_RULES, 'utf8'), { maxAliasCount: -1 }) as Record<string, any>;
  const mutated = (m: (d: Record<string, any>) => void) => {
    const d = base();
    m(d);
    return YAML.stringify(d);
  };
  const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(',')}]`)].join('\n');
  const cases: [string, string, string][] = [
    ['empty file', '', '(root)'],
    ['a number', '42', '(root)'],
    ['a list', '- a\n- b', '(root)'],
    ['YAML syntax error', 'version: [1', '(yaml)'],
    ['duplicate key', 'version: 1\nversion: 1', '(yaml)'],
    ['tab indentation', 'version:\t1\n\tlostDeals: x', '(yaml)'],
    ['alias bomb', bomb, '(yaml)'],
    ['version 2', mutated((d) => (d.version = 2)), 'version'],
    ['unknown time zone', mutated((d) => (d.defaults.calendar.timeZone = 'Mars/Olympus')), 'defaults.calendar.timeZone'],
    ['unknown working day', mutated((d) => (d.defaults.calendar.workingDays = ['funday'])), 'defaults.calendar.workingDays'],
    ['working hours 25:00', mutated((d) => (d.defaults.calendar.workingHours.from = '25:00')), 'defaults.calendar.workingHours.from'],
    ['unknown responsible strategy', mutated((d) => (d.defaults.responsible.strategy = 'whoever')), 'defaults.responsible.strategy'],
    ['daily cap in words', mutated((d) => (d.defaults.dailyCap = 'lots')), 'defaults.dailyCap'],
    ['to-do deadline in words', mutated((d) => (d.defaults.todoDeadline = 'soonish')), 'defaults.todoDeadline'],
    ['negative max reactivations', mutated((d) => (d.lostDeals.maxReactivations = -1)), 'lostDeals.maxReactivations'],
    ['unknown target action', mutated((d) => (d.lostDeals.target.action = 'teleport')), 'lostDeals.target.action'],
    ['return period "someday"', mutated((d) => (d.lostDeals.pipelines[0].reasons[0].returnPeriod = 'someday')), 'lostDeals.pipelines[0].reasons[0].returnPeriod'],
    ['pipeline id as text', mutated((d) => (d.lostDeals.pipelines[0].categoryId = 'main')), 'lostDeals.pipelines[0].categoryId'],
    ['followUpEvery a list', mutated((d) => (d.lostDeals.followUpEvery = [1, 2])), 'lostDeals.followUpEvery'],
    ['notification flag "yes"', mutated((d) => (d.lostDeals.notifications.atLoss.manager = 'yes')), 'lostDeals.notifications.atLoss.manager'],
    ['reasons not a list', mutated((d) => (d.lostDeals.pipelines[0].reasons = 'LOSE')), 'lostDeals.pipelines[0].reasons'],
    ['empty stage id', mutated((d) => (d.lostDeals.pipelines[0].reasons[0].stageId = '')), 'lostDeals.pipelines[0].reasons[0].stageId'],
    ['amount bracket in words', mutated((d) => (d.lostDeals.pipelines[0].reasons[2].returnPeriod.brackets[0].below = 'much')), 'lostDeals.pipelines[0].reasons[2].returnPeriod.brackets[0].below'],
    ['unknown reminder action', mutated((d) => (d.expiry.rules[0].reminders[0].action = 'fax')), 'expiry.rules[0].reminders[0].action'],
    ['unknown top-level key', mutated((d) => (d.surprise = 1)), 'surprise'],
  ];
  return cases.map(([name, text, field]): CaseOutcome => {
    try {
      loadRulesText(text, 'case');
      return { kind: 'rules', name, ok: false, detail: 'accepted' };
    } catch (error) {
      if (!(error instanceof RulesError)) return { kind: 'rules', name, ok: false, crash: true, detail: `unexpected ${(error as Error).name}: ${(error as Error).message}` };
      const named = error.issues.some((i) => i.path.includes(field) || i.message.includes(field));
      return { kind: 'rules', name, ok: named, detail: error.issues.map((i) => `${i.path}: ${i.message}`).join('; ').slice(0, 200) };
    }
  });
}

/** The real start-up (src/cli/start.ts main) refusing bad configuration: exit 2 naming each variable; exit 1 naming the rules problem. */
async function startCases(stack: ProcessStack): Promise<CaseOutcome[]> {
  const out: CaseOutcome[] = [];
  const clean = { ROLE: '', TEMPORAL_ADDRESS: '', B24_WEBHOOK_URL: '', B24_APP_TOKEN: '', API_TOKEN: '', RULES_FILE: '', PORT: '', LOG_LEVEL: '', DATA_DIR: '' };
  const badEnv = runTs('src/cli/start.ts', { env: { ...clean, ROLE: 'boss', PORT: 'eighty', API_TOKEN: 'short-secret' } });
  const code = await badEnv.exited();
  const text = badEnv.output();
  const named = ['ROLE', 'PORT', 'API_TOKEN'].every((v) => text.includes(v));
  out.push({ kind: 'start', name: 'npm start with ROLE, PORT and API_TOKEN invalid', ok: code === 2 && named && !text.includes('short-secret'), detail: `exit ${code}: ${text.trim().split('\n').slice(0, 4).join(' ')}` });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-badrules-'));
  try {
    const rules = path.join(dir, 'rules.yaml');
    fs.writeFileSync(rules, fs.readFileSync(E2E_RULES, 'utf8').replace('returnPeriod: 3 seconds', 'returnPeriod: someday'));
    const badRules = runTs('src/cli/start.ts', {
      env: {
        ...clean,
        TEMPORAL_ADDRESS: stack.dev.address,
        B24_WEBHOOK_URL: 'https://127.0.0.1:9/rest/1/unused-secret/',
        B24_APP_TOKEN: 'app-token-0123456789',
        API_TOKEN: 'api-token-0123456789',
        RULES_FILE: rules,
        PORT: '0',
        DATA_DIR: dir,
        DORMANT_SCAN_EVERY: 'off',
      },
    });
    const rc = await badRules.exited();
    const said = badRules.output();
    out.push({
      kind: 'start',
      name: 'npm start with an invalid RULES_FILE',
      ok: rc === 1 && said.includes('returnPeriod') && !said.includes('unused-secret'),
      detail: `exit ${rc}: ${said.trim().split('\n').filter((l) => /returnPeriod|failed/.test(l)).slice(0, 2).join(' ').slice(0, 300)}`,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export interface MalformedReport extends ScenarioResult {
  outcomes: CaseOutcome[];
}

/**
 * §6: every malformed input. Needs a stack whose service runs; prepares its own elements: a lost
 * deal nobody was told about (the target of the webhook cases: nothing may start for it) and a
 * reactivation waiting on a manager date (the target of the manager API and message cases).
 */
export async function malformedScenario(stack: ProcessStack): Promise<MalformedReport> {
  const problems: string[] = [];
  const [unseen, waiting] = (await unseenLostDeals(stack, 2, 'Мусор')).ids;
  // The manager chooses a return date through the API: a reactivation waiting for a day.
  const started = await api(stack, 'POST', '/api/reactivations', { entity: 'deal', id: waiting, returnAt: new Date(Date.now() + 86400_000).toISOString() });
  if (started.status !== 201) problems.push(`could not start the waiting reactivation: ${started.status} ${JSON.stringify(started.body)}`);
  await waitFor('the waiting reactivation', async () => (await stack.temporal.workflow.getHandle(lostWorkflowId('deal', waiting)).query(lostDealStatusQuery)).phase === 'waiting', 60_000);

  const outcomes: CaseOutcome[] = [];
  for (const c of webhookCases(unseen)) outcomes.push(await runHttpCase(stack.api, c, 'webhook'));
  for (const c of managerCases(waiting)) outcomes.push(await runHttpCase(stack.api, c, 'api'));
  outcomes.push(...(await messageCases(stack, waiting)));
  outcomes.push(...envCases());
  outcomes.push(...rulesCases());
  outcomes.push(...(await startCases(stack)));

  // Afterwards: the service process lives and answers; nothing started for the unseen deal.
  const health = await fetch(`${stack.api}/health`).then((r) => r.status).catch(() => 0);
  const alive = stack.service.alive();
  const actedOn = !!(await describeOrUndefined(stack.temporal, crmEventsWorkflowId('deal', unseen))) || !!(await describeOrUndefined(stack.temporal, lostWorkflowId('deal', unseen)));
  // The waiting reactivation is still there; the manager cancels it (a valid request) and it ends.
  const cancel = await api(stack, 'POST', `/api/reactivations/deal/${waiting}/cancel`, { reason: 'клиент закрылся', by: 'fault suite' });
  const result = await stack.temporal.workflow.getHandle(lostWorkflowId('deal', waiting)).result().catch((e: Error) => ({ outcome: `error ${e.message}` }));
  const crashes = outcomes.filter((o) => o.crash).length + (health === 200 ? 0 : 1) + (alive ? 0 : 1);
  for (const o of outcomes.filter((x) => !x.ok)) problems.push(`${o.kind} "${o.name}": ${o.detail}`);
  if (health !== 200) problems.push(`/health answered ${health} after the malformed inputs`);
  if (!alive) problems.push('the service process died');
  if (actedOn) problems.push('a malformed webhook started a workflow');
  if (cancel.status !== 202 || (result as { outcome: string }).outcome !== 'cancelled') problems.push(`the waiting reactivation did not cancel cleanly: ${cancel.status} ${JSON.stringify(result)}`);
  const count = (k: CaseOutcome['kind']) => outcomes.filter((o) => o.kind === k).length;
  return {
    name: 'malformed',
    figures: [
      ['cases', outcomes.length],
      ['webhook', count('webhook')],
      ['api', count('api')],
      ['messages', count('message')],
      ['env', count('env') + count('start')],
      ['rules', count('rules')],
      ['unclear', outcomes.filter((o) => !o.ok).length],
      ['crashes', crashes],
    ],
    problems,
    outcomes,
  };
}

/**
 * §7: deliveries with a forged application token are refused and never acted on; the webhook
 * secret, the application token and the API token never reach the logs (`logLines` of every
 * stack given).
 */
export async function forgedTokenScenario(stack: ProcessStack, logSources: { name: string; lines: string[]; secrets: string[] }[]): Promise<ScenarioResult> {
  const problems: string[] = [];
  const [target] = (await unseenLostDeals(stack, 1, 'Подделка')).ids;
  const fields = (token: string) => ({ event: 'ONCRMDEALUPDATE', 'data[FIELDS][ID]': String(target), ts: String(Math.floor(Date.now() / 1000)), 'auth[application_token]': token, 'auth[domain]': 'sandbox.local' });
  const flip = (s: string) => s.slice(0, -1) + (s.endsWith('0') ? '1' : '0');
  const forgeries: [string, () => Promise<Response>][] = [
    ['a random token', () => fetch(stack.eventsUrl, { method: 'POST', headers: FORM, body: form(fields('forged-token-0000000000000000')) })],
    ['the right token with the last character changed', () => fetch(stack.eventsUrl, { method: 'POST', headers: FORM, body: form(fields(flip(APP_TOKEN))) })],
    ['the right token plus a character', () => fetch(stack.eventsUrl, { method: 'POST', headers: FORM, body: form(fields(`${APP_TOKEN}x`)) })],
    ['a prefix of the right token', () => fetch(stack.eventsUrl, { method: 'POST', headers: FORM, body: form(fields(APP_TOKEN.slice(0, 10))) })],
    ['the right token in upper case', () => fetch(stack.eventsUrl, { method: 'POST', headers: FORM, body: form(fields(APP_TOKEN.toUpperCase())) })],
    ['the manager API token', () => fetch(stack.eventsUrl, { method: 'POST', headers: FORM, body: form(fields(API_TOKEN)) })],
    ['the right token in the query string only', () => fetch(`${stack.eventsUrl}?auth[application_token]=${encodeURIComponent(APP_TOKEN)}`, { method: 'POST', headers: FORM, body: form(fields('forged')) })],
    ['the right token in a header only', () => fetch(stack.eventsUrl, { method: 'POST', headers: { ...FORM, 'x-application-token': APP_TOKEN, authorization: `Bearer ${APP_TOKEN}` }, body: form(fields('forged')) })],
    ['JSON with a forged token', () => fetch(stack.eventsUrl, { method: 'POST', headers: JSON_CT, body: JSON.stringify({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: target } }, auth: { application_token: 'forged-token-1111111111111111' } }) })],
  ];
  let refused = 0;
  for (const [name, send] of forgeries) {
    const res = await send();
    await res.arrayBuffer();
    if (res.status === 401) refused++;
    else problems.push(`forged delivery (${name}) answered ${res.status}`);
  }
  const acted = [crmEventsWorkflowId('deal', target), lostWorkflowId('deal', target)];
  let actedOn = 0;
  for (const id of acted) if (await describeOrUndefined(stack.temporal, id)) actedOn++;
  if (actedOn) problems.push(`a forged delivery started ${actedOn} workflow(s) for deal ${target}`);

  let leaks = 0;
  let lines = 0;
  for (const source of logSources) {
    lines += source.lines.length;
    for (const secret of source.secrets) {
      const hits = source.lines.filter((l) => l.includes(secret)).length;
      if (hits) problems.push(`${source.name}: ${hits} log lines contain a secret (${secret.slice(0, 4)}…)`);
      leaks += hits;
    }
  }
  if (lines === 0) problems.push('no log lines were captured (the leak check proves nothing)');
  return {
    name: 'forged',
    figures: [
      ['forged', forgeries.length],
      ['refused', refused],
      ['actedOn', actedOn],
      ['logLines', lines],
      ['leaks', leaks],
    ],
    problems,
  };
}
