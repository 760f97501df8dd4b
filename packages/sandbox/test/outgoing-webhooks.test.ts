/**
 * What an outgoing webhook can subscribe to. events/index.md: an outgoing webhook gets "Only
 * online events available in the webhook list"; crm/deals/events/index.md: "You can subscribe
 * to the event onCrmDealMoveToCategory only through the application and the method event.bind."
 */
import assert from 'node:assert/strict';
import { APPLICATION_ONLY_EVENTS, OUTGOING_WEBHOOK_EVENTS, startSandbox, type SandboxHandle } from '../src';
import { admin, callApp, receiver, sandbox, type Receiver } from './helpers';

describe('sandbox: outgoing webhooks and ONCRMDEALMOVETOCATEGORY', () => {
  let sb: SandboxHandle;
  let rx: Receiver;
  beforeEach(async () => {
    sb = await sandbox({ applicationToken: 'app-token-123' });
    rx = await receiver();
  });
  afterEach(async () => {
    await sb.close();
    await rx.close();
  });

  it('the outgoing-webhook list leaves ONCRMDEALMOVETOCATEGORY out', () => {
    assert.deepEqual([...APPLICATION_ONLY_EVENTS], ['ONCRMDEALMOVETOCATEGORY']);
    assert.ok(!OUTGOING_WEBHOOK_EVENTS.includes('ONCRMDEALMOVETOCATEGORY'));
    for (const e of ['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMDEALDELETE', 'ONCRMLEADADD', 'ONCRMLEADUPDATE', 'ONCRMLEADDELETE']) assert.ok(OUTGOING_WEBHOOK_EVENTS.includes(e), e);
  });

  it('an outgoing webhook asking for it is refused, naming the event (in process, over /_sandbox, at start); nothing is configured', async () => {
    assert.throws(() => sb.portal.addOutgoingWebhook(rx.url, ['ONCRMDEALUPDATE', 'onCrmDealMoveToCategory']), /ONCRMDEALMOVETOCATEGORY is not available to outgoing webhooks/);
    const r = await admin(sb, 'POST', 'outgoing-webhooks', { handler: rx.url, events: ['ONCRMDEALMOVETOCATEGORY'] });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /ONCRMDEALMOVETOCATEGORY is not available to outgoing webhooks/);
    assert.deepEqual(sb.portal.state.outgoingWebhooks, []);
    assert.deepEqual(sb.portal.state.handlers, []);
    await assert.rejects(
      startSandbox({ protocol: 'http', limits: { enabled: false }, outgoingWebhooks: [{ handler: rx.url, events: ['ONCRMDEALMOVETOCATEGORY'] }] }),
      /ONCRMDEALMOVETOCATEGORY is not available to outgoing webhooks/,
    );
  });

  it('event.bind (application context) binds it and its handler receives the move; an outgoing webhook of an old state never does', async () => {
    const bound = await callApp(sb, 'event.bind', { event: 'ONCRMDEALMOVETOCATEGORY', handler: `${rx.url}?via=app` });
    assert.equal(bound.body.result, true, JSON.stringify(bound.body));
    // A binding an older sandbox let an outgoing webhook make (a state file from before the refusal).
    const hook = sb.portal.addOutgoingWebhook(`${rx.url}?via=hook`, ['ONCRMDEALUPDATE']);
    sb.portal.state.handlers.push({ ...sb.portal.state.handlers.find((h) => h.OWNER === 'webhook')!, ID: 999, EVENT_NAME: 'ONCRMDEALMOVETOCATEGORY', WEBHOOK_ID: hook.ID });
    sb.portal.emit('ONCRMDEALMOVETOCATEGORY', { FIELDS: { ID: 101, CATEGORY_ID: 1, STAGE_ID: 'C1:NEW' } }, { userId: 1 });
    await sb.portal.waitForDeliveries();
    assert.equal(rx.received.length, 1);
    assert.equal(rx.received[0]!.form.get('event'), 'ONCRMDEALMOVETOCATEGORY');
    assert.equal(rx.received[0]!.form.get('data[FIELDS][CATEGORY_ID]'), '1');
    assert.ok(rx.received[0]!.form.get('auth[access_token]'), 'delivered to the application handler');
  });
});
