/**
 * notifyPeople (src/activities/shared.ts): one notice to several recipients gives each recipient
 * a TAG of their own (a notification with an existing TAG removes the earlier ones, and the docs
 * bind the TAG to the application, not to the recipient), and the same notice sent again to the
 * same person carries the same TAG (so it replaces itself).
 */
import assert from 'node:assert/strict';
import type { ActivityDeps } from '../../src/activities/shared';
import { notifyPeople } from '../../src/activities/shared';
import { notificationTag } from '../../src/shared/names';

type Sent = { userId: number; message: string; kind?: string; tag?: string };

function depsRecording(sent: Sent[]): ActivityDeps {
  const crm = {
    notifyUser: async (n: Sent) => {
      sent.push(n);
      return sent.length;
    },
  };
  return { crm } as unknown as ActivityDeps;
}

describe('notifyPeople: notification tags', () => {
  it('the manager and the head of one notice get distinct tags, each built from the notice key', async () => {
    const sent: Sent[] = [];
    const recipients = await notifyPeople(depsRecording(sent), { manager: true, head: true }, 7, 2, 'Сделка вернулась в работу', 'reactivation-deal-5-return-1');
    assert.deepEqual(recipients, [7, 2]);
    assert.deepEqual(
      sent.map((s) => [s.userId, s.tag]),
      [
        [7, 'reactivation-deal-5-return-1:u7'],
        [2, 'reactivation-deal-5-return-1:u2'],
      ],
    );
    assert.notEqual(sent[0]!.tag, sent[1]!.tag);
  });

  it('the same notice to the same person again carries the same tag (it replaces itself on a retry)', async () => {
    const sent: Sent[] = [];
    await notifyPeople(depsRecording(sent), { manager: true, head: false }, 7, null, 'x', 'k');
    await notifyPeople(depsRecording(sent), { manager: true, head: false }, 7, null, 'x', 'k');
    assert.equal(sent[0]!.tag, sent[1]!.tag);
    assert.equal(sent[0]!.tag, notificationTag('k', 7));
  });

  it('a head who is also the manager is notified once', async () => {
    const sent: Sent[] = [];
    assert.deepEqual(await notifyPeople(depsRecording(sent), { manager: true, head: true }, 2, 2, 'x', 'k'), [2]);
    assert.equal(sent.length, 1);
  });
});
