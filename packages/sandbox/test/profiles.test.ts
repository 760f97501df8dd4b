/**
 * Portal profiles (profiles.ts): what each seeds, and the settings-bound behaviour the methods
 * read from the portal's settings — close-date sync, multiple-value user fields and `UF_*`, the
 * inactive webhook user and the auth answers, the portal's time zone (deals and leads).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO, PROFILE_NAMES, REAL_WORLD, utcOffsetOf, type SandboxHandle, type SandboxOptions } from '../src';
import { admin, call, callApp, sandbox } from './helpers';

const DAY = 86_400_000;

type Deal = Record<string, any>;

const dealOf = async (sb: SandboxHandle, id: number): Promise<Deal> => (await call(sb, 'crm.deal.get', { id })).body.result;
const contactsOf = async (sb: SandboxHandle, id: number) =>
  (await call(sb, 'crm.deal.contact.items.get', { id })).body.result as Array<{ CONTACT_ID: number; IS_PRIMARY: 'Y' | 'N' }>;
/** The portal date (YYYY-MM-DD) of a printed datetime: its own offset is the portal's. */
const portalDay = (iso: string) => iso.slice(0, 10);

/** A sandbox for the length of `fn`. */
async function withSandbox(opts: SandboxOptions, fn: (sb: SandboxHandle) => Promise<void>): Promise<void> {
  const sb = await sandbox(opts);
  try {
    await fn(sb);
  } finally {
    await sb.close();
  }
}

describe('sandbox: portal profiles', () => {
  it('lists demo and real-world; the default is demo with today\'s settings (Moscow, close-date sync on)', async () => {
    assert.deepEqual([...PROFILE_NAMES], ['demo', 'real-world']);
    await withSandbox({}, async (sb) => {
      assert.equal(sb.profile, 'demo');
      assert.deepEqual(sb.settings, { closeDateSync: true, timeZone: 'Europe/Moscow', utcOffsetMinutes: 180, wrongWebhookCodeError: 'INVALID_CREDENTIALS' });
      assert.match((await call(sb, 'server.time')).body.result, /\+03:00$/);
      assert.equal(sb.portal.state.deals.length, 17);
      assert.equal(sb.portal.summary().profile, 'demo');
    });
  });

  describe('on the real-world profile (one portal for the blocks that only read, or write their own records)', () => {
    let sb: SandboxHandle;
    before(async () => {
      sb = await sandbox({ profile: 'real-world' });
    });
    after(async () => {
      await sb.close();
    });
    const R = REAL_WORLD;

    describe('real-world seeds what it says', () => {

      it('settings: close-date sync off, Asia/Yekaterinburg (+05:00), a wrong webhook code answers NO_AUTH_FOUND', () => {
        assert.equal(sb.profile, 'real-world');
        assert.deepEqual(sb.settings, { closeDateSync: false, timeZone: 'Asia/Yekaterinburg', utcOffsetMinutes: 300, wrongWebhookCodeError: 'NO_AUTH_FOUND' });
      });

      it('keeps the whole demo portal (same ids) and adds deals 201–207, lead 507', async () => {
        for (const id of [...DEMO.deals.inProgress, ...DEMO.deals.won, ...Object.values(DEMO.deals.lost), DEMO.deals.forgotten]) assert.ok(await dealOf(sb, id), `demo deal ${id}`);
        assert.deepEqual(Object.values(R.deals).sort(), [201, 202, 203, 204, 205, 206, 207]);
        for (const id of Object.values(R.deals)) assert.ok(await dealOf(sb, id), `deal ${id}`);
        assert.ok((await call(sb, 'crm.lead.get', { id: R.leads.createdAtNight })).body.result);
        assert.equal((await call(sb, 'crm.lead.get', { id: DEMO.leads.junk })).body.result.STATUS_ID, 'JUNK');
      });

      it('a company with several parallel open deals, one open since before a later loss', async () => {
        const rows = (await call(sb, 'crm.deal.list', { filter: { COMPANY_ID: R.companies.promTara }, select: ['ID', 'CLOSED', 'STAGE_SEMANTIC_ID', 'DATE_CREATE', 'MOVED_TIME'] })).body.result as Deal[];
        const open = rows.filter((d) => d.CLOSED === 'N').map((d) => Number(d.ID));
        assert.deepEqual(open, [R.deals.openBeforeLoss, R.deals.openParallel]);
        const lost = rows.find((d) => Number(d.ID) === R.deals.lostWithOlderOpenDeals)!;
        assert.equal(lost.STAGE_SEMANTIC_ID, 'F');
        const older = rows.find((d) => Number(d.ID) === R.deals.openBeforeLoss)!;
        assert.ok(Date.parse(older.DATE_CREATE) < Date.parse(lost.DATE_CREATE), 'the open deal was created before the lost one');
        assert.ok(Date.parse(older.DATE_CREATE) < Date.parse(lost.MOVED_TIME), '… and before the loss');
      });

      it('deals with several contacts where the client\'s contact is secondary (CONTACT_ID names only the primary)', async () => {
        const c = R.contacts;
        for (const id of [R.deals.openParallel, R.deals.lostWithOlderOpenDeals]) {
          assert.deepEqual(await contactsOf(sb, id), [
            { CONTACT_ID: c.promTaraAccountant, SORT: 10, ROLE_ID: 0, IS_PRIMARY: 'Y' },
            { CONTACT_ID: c.promTaraBuyer, SORT: 20, ROLE_ID: 0, IS_PRIMARY: 'N' },
          ]);
        }
        for (const id of [R.deals.contactCameBackAsSecondary, R.deals.contactWonAsSecondary]) {
          const bindings = await contactsOf(sb, id);
          assert.deepEqual(bindings.map((b) => [b.CONTACT_ID, b.IS_PRIMARY]), [[c.privateBuyerSpouse, 'Y'], [c.privateBuyer, 'N']]);
          assert.equal((await dealOf(sb, id)).COMPANY_ID, '0');
        }
        // The deprecated CONTACT_ID filter of crm.deal.list sees the primary contact only.
        const byContactId = (await call(sb, 'crm.deal.list', { filter: { CONTACT_ID: c.privateBuyer }, select: ['ID'] })).body.result as Deal[];
        assert.deepEqual(byContactId.map((d) => Number(d.ID)), [R.deals.contactLost]);
      });

      it('the private buyer comes back after his loss on a deal where he is secondary', async () => {
        const lost = await dealOf(sb, R.deals.contactLost);
        const back = await dealOf(sb, R.deals.contactCameBackAsSecondary);
        assert.equal(lost.STAGE_ID, 'LOSE');
        assert.equal(back.CLOSED, 'N');
        assert.ok(Date.parse(back.DATE_CREATE) > Date.parse(lost.MOVED_TIME));
      });

      it('a won deal whose CLOSEDATE is the planned date in the future (sync off); MOVED_TIME is the win', async () => {
        const d = await dealOf(sb, R.deals.wonWithFutureCloseDate);
        const now = Date.parse((await call(sb, 'server.time')).body.result);
        assert.equal(d.STAGE_SEMANTIC_ID, 'S');
        assert.ok(Date.parse(d.CLOSEDATE) > now + 20 * DAY, `CLOSEDATE ${d.CLOSEDATE} is three weeks ahead`);
        const movedDaysAgo = (now - Date.parse(d.MOVED_TIME)) / DAY;
        assert.ok(movedDaysAgo > 2 && movedDaysAgo < 4, `won ${movedDaysAgo} days ago`);
      });

      it('multiple-value user fields on deals: a multiple date field and a multiple list field', async () => {
        const ufs = (await call(sb, 'crm.deal.userfield.list', { filter: { MULTIPLE: 'Y' } })).body.result as Array<Record<string, any>>;
        assert.deepEqual(ufs.map((u) => [u.FIELD_NAME, u.USER_TYPE_ID]), [[R.userFields.deliveryDates, 'date'], [R.userFields.segments, 'enumeration']]);
        const segments = ufs.find((u) => u.FIELD_NAME === R.userFields.segments)!;
        assert.deepEqual(segments.LIST.map((i: any) => [Number(i.ID), i.VALUE]), [[R.segments.wholesale, 'Опт'], [R.segments.retail, 'Розница'], [R.segments.horeca, 'HoReCa']]);
        const d = await dealOf(sb, R.deals.lostWithOlderOpenDeals);
        assert.deepEqual(d[R.userFields.segments], [String(R.segments.wholesale), String(R.segments.horeca)]);
        assert.equal(d[R.userFields.deliveryDates].length, 2);
        assert.match(d[R.userFields.deliveryDates][0], /^\d{4}-\d{2}-\d{2}T00:00:00\+05:00$/);
        assert.deepEqual((await dealOf(sb, DEMO.deals.won[0]))[R.userFields.segments], [], 'older deals have the empty value');
      });

      it('a lead created at 00:30 portal time prints its own offset', async () => {
        const lead = (await call(sb, 'crm.lead.get', { id: R.leads.createdAtNight })).body.result;
        assert.match(lead.DATE_CREATE, /T00:30:00\+05:00$/);
      });
    });

    describe('multiple-value user fields and the UF_* mask (crm-deal-list.md "select", strict reading)', () => {
      const id = R.deals.lostWithOlderOpenDeals;

      it('select * + UF_* (and the default select) leave multiple-value user fields out; single ones come', async () => {
        for (const select of [['*', 'UF_*'], ['UF_*'], undefined]) {
          const row = (await call(sb, 'crm.deal.list', { filter: { ID: id }, ...(select ? { select } : {}) })).body.result[0];
          assert.ok(!(R.userFields.segments in row), `${JSON.stringify(select)}: no ${R.userFields.segments}`);
          assert.ok(!(R.userFields.deliveryDates in row), `${JSON.stringify(select)}: no ${R.userFields.deliveryDates}`);
          assert.ok(DEMO.userFields.deliveryAddress in row);
        }
      });

      it('naming the field returns its values as an array; crm.deal.get (no select) returns every field', async () => {
        const row = (await call(sb, 'crm.deal.list', { filter: { ID: id }, select: ['ID', '*', 'UF_*', R.userFields.segments, R.userFields.deliveryDates] })).body.result[0];
        assert.deepEqual(row[R.userFields.segments], ['1001', '1003']);
        assert.equal(row[R.userFields.deliveryDates].length, 2);
        const got = await dealOf(sb, id);
        assert.deepEqual(got[R.userFields.segments], ['1001', '1003']);
      });

      it('a multiple field filters by any of its values', async () => {
        const rows = (await call(sb, 'crm.deal.list', { filter: { [R.userFields.segments]: R.segments.wholesale }, select: ['ID'] })).body.result as Deal[];
        assert.deepEqual(rows.map((d) => Number(d.ID)), [R.deals.lostWithOlderOpenDeals, R.deals.wonWithFutureCloseDate]);
        const horeca = (await call(sb, 'crm.deal.list', { filter: { [`@${R.userFields.segments}`]: [R.segments.horeca] }, select: ['ID'] })).body.result as Deal[];
        assert.deepEqual(horeca.map((d) => Number(d.ID)), [R.deals.lostWithOlderOpenDeals]);
      });
    });

    describe('time zones (data-types.md: dates carry the server\'s offset)', () => {

      it('every date and time of deals, leads and the envelope carries +05:00', async () => {
        assert.match((await call(sb, 'server.time')).body.result, /\+05:00$/);
        const d = (await call(sb, 'crm.deal.get', { id: 101 })).body;
        for (const k of ['DATE_CREATE', 'DATE_MODIFY', 'BEGINDATE', 'CLOSEDATE', 'MOVED_TIME']) assert.match(d.result[k], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:00$/, k);
        assert.match(d.time.date_start, /\+05:00$/);
        const lead = (await call(sb, 'crm.lead.get', { id: DEMO.leads.junk })).body.result;
        for (const k of ['DATE_CREATE', 'DATE_MODIFY', 'DATE_CLOSED', 'MOVED_TIME']) assert.match(lead[k], /\+05:00$/, k);
      });

      it('dates written without an offset are portal time; with one, they are converted (deal CLOSEDATE is a date)', async () => {
        const id = (await call(sb, 'crm.deal.add', { fields: { TITLE: 'tz', CLOSEDATE: '2030-01-15' } })).body.result;
        assert.equal((await dealOf(sb, id)).CLOSEDATE, '2030-01-15T00:00:00+05:00');
        // 23:00 in Moscow is 01:00 the next day in Yekaterinburg.
        await call(sb, 'crm.deal.update', { id, fields: { CLOSEDATE: '2030-01-15T23:00:00+03:00' } });
        assert.equal((await dealOf(sb, id)).CLOSEDATE, '2030-01-16T00:00:00+05:00');
      });

      it('lead filters: a date without an offset is portal midnight; an explicit offset is honoured', async () => {
        const lead = (await call(sb, 'crm.lead.get', { id: R.leads.createdAtNight })).body.result;
        const day = portalDay(lead.DATE_CREATE);
        const ids = async (filter: Record<string, unknown>) =>
          ((await call(sb, 'crm.lead.list', { filter: { ...filter, ID: R.leads.createdAtNight }, select: ['ID'] })).body.result as Deal[]).map((l) => Number(l.ID));
        assert.deepEqual(await ids({ '>=DATE_CREATE': day }), [R.leads.createdAtNight], 'portal midnight is before 00:30');
        assert.deepEqual(await ids({ '>=DATE_CREATE': `${day}T00:00:00+03:00` }), [], 'Moscow midnight is 02:00 portal time');
        assert.deepEqual(await ids({ '<DATE_CREATE': `${day}T00:00:00Z` }), [R.leads.createdAtNight], 'in UTC it is still the evening before');
        sb.portal.advanceClock(60_000);
        sb.portal.setLeadStatus(R.leads.createdAtNight, 'JUNK');
        const closed = (await call(sb, 'crm.lead.get', { id: R.leads.createdAtNight })).body.result;
        assert.match(closed.DATE_CLOSED, /\+05:00$/);
        assert.equal(closed.MOVED_TIME, closed.DATE_CLOSED);
      });

      it('settings.timeZone picks the offset of an IANA zone; utcOffsetOf reads fixed offsets too', async () => {
        assert.equal(utcOffsetOf('Asia/Yekaterinburg', Date.now()), 300);
        assert.equal(utcOffsetOf('Europe/Moscow', Date.now()), 180);
        assert.equal(utcOffsetOf('UTC-03:30', Date.now()), -210);
        assert.equal(utcOffsetOf('UTC', Date.now()), 0);
        assert.throws(() => utcOffsetOf('Mars/Olympus', Date.now()), /unknown time zone/);
        await withSandbox({ settings: { timeZone: 'Asia/Vladivostok' } }, async (vl) => {
          assert.equal(vl.settings.utcOffsetMinutes, 600);
          assert.match((await call(vl, 'server.time')).body.result, /\+10:00$/);
        });
      });
    });
  });

  describe('close-date sync (PortalSettings.closeDateSync)', () => {
    let sb: SandboxHandle;
    before(async () => {
      sb = await sandbox();
    });
    after(async () => {
      await sb.close();
    });

    const today = async () => portalDay((await call(sb, 'server.time')).body.result);

    it('on (demo): winning or losing a deal rewrites CLOSEDATE to that day', async () => {
      for (const stage of ['WON', 'LOSE']) {
        const id = (await call(sb, 'crm.deal.add', { fields: { TITLE: `sync on ${stage}`, CLOSEDATE: '2030-01-01' } })).body.result;
        assert.equal(portalDay((await dealOf(sb, id)).CLOSEDATE), '2030-01-01');
        await call(sb, 'crm.deal.update', { id, fields: { STAGE_ID: stage } });
        assert.equal(portalDay((await dealOf(sb, id)).CLOSEDATE), await today());
      }
    });

    it('off: CLOSEDATE keeps its value on a win or a loss; a new deal still gets creation + 7 days', async () => {
      assert.equal((await admin(sb, 'PATCH', 'settings', { closeDateSync: false })).body.closeDateSync, false);
      try {
        for (const stage of ['WON', 'UC_PAYMENT']) {
          const id = (await call(sb, 'crm.deal.add', { fields: { TITLE: `sync off ${stage}`, CLOSEDATE: '2030-01-01' } })).body.result;
          await call(sb, 'crm.deal.update', { id, fields: { STAGE_ID: stage } });
          const d = await dealOf(sb, id);
          assert.equal(d.CLOSED, 'Y');
          assert.equal(portalDay(d.CLOSEDATE), '2030-01-01');
        }
        const plain = (await call(sb, 'crm.deal.add', { fields: { TITLE: 'без даты' } })).body.result;
        sb.portal.winDeal(plain);
        const d = await dealOf(sb, plain);
        assert.equal(Date.parse(d.CLOSEDATE) - Date.parse(d.BEGINDATE), 7 * DAY, 'creation day + 7 (crm-deal-add.md)');
      } finally {
        sb.portal.configure({ closeDateSync: true });
      }
    });

    it('MOVED_TIME / MOVED_BY_ID follow every stage move, not other changes; they are read-only', async () => {
      const id = (await call(sb, 'crm.deal.add', { fields: { TITLE: 'moves' } })).body.result;
      const t0 = (await dealOf(sb, id)).MOVED_TIME;
      sb.portal.advanceClock(3_600_000);
      await call(sb, 'crm.deal.update', { id, fields: { COMMENTS: 'no move', MOVED_TIME: '2001-01-01T00:00:00+03:00', MOVED_BY_ID: 7 } });
      const same = await dealOf(sb, id);
      assert.equal(same.MOVED_TIME, t0);
      assert.equal(same.MOVED_BY_ID, '1');
      for (const stage of ['PREPARATION', 'EXECUTING', 'WON']) {
        sb.portal.advanceClock(3_600_000);
        const before = (await dealOf(sb, id)).MOVED_TIME;
        sb.portal.moveDeal(id, stage, 3);
        const after = await dealOf(sb, id);
        assert.ok(Date.parse(after.MOVED_TIME) > Date.parse(before), `${stage}: MOVED_TIME moved`);
        assert.ok(Math.abs(Date.parse(after.MOVED_TIME) - sb.portal.now()) < 2000, `${stage}: MOVED_TIME is the moment of the move`);
        assert.equal(after.MOVED_BY_ID, '3');
      }
    });
  });

  describe('the webhook user made inactive, and wrong webhook codes (system-errors.md)', () => {
    it('inactive webhook user: every REST call answers 403 INVALID_CREDENTIALS (webhook and application) until reactivated', async () => {
      await withSandbox({ profile: 'real-world' }, async (sb) => {
        assert.equal((await call(sb, 'crm.deal.get', { id: 101 })).status, 200);
        const r = await admin(sb, 'PATCH', `users/${sb.portal.webhookUserId}`, { active: false });
        assert.deepEqual(r.body, { id: 1, active: false });
        for (const answer of [await call(sb, 'crm.deal.get', { id: 101 }), await call(sb, 'batch', { cmd: { a: 'server.time' } }), await callApp(sb, 'event.get')]) {
          assert.equal(answer.status, 403);
          assert.deepEqual(answer.body, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
        }
        assert.equal(sb.portal.state.users.find((u) => u.ID === 1)!.ACTIVE, false);
        sb.portal.setUserActive(1, true);
        assert.equal((await call(sb, 'crm.deal.get', { id: 101 })).status, 200);
      });
    });

    it('another user made inactive does not touch the webhook', async () => {
      await withSandbox({}, async (sb) => {
        sb.portal.setUserActive(3, false);
        assert.equal((await call(sb, 'crm.deal.get', { id: 101 })).status, 200);
        const user = (await call(sb, 'user.get', { ID: 3 })).body.result[0];
        assert.equal(user.ACTIVE, false);
      });
    });

    it('a wrong webhook code: 401 INVALID_CREDENTIALS on demo, 401 NO_AUTH_FOUND on real-world (both documented)', async () => {
      for (const [profile, code, text] of [['demo', 'INVALID_CREDENTIALS', 'Invalid request credentials'], ['real-world', 'NO_AUTH_FOUND', 'Wrong authorization data']] as const) {
        await withSandbox({ profile }, async (sb) => {
          const wrong = sb.webhookUrl.replace(/\/rest\/1\/[^/]+\//, '/rest/1/nottherightcode1/');
          const r = await call(sb, 'crm.deal.get', { id: 101 }, wrong);
          assert.equal(r.status, 401, profile);
          assert.deepEqual(r.body, { error: code, error_description: text });
          const otherUser = await call(sb, 'crm.deal.get', { id: 101 }, sb.webhookUrl.replace('/rest/1/', '/rest/2/'));
          assert.equal(otherUser.body.error, code);
        });
      }
    });
  });

  describe('state files and reset keep the profile', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'b24-profiles-'));
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('a saved real-world portal comes back with its profile and settings; another profile for the same file is refused', async () => {
      const file = path.join(dir, 'rw.json');
      const a = await sandbox({ profile: 'real-world', stateFile: file });
      a.portal.configure({ closeDateSync: true });
      await a.save();
      await a.close();
      await withSandbox({ stateFile: file }, async (b) => {
        assert.equal(b.profile, 'real-world');
        assert.equal(b.settings.closeDateSync, true, 'the settings are the saved portal\'s');
        assert.equal(b.settings.utcOffsetMinutes, 300);
      });
      await assert.rejects(sandbox({ profile: 'demo', stateFile: file }), /holds a "real-world" portal, not "demo"/);
    });

    it('reset goes back to the current profile, or to the one asked for', async () => {
      await withSandbox({ profile: 'real-world' }, async (sb) => {
        sb.portal.loseDeal(REAL_WORLD.deals.openBeforeLoss);
        assert.equal((await admin(sb, 'POST', 'reset', {})).body.profile, 'real-world');
        assert.equal(sb.portal.get('deal', REAL_WORLD.deals.openBeforeLoss)!.CLOSED, 'N');
        const demo = await admin(sb, 'POST', 'reset', { profile: 'demo' });
        assert.equal(demo.body.profile, 'demo');
        assert.equal(demo.body.settings.utcOffsetMinutes, 180);
        assert.equal(sb.portal.get('deal', REAL_WORLD.deals.openBeforeLoss), undefined);
        assert.equal((await admin(sb, 'POST', 'reset', { profile: 'nope' })).status, 400);
      });
    });
  });
});
