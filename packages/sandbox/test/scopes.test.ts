/**
 * The webhook's scopes: `scope` (api-reference/common/system/scope.md, scope `basic`) lists them;
 * a method outside them answers 403 insufficient_scope "The request requires higher privileges
 * than provided by the webhook token" (_includes/system-errors.md).
 */
import assert from 'node:assert/strict';
import type { SandboxHandle } from '../src';
import { call, callApp, sandbox } from './helpers';

describe('sandbox: scope and insufficient_scope', () => {
  const opened: SandboxHandle[] = [];
  const start = async (scopes?: string[]) => {
    const sb = await sandbox(scopes ? { scopes } : {});
    opened.push(sb);
    return sb;
  };
  after(async () => {
    for (const sb of opened) await sb.close();
  });

  it('scope lists the webhook\'s scopes (by default all the sandbox has); full=true the complete documented list', async () => {
    const sb = await start();
    const r = await call(sb, 'scope');
    assert.equal(r.status, 200);
    assert.deepEqual([...r.body.result].sort(), ['bizproc', 'catalog', 'crm', 'department', 'im', 'task', 'user']);
    assert.ok(r.body.time, 'the usual envelope');
    const full = (await call(sb, 'scope', { full: true })).body.result as string[];
    for (const s of ['crm', 'im', 'bizproc', 'department', 'task', 'user', 'user_brief', 'user_basic', 'vote', 'disk']) assert.ok(full.includes(s), s);
  });

  it('a webhook without im: scope says so, im.* answer 403 insufficient_scope (also inside batch); crm.* still work', async () => {
    const sb = await start(['crm', 'user', 'department']);
    assert.deepEqual((await call(sb, 'scope')).body.result, ['crm', 'user', 'department']);
    const refused = await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'x' });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the webhook token' });
    assert.equal(sb.portal.state.notifications.length, 0);
    assert.equal((await call(sb, 'bizproc.workflow.template.list')).body.error, 'insufficient_scope');
    assert.equal((await call(sb, 'crm.deal.get', { id: 101 })).status, 200);
    const batch = await call(sb, 'batch', { halt: 0, cmd: { a: 'crm.deal.get?id=101', b: 'im.notify.system.add?USER_ID=3&MESSAGE=x' } });
    assert.equal(batch.status, 200);
    assert.equal(batch.body.result.result.a.ID, '101');
    assert.equal(batch.body.result.result_error.b.error, 'insufficient_scope');
    assert.equal(sb.callLog.entries.filter((e) => e.error === 'insufficient_scope').length, 3);
  });

  it('scope is basic: it answers even for a webhook with no scopes at all', async () => {
    const sb = await start([]);
    assert.deepEqual((await call(sb, 'scope')).body.result, []);
    assert.equal((await call(sb, 'server.time')).status, 200);
    assert.equal((await call(sb, 'crm.deal.get', { id: 101 })).body.error, 'insufficient_scope');
  });

  it('user_brief and user_basic open the users methods (user-get.md: "Scope: user, user_brief, user_basic"), not department.get', async () => {
    for (const version of ['user_brief', 'user_basic']) {
      const sb = await start(['crm', version]);
      const users = await call(sb, 'user.get', { FILTER: { ID: 3 } });
      assert.equal(users.status, 200, version);
      assert.equal(users.body.result[0].ID, '3');
      assert.equal((await call(sb, 'department.get')).body.error, 'insufficient_scope', version);
    }
  });

  it('the local application has its own scopes: a narrow webhook does not narrow it', async () => {
    const sb = await start(['crm']);
    assert.equal(typeof (await callApp(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'x' })).body.result, 'number');
    assert.ok(((await callApp(sb, 'scope')).body.result as string[]).includes('im'));
  });
});
