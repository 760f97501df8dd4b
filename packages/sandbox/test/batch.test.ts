/**
 * batch (settings/how-to-call-rest-api/batch.md): up to 50 sub-calls, halt, `$result[cmd][FIELD]`
 * references, per-command errors in result_error, result_total / result_next / result_time,
 * HTTP 200 for the batch itself, no nesting.
 */
import assert from 'node:assert/strict';
import { DEMO, type SandboxHandle } from '../src';
import { call, callForm, sandbox } from './helpers';

describe('sandbox: batch', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await sandbox();
  });
  after(async () => {
    await sb.close();
  });

  it('answers keyed by command in result, result_error, result_total, result_next, result_time (batch.md "Response Handling")', async () => {
    const a = await call(sb, 'batch', {
      halt: 0,
      cmd: {
        deal: `crm.deal.get?id=${DEMO.deals.won[0]}`,
        missing: 'crm.deal.get?id=999999',
        deals: 'crm.deal.list?select[]=ID',
        users: 'user.get',
      },
    });
    assert.equal(a.status, 200);
    const r = a.body.result;
    assert.equal(r.result.deal.ID, String(DEMO.deals.won[0]));
    assert.equal(r.result.deals.length, 17);
    assert.deepEqual(r.result_error, { missing: { error: '', error_description: 'Not found' } });
    assert.deepEqual(r.result_total, { deals: 17, users: 8 });
    assert.deepEqual(r.result_next, [], 'empty maps print as [] (PHP arrays)');
    assert.deepEqual(Object.keys(r.result_time).sort(), ['deal', 'deals', 'users']);
    assert.equal(typeof r.result_time.deal.operating, 'number');
    assert.ok(!('operating' in a.body.time), 'the outer batch is not counted in operating (limits.md)');
  });

  it('later commands reference earlier results: $result[cmd][FIELD], nested paths, list indexes (batch.md "Linked Calls")', async () => {
    const a = await call(sb, 'batch', {
      halt: 0,
      cmd: {
        deal: `crm.deal.get?id=${DEMO.deals.won[0]}`,
        manager: 'user.get?ID=$result[deal][ASSIGNED_BY_ID]',
        dept: 'department.get?ID=$result[manager][0][UF_DEPARTMENT][0]',
        rows: 'crm.deal.productrows.get?id=$result[deal][ID]',
        sameCompany: 'crm.deal.list?filter[COMPANY_ID]=$result[deal][COMPANY_ID]&select[]=ID',
      },
    });
    const r = a.body.result;
    assert.deepEqual(r.result_error, []);
    assert.equal(r.result.manager[0].ID, '3');
    assert.equal(r.result.dept[0].UF_HEAD, '3');
    assert.ok(r.result.rows.length >= 1);
    assert.ok(r.result.sameCompany.every((d: { ID: string }) => d.ID), 'filter built from a reference');
  });

  it('references are resolved after the query is decoded: $total / $next, URL-encoded references, scalars inside text (CRestUtil batch parsing)', async () => {
    const a = await call(sb, 'batch', {
      cmd: {
        list: 'crm.deal.list?select[]=ID',
        total: 'crm.deal.list?filter[>ID]=$total[list]&select[]=ID',
        encoded: `crm.deal.get?id=${encodeURIComponent('$result[list][0][ID]')}`,
        text: 'crm.deal.list?filter[%TITLE]=$result[encoded][TITLE]&select[]=ID',
      },
    });
    const r = a.body.result;
    assert.deepEqual(r.result_error, []);
    assert.equal(r.result_total.total, 17, 'ID > 17 (the total of "list"): every deal');
    assert.equal(r.result.encoded.ID, r.result.list[0].ID);
    assert.equal(r.result.text[0].ID, r.result.list[0].ID);
  });

  it('halt=1 stops at the first failing command; halt=0 runs them all (batch.md "Error Handling")', async () => {
    const cmd = { a: 'crm.deal.get?id=101', b: 'crm.deal.get?id=0', c: 'crm.deal.get?id=102' };
    const halted = (await call(sb, 'batch', { halt: 1, cmd })).body.result;
    assert.deepEqual(Object.keys(halted.result), ['a']);
    assert.deepEqual(Object.keys(halted.result_error), ['b']);
    const all = (await call(sb, 'batch', { halt: 0, cmd })).body.result;
    assert.deepEqual(Object.keys(all.result), ['a', 'c']);
  });

  it('more than 50 commands: the ones beyond 50 fail with ERROR_BATCH_LENGTH_EXCEEDED (batch.md note)', async () => {
    const cmd: Record<string, string> = {};
    for (let i = 0; i < 53; i++) cmd[`c${i}`] = 'server.time';
    sb.callLog.clear();
    const r = (await call(sb, 'batch', { halt: 0, cmd })).body.result;
    assert.equal(Object.keys(r.result).length, 50);
    assert.deepEqual(Object.keys(r.result_error), ['c50', 'c51', 'c52']);
    assert.equal(r.result_error.c50.error, 'ERROR_BATCH_LENGTH_EXCEEDED');
    assert.equal(sb.callLog.httpRequests().length, 1, 'one HTTP request');
    assert.equal(sb.callLog.entries.filter((e) => e.viaBatch).length, 50);
  });

  it('unknown methods and nested batch fail per command (ERROR_METHOD_NOT_FOUND, ERROR_BATCH_METHOD_NOT_ALLOWED)', async () => {
    const r = (await call(sb, 'batch', { cmd: { x: 'crm.nope', y: 'batch?cmd[a]=server.time', z: 'server.time' } })).body.result;
    assert.equal(r.result_error.x.error, 'ERROR_METHOD_NOT_FOUND');
    assert.equal(r.result_error.y.error, 'ERROR_BATCH_METHOD_NOT_ALLOWED');
    assert.ok(r.result.z);
  });

  it('a list of commands gives list-shaped answers; works form-encoded too', async () => {
    const list = (await call(sb, 'batch', { cmd: ['crm.deal.get?id=101', 'crm.deal.get?id=102'] })).body.result;
    assert.ok(Array.isArray(list.result));
    assert.equal(list.result[1].ID, '102');
    const form = await callForm(sb, 'batch', `halt=0&cmd[a]=${encodeURIComponent('crm.deal.get?id=103')}&cmd[b]=${encodeURIComponent('crm.deal.list?filter[ID]=104&select[]=TITLE')}`);
    assert.equal(form.body.result.result.a.ID, '103');
    assert.equal(form.body.result.result.b.length, 1);
  });

  it('writes inside batch fire events and are logged as viaBatch entries', async () => {
    sb.callLog.clear();
    const r = (await call(sb, 'batch', { cmd: { add: 'crm.deal.add?fields[TITLE]=Из батча', get: 'crm.deal.get?id=$result[add]' } })).body.result;
    assert.equal(typeof r.result.add, 'number');
    assert.equal(r.result.get.TITLE, 'Из батча');
    const methods = sb.callLog.entries.map((e) => `${e.method}${e.viaBatch ? '*' : ''}`);
    assert.deepEqual(methods, ['batch', 'crm.deal.add*', 'crm.deal.get*']);
  });
});
