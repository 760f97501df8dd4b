/**
 * Notification tags (api-reference/chats/notifications/im-notify-system-add.md, index.md):
 * "A unique tag for the notification within the application. When adding a notification with an
 * existing tag, other notifications will be removed. Pass with CLIENT_ID when calling via
 * webhook." The docs bind the tag to the application, not to the recipient.
 */
import assert from 'node:assert/strict';
import type { SandboxHandle } from '../src';
import { call, callApp, sandbox } from './helpers';

type Rec = Record<string, unknown>;

describe('sandbox: notification TAG and CLIENT_ID', () => {
  let sb: SandboxHandle;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(async () => {
    await sb.close();
  });
  const notes = () => sb.portal.state.notifications as Rec[];

  it('a new notification with an existing TAG removes the earlier ones of the application, whoever got them', async () => {
    const first = await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'первое', TAG: 'T1', CLIENT_ID: 'my-app' });
    assert.equal(typeof first.body.result, 'number');
    await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'другой тег', TAG: 'T2', CLIENT_ID: 'my-app' });
    const second = await call(sb, 'im.notify.system.add', { USER_ID: 2, MESSAGE: 'второе', TAG: 'T1', CLIENT_ID: 'my-app' });
    assert.equal(typeof second.body.result, 'number');
    assert.deepEqual(
      notes().map((n) => [n.USER_ID, n.MESSAGE, n.TAG]),
      [
        [3, 'другой тег', 'T2'],
        [2, 'второе', 'T1'],
      ],
    );
    // personal notifications share the rule
    await call(sb, 'im.notify.personal.add', { USER_ID: 4, MESSAGE: 'третье', TAG: 'T1', CLIENT_ID: 'my-app' });
    assert.deepEqual(notes().filter((n) => n.TAG === 'T1').map((n) => n.MESSAGE), ['третье']);
  });

  it('tags are bound to the application: another CLIENT_ID (or the OAuth application) keeps its own', async () => {
    await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'a', TAG: 'T', CLIENT_ID: 'app-a' });
    await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'b', TAG: 'T', CLIENT_ID: 'app-b' });
    await callApp(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'c', TAG: 'T' });
    assert.deepEqual(notes().map((n) => n.MESSAGE), ['a', 'b', 'c']);
  });

  it('SUB_TAG has no uniqueness check; no TAG removes nothing', async () => {
    await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'a', SUB_TAG: 'S', CLIENT_ID: 'my-app' });
    await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'b', SUB_TAG: 'S', CLIENT_ID: 'my-app' });
    await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'c' });
    await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'd' });
    assert.deepEqual(notes().map((n) => n.MESSAGE), ['a', 'b', 'c', 'd']);
  });

  it('over a webhook TAG or SUB_TAG without CLIENT_ID → 403 ACCESS_DENIED "Client ID not specified"; nothing is sent or removed', async () => {
    await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'kept', TAG: 'T', CLIENT_ID: 'my-app' });
    for (const params of [{ TAG: 'T' }, { SUB_TAG: 'S' }]) {
      const r = await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'x', ...params });
      assert.equal(r.status, 403);
      assert.deepEqual(r.body, { error: 'ACCESS_DENIED', error_description: 'Access denied! Client ID not specified' });
    }
    assert.equal((await call(sb, 'im.notify.personal.add', { USER_ID: 3, MESSAGE: 'x', TAG: 'T' })).status, 403);
    assert.deepEqual(notes().map((n) => n.MESSAGE), ['kept']);
    // The application context needs no CLIENT_ID (it is the application).
    assert.equal(typeof (await callApp(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: 'app', TAG: 'T' })).body.result, 'number');
  });
});
