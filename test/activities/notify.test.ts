/**
 * Notifications on the sandbox, which removes every earlier notification of the application
 * with the same TAG (im-notify-system-add.md): one notice to the manager and the head leaves
 * both their notifications in place, and a retry of the notice does not add a second one.
 * And people lookups on a webhook without the `department` scope: only the decisions that need
 * the company structure read it (src/setup/scope-needs.ts relies on that).
 */
import assert from 'node:assert/strict';
import { startSandbox, type SandboxHandle } from '@b24r/sandbox';
import { assign, notifyPeople } from '../../src/activities/shared';
import { loadRulesText } from '../../src/config/rules';
import { activityDeps, ALWAYS_OPEN } from './support';

type Rec = Record<string, unknown>;

describe('notifications on the sandbox (tag per recipient)', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;
  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
  });
  after(async () => {
    await sb?.close();
  });

  it('both recipients of one notice keep their notification; a retry replaces each one', async () => {
    const rules = loadRulesText(ALWAYS_OPEN);
    const deps = activityDeps(sb, () => rules);
    const notices = () => (sb.portal.records('notifications') as Rec[]).filter((n) => String(n.MESSAGE).startsWith('Сделка 5'));
    const [manager, head] = [3, 2];
    assert.deepEqual(await notifyPeople(deps, { manager: true, head: true }, manager, head, 'Сделка 5 вернулась в работу', 'reactivation-deal-5-return-1'), [manager, head]);
    assert.deepEqual(notices().map((n) => Number(n.USER_ID)).sort(), [head, manager].sort(), 'the head’s notification did not remove the manager’s');

    await notifyPeople(deps, { manager: true, head: true }, manager, head, 'Сделка 5 вернулась в работу', 'reactivation-deal-5-return-1');
    assert.deepEqual(notices().map((n) => Number(n.USER_ID)).sort(), [head, manager].sort(), 'a retry replaced each one instead of adding');
  });
});

describe('people lookups on a webhook without the department scope', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;
  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false }, scopes: ['crm', 'user', 'im'] });
  });
  after(async () => {
    await sb?.close();
  });

  it('a fixed user, a pool, a notice to the head of sales: no department.get; a department head needs it', async () => {
    const rules = loadRulesText(ALWAYS_OPEN);
    const deps = activityDeps(sb, () => rules);
    assert.equal((await assign(deps, { strategy: 'user', userId: 3 }, 4)).decided, true);
    assert.equal((await assign(deps, { strategy: 'pool', users: [3, 4], pick: 'random' }, undefined)).decided, true);
    assert.deepEqual(await notifyPeople(deps, { manager: true, head: true }, 3, 2, 'Сделка 7', 'k'), [3, 2]);
    assert.deepEqual(sb.callLog.entries.filter((e) => e.method === 'department.get'), []);
    await assert.rejects(assign(deps, { strategy: 'departmentHead' }, 3), /insufficient_scope.*the scope "department"/);
  });
});
