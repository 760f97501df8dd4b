/**
 * Outbound events (api-reference/events/index.md): form-urlencoded POSTs with event,
 * event_handler_id, data[FIELDS][ID], ts and auth[...] incl. application_token; asynchronous;
 * never retried. event.* need application authorization (event-bind.md). Offline events
 * (offline-events.md, event-offline-get.md).
 */
import assert from 'node:assert/strict';
import { DEMO, type SandboxHandle } from '../src';
import { admin, call, callApp, deadUrl, receiver, sandbox, type Receiver } from './helpers';

describe('sandbox: outbound events', () => {
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

  it('an outgoing webhook gets application/x-www-form-urlencoded POSTs with the documented keys (events/index.md "What Comes to the Handler")', async () => {
    const reg = await admin(sb, 'POST', 'outgoing-webhooks', { handler: rx.url, events: ['ONCRMDEALUPDATE', 'ONCRMDEALADD'] });
    assert.equal(reg.status, 201);
    assert.equal(reg.body.applicationToken, 'app-token-123');
    assert.equal((await call(sb, 'crm.deal.update', { id: 101, fields: { TITLE: 'Новое название' } })).status, 200);
    await sb.portal.waitForDeliveries();
    assert.equal(rx.received.length, 1);
    const [d] = rx.received;
    assert.match(d.contentType, /^application\/x-www-form-urlencoded/);
    const f = d.form;
    assert.equal(f.get('event'), 'ONCRMDEALUPDATE');
    assert.match(f.get('event_handler_id') ?? '', /^\d+$/);
    assert.equal(f.get('data[FIELDS][ID]'), '101');
    assert.match(f.get('ts') ?? '', /^\d{10}$/);
    assert.equal(f.get('auth[application_token]'), 'app-token-123');
    assert.equal(f.get('auth[domain]'), sb.baseUrl.replace(/^https?:\/\//, ''));
    assert.equal(f.get('auth[client_endpoint]'), `${sb.baseUrl}/rest/`);
    assert.equal(f.get('auth[server_endpoint]'), 'https://oauth.bitrix.info/rest/');
    assert.match(f.get('auth[member_id]') ?? '', /^[0-9a-f]{32}$/);
    assert.equal(f.get('auth[access_token]'), null, 'no OAuth tokens go to an outgoing webhook');
  });

  it('admin actions (lose, win, move) fire the same events as REST; leads and deletes too', async () => {
    sb.portal.addOutgoingWebhook(rx.url, ['ONCRMDEALUPDATE', 'ONCRMDEALDELETE', 'ONCRMLEADUPDATE', 'ONCRMLEADADD']);
    sb.portal.loseDeal(101, 'Не устроили условия оплаты');
    sb.portal.winDeal(102);
    sb.portal.setLeadStatus(DEMO.leads.new, 'JUNK');
    const leadId = sb.portal.createLead({ TITLE: 'Новый лид' });
    await call(sb, 'crm.deal.delete', { id: 103 });
    await sb.portal.waitForDeliveries();
    const seen = rx.received.map((r) => `${r.form.get('event')}:${r.form.get('data[FIELDS][ID]')}`);
    assert.deepEqual(seen.sort(), ['ONCRMDEALDELETE:103', 'ONCRMDEALUPDATE:101', 'ONCRMDEALUPDATE:102', `ONCRMLEADADD:${leadId}`, `ONCRMLEADUPDATE:${DEMO.leads.new}`].sort());
    assert.equal(sb.portal.get('deal', 101)!.STAGE_ID, 'UC_PAYMENT');
  });

  it('a failed delivery is not retried: one attempt, logged, dropped (events/index.md "No retries")', async () => {
    rx.status = 500;
    const gone = await deadUrl();
    sb.portal.addOutgoingWebhook(rx.url, ['ONCRMDEALUPDATE']);
    sb.portal.addOutgoingWebhook(gone, ['ONCRMDEALUPDATE']);
    await call(sb, 'crm.deal.update', { id: 101, fields: { COMMENTS: 'x' } });
    await sb.portal.waitForDeliveries();
    await new Promise((r) => setTimeout(r, 300));
    await sb.portal.waitForDeliveries();
    assert.equal(rx.received.length, 1, 'the handler that answered 500 was called once');
    const outcomes = sb.portal.deliveries.map((d) => d.outcome);
    assert.deepEqual(outcomes, ['failed', 'failed']);
    assert.equal(sb.portal.deliveries[0].httpStatus, 500);
    const log = await admin(sb, 'GET', 'events');
    assert.equal(log.body.deliveries.length, 2);
  });

  it('event.bind through an inbound webhook → 403 WRONG_AUTH_TYPE (event-bind.md: application authorization only)', async () => {
    const a = await call(sb, 'event.bind', { event: 'ONCRMDEALUPDATE', handler: rx.url });
    assert.equal(a.status, 403);
    assert.deepEqual(a.body, { error: 'WRONG_AUTH_TYPE', error_description: 'Current authorization type is denied for this method' });
    assert.equal((await call(sb, 'event.get')).status, 403);
    assert.equal((await call(sb, 'event.offline.get')).status, 403);
  });

  it('event.bind / get / unbind in the application context; its deliveries carry the OAuth fields (event-bind.md, event-get.md, event-unbind.md)', async () => {
    assert.equal((await callApp(sb, 'event.bind', { event: 'onCrmDealUpdate', handler: rx.url })).body.result, true);
    const dup = await callApp(sb, 'event.bind', { event: 'ONCRMDEALUPDATE', handler: rx.url });
    assert.equal(dup.status, 400);
    assert.equal(dup.body.error, 'ERROR_HANDLER_ALREADY_EXIST');
    const unknown = await callApp(sb, 'event.bind', { event: 'ONSOMETHINGELSE', handler: rx.url });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, 'ERROR_EVENT_NOT_FOUND');
    const list = (await callApp(sb, 'event.get')).body.result;
    assert.deepEqual(list, [{ event: 'ONCRMDEALUPDATE', handler: rx.url, auth_type: '0', offline: 0 }]);
    await callApp(sb, 'crm.deal.update', { id: 104, fields: { TITLE: 'app' } });
    await sb.portal.waitForDeliveries();
    const f = rx.received[0].form;
    assert.equal(f.get('auth[access_token]'), sb.app.accessToken);
    assert.equal(f.get('auth[status]'), 'L');
    assert.equal(f.get('auth[application_token]'), 'app-token-123');
    assert.deepEqual((await callApp(sb, 'event.unbind', { event: 'ONCRMDEALUPDATE', handler: rx.url })).body.result, { count: 1 });
    assert.deepEqual((await callApp(sb, 'event.get')).body.result, []);
  });
});

describe('sandbox: offline events', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await sandbox();
  });
  after(async () => {
    await sb.close();
  });

  it('queues one record per object and event, read and cleared by event.offline.get (offline-events.md, event-offline-get.md)', async () => {
    assert.equal((await callApp(sb, 'event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' })).body.result, true);
    assert.equal((await callApp(sb, 'event.bind', { event: 'ONCRMLEADUPDATE', event_type: 'offline' })).body.result, true);
    assert.deepEqual((await callApp(sb, 'event.get')).body.result[0], { event: 'ONCRMDEALUPDATE', connector_id: '', offline: 1 });
    await call(sb, 'crm.deal.update', { id: 101, fields: { TITLE: 'один' } });
    await call(sb, 'crm.deal.update', { id: 101, fields: { TITLE: 'два' } });
    await call(sb, 'crm.deal.update', { id: 102, fields: { TITLE: 'три' } });
    sb.portal.setLeadStatus(DEMO.leads.inProcess, 'JUNK');
    const got = (await callApp(sb, 'event.offline.get', { filter: { EVENT_NAME: 'ONCRMDEALUPDATE' } })).body.result;
    assert.equal(got.process_id, null, 'clear=1 (default) returns no process id');
    assert.equal(got.events.length, 2, 'two deals changed: two records, not three');
    const e = got.events[0];
    assert.deepEqual(Object.keys(e), ['ID', 'TIMESTAMP_X', 'EVENT_NAME', 'EVENT_DATA', 'EVENT_ADDITIONAL', 'MESSAGE_ID']);
    assert.equal(e.EVENT_NAME, 'ONCRMDEALUPDATE');
    assert.deepEqual(e.EVENT_DATA, { FIELDS: { ID: '101' } });
    assert.match(e.TIMESTAMP_X, /\+03:00$/);
    assert.match(e.MESSAGE_ID, /^[0-9a-f]{32}$/);
    const again = (await callApp(sb, 'event.offline.get', { filter: { EVENT_NAME: 'ONCRMDEALUPDATE' } })).body.result;
    assert.equal(again.events.length, 0, 'cleared');
    const leads = (await callApp(sb, 'event.offline.get', {})).body.result.events;
    assert.equal(leads.length, 1);
    assert.equal(leads[0].EVENT_NAME, 'ONCRMLEADUPDATE');
  });

  it('clear=0 marks records with a process_id; event.offline.clear removes them; limit bounds a read', async () => {
    for (const id of [101, 102, 104]) await call(sb, 'crm.deal.update', { id, fields: { COMMENTS: 'x' } });
    const first = (await callApp(sb, 'event.offline.get', { clear: 0, limit: 2 })).body.result;
    assert.match(first.process_id, /^[0-9a-f]+$/);
    assert.equal(first.events.length, 2);
    const same = (await callApp(sb, 'event.offline.get', { clear: 0, process_id: first.process_id })).body.result;
    assert.deepEqual(same.events.map((x: { ID: string }) => x.ID), first.events.map((x: { ID: string }) => x.ID), 'the same process re-reads its records');
    const other = (await callApp(sb, 'event.offline.get', { clear: 0 })).body.result;
    assert.equal(other.events.length, 1, 'another reader gets the rest');
    assert.equal((await callApp(sb, 'event.offline.clear', { process_id: first.process_id })).body.result, true);
    assert.equal((await callApp(sb, 'event.offline.list', {})).body.result.length, 1);
    const bad = await callApp(sb, 'event.offline.get', { limit: 0 });
    assert.equal(bad.status, 400);
  });
});
