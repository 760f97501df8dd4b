/**
 * Fidelity: the official SDK's own calls, and our client, against the Bitrix24 sandbox over
 * https with its self-signed certificate. The sandbox's call log counts HTTP requests.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { inspect } from 'node:util';
import { ApiVersion, B24Hook } from '@bitrix24/b24jssdk';
import {
  Bitrix24Error,
  createBitrix24Client,
  createCrmApi,
  createRateLimiter,
  type Bitrix24Client,
  type Bitrix24ClientOptions,
  type CrmApi,
} from '../../src/bitrix24';
import { startSandbox, type SandboxHandle } from '@b24r/sandbox';
import { createMemoryLogger } from '../../src/shared/log';

const ORIGINATOR = 'fidelity-test';
const ROWS = 120;

/** Everything our clients logged and threw, to check for secrets at the end. */
const logger = createMemoryLogger('debug');
const seenErrors: unknown[] = [];
const secretsToHide: string[] = [];

async function rejection(p: Promise<unknown>): Promise<Bitrix24Error> {
  try {
    await p;
  } catch (e) {
    seenErrors.push(e);
    assert.ok(e instanceof Bitrix24Error, `expected Bitrix24Error, got ${inspect(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

function ourClient(sb: SandboxHandle, extra: Partial<Bitrix24ClientOptions> = {}): Bitrix24Client {
  secretsToHide.push(secretOf(sb.webhookUrl));
  return createBitrix24Client({ webhookUrl: sb.webhookUrl, caCertPem: sb.caCertPem, preset: 'off', logger, ...extra });
}

function secretOf(webhookUrl: string): string {
  return new URL(webhookUrl).pathname.split('/').filter(Boolean)[2]!;
}

/** What the SDK itself logged (its LoggerInterface hook), checked for secrets too. */
const sdkLogLines: string[] = [];
const sdkLogger = Object.fromEntries(
  ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'].map((level) => [
    level,
    async (message: string, context?: Record<string, unknown>) => {
      sdkLogLines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
    },
  ]),
) as unknown as Parameters<B24Hook['setLogger']>[0];
(sdkLogger as unknown as { log: unknown }).log = async (level: string, message: string, context?: Record<string, unknown>) => {
  sdkLogLines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
};

/** The SDK as its users write it; only the sandbox CA (and a log sink) are configured. */
function sdkHook(sb: SandboxHandle): B24Hook {
  const b24 = B24Hook.fromWebhookUrl(sb.webhookUrl);
  b24.getHttpClient(ApiVersion.v2).ajaxClient.defaults.httpsAgent = new https.Agent({ ca: sb.caCertPem });
  b24.setLogger(sdkLogger);
  return b24;
}

const httpCount = (sb: SandboxHandle): number => sb.callLog.httpRequests().length;

describe('bitrix24 client against the sandbox (https, self-signed CA)', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;
  let client: Bitrix24Client;
  let crm: CrmApi;
  let dealIds: number[] = [];

  before(async () => {
    sb = await startSandbox({ limits: { enabled: false } });
    client = ourClient(sb);
    crm = createCrmApi(client);
    // 120 deals of our own (3 batch requests), so paging has three pages whatever the seed holds.
    const before = httpCount(sb);
    const created = await client.batch<number>(
      Array.from({ length: ROWS }, (_, i) => ({
        method: 'crm.deal.add',
        params: { fields: { TITLE: `Fidelity ${i + 1}`, ORIGINATOR_ID: ORIGINATOR, ORIGIN_ID: `row-${i + 1}`, OPPORTUNITY: 100 + i } },
      })),
    );
    assert.deepEqual(created.errors, {});
    assert.equal(httpCount(sb) - before, 3, '120 adds = 3 batch requests');
    dealIds = Object.values(created.results).map(Number);
    assert.equal(dealIds.length, ROWS);
  });

  after(async () => {
    await sb?.close();
  });

  describe('the official SDK (B24Hook), unchanged', () => {
    let b24: B24Hook;
    before(() => {
      b24 = sdkHook(sb);
    });

    it('a plain call: actions.v2.call.make returns the documented result and time', async () => {
      const r = await b24.actions.v2.call.make<Record<string, unknown>>({ method: 'crm.deal.get', params: { id: dealIds[0] } });
      assert.equal(r.isSuccess, true);
      assert.equal(r.getStatus(), 200);
      const data = r.getData()!;
      assert.equal(data.result.ID, String(dealIds[0]));
      assert.equal(data.result.TITLE, 'Fidelity 1');
      assert.equal(data.result.OPPORTUNITY, '100.00', 'money comes as a string');
      assert.equal(typeof data.time.operating_reset_at, 'number');
      const me = await b24.actions.v2.call.make<Record<string, unknown>>({ method: 'user.current' });
      assert.equal(me.getData()!.result.ID, '1');
    });

    it('a batch: actions.v2.batch.make answers per command in ONE request', async () => {
      const before = httpCount(sb);
      const r = await b24.actions.v2.batch.make({
        calls: {
          deal: { method: 'crm.deal.get', params: { id: dealIds[1] } },
          stages: { method: 'crm.status.list', params: { filter: { ENTITY_ID: 'DEAL_STAGE' } } },
        },
        options: { isHaltOnError: true },
      });
      assert.equal(r.isSuccess, true, r.getErrorMessages().join('; '));
      const data = r.getData() as { deal: { ID: string }; stages: { STATUS_ID: string }[] };
      assert.equal(data.deal.ID, String(dealIds[1]));
      assert.ok(data.stages.some((s) => s.STATUS_ID === 'NEW'));
      assert.equal(httpCount(sb) - before, 1);
    });

    it('a paged list: callList (>ID, start -1), fetchList pages, and the next/getNext loop', async () => {
      const filter = { '=ORIGINATOR_ID': ORIGINATOR };
      let before = httpCount(sb);
      const all = await b24.actions.v2.callList.make<{ ID: string }>({ method: 'crm.deal.list', params: { filter, select: ['ID', 'TITLE'] }, idKey: 'ID' });
      assert.equal(all.isSuccess, true);
      assert.deepEqual(all.getData()!.map((d) => Number(d.ID)), dealIds);
      assert.equal(httpCount(sb) - before, 3);

      const pages: number[] = [];
      for await (const page of b24.actions.v2.fetchList.make<{ ID: string }>({ method: 'crm.deal.list', params: { filter, select: ['ID'] }, idKey: 'ID' })) {
        pages.push(page.length);
      }
      assert.deepEqual(pages, [50, 50, 20]);

      before = httpCount(sb);
      let page = await b24.actions.v2.call.make<{ ID: string }[]>({ method: 'crm.deal.list', params: { filter, select: ['ID'], order: { ID: 'ASC' }, start: 0 } });
      assert.equal(page.getTotal(), ROWS);
      const ids = [...page.getData()!.result];
      while (page.isMore()) {
        const next = await page.getNext(b24.getHttpClient(ApiVersion.v2));
        if (next === false) break;
        page = next;
        ids.push(...page.getData()!.result);
      }
      assert.deepEqual(ids.map((d) => Number(d.ID)), dealIds);
      assert.equal(httpCount(sb) - before, 3);
    });
    it('the 1.x-style calls still in 2.2.0 (callMethod, callBatch, callListMethod) work too', async () => {
      const one = await b24.callMethod('crm.deal.get', { id: dealIds[2] });
      assert.equal((one.getData()!.result as { ID: string }).ID, String(dealIds[2]));
      const batch = await b24.callBatch({ a: { method: 'crm.deal.get', params: { id: dealIds[3] } }, me: { method: 'user.current' } });
      assert.equal(batch.isSuccess, true);
      const list = await b24.callListMethod('crm.deal.list', { filter: { '=ORIGINATOR_ID': ORIGINATOR }, select: ['ID'] });
      assert.equal((list.getData() as unknown[]).length, ROWS);
    });
  });

  describe('our client', () => {
    it('callEnvelope: result, total, next and time of a list page', async () => {
      const env = await client.callEnvelope<unknown[]>('crm.deal.list', { filter: { '=ORIGINATOR_ID': ORIGINATOR }, select: ['ID'], order: { ID: 'ASC' } });
      assert.equal(env.result.length, 50);
      assert.equal(env.total, ROWS);
      assert.equal(env.next, 50);
      assert.equal(typeof env.time?.operating_reset_at, 'number');
    });

    it('listAll pages by next (3 requests) and by >ID with start -1 (3 requests)', async () => {
      const filter = { '=ORIGINATOR_ID': ORIGINATOR };
      let before = httpCount(sb);
      const byNext = await crm.listDeals(filter, ['ID', 'TITLE', 'OPPORTUNITY'], { ID: 'ASC' });
      assert.deepEqual(byNext.map((d) => d.id), dealIds);
      assert.equal(byNext[119]!.opportunity, 219);
      assert.equal(httpCount(sb) - before, 3);

      before = httpCount(sb);
      const byId = await crm.listDeals(filter, ['ID'], undefined, { fastById: true });
      assert.deepEqual(byId.map((d) => d.id), dealIds);
      assert.equal(httpCount(sb) - before, 3);
      const fast = sb.callLog.httpRequests().slice(-3);
      assert.deepEqual(fast.map((e) => Number(e.params.start)), [-1, -1, -1]);
    });

    it('batch of 120 reads = 3 HTTP requests, results by key', async () => {
      const before = httpCount(sb);
      const out = await client.batch<{ ID: string }>(dealIds.map((id) => ({ method: 'crm.deal.get', params: { id } })));
      assert.equal(httpCount(sb) - before, 3);
      assert.equal(out.requests, 3);
      assert.equal(out.results['119']!.ID, String(dealIds[119]));
    });

    it('getDealContext = ONE HTTP request (deal, product rows, contacts, responsible)', async () => {
      const seeded = (await crm.listDeals({}, ['ID', 'ASSIGNED_BY_ID'], { ID: 'ASC' }, { max: 1 }))[0]!;
      const before = httpCount(sb);
      const ctx = await crm.getDealContext(seeded.id);
      assert.equal(httpCount(sb) - before, 1);
      const last = sb.callLog.entries.slice(-7);
      assert.deepEqual(last.map((e) => [e.method, !!e.viaBatch]), [
        ['batch', false],
        ['crm.deal.get', true],
        ['crm.deal.productrows.get', true],
        ['crm.deal.contact.items.get', true],
        ['user.get', true],
        ['crm.company.list', true],
        ['crm.contact.list', true],
      ]);
      const company = ctx?.deal.companyId ? await crm.getCompany(ctx.deal.companyId) : null;
      assert.ok(company, 'the first seeded deal has a company');
      assert.equal(ctx?.clientName, company.title, 'the company title, through the $result reference in a filter');
      assert.equal(ctx?.deal.id, seeded.id);
      assert.equal(ctx?.assignedUser?.id, ctx?.deal.assignedById);
      assert.ok(Array.isArray(ctx?.productRows) && Array.isArray(ctx?.contacts));
    });

    it('getUserContext = ONE HTTP request (user + department with its head)', async () => {
      const before = httpCount(sb);
      const u = await crm.getUserContext(1);
      assert.equal(httpCount(sb) - before, 1);
      assert.equal(u?.user.id, 1);
      assert.equal(u?.department?.id, u?.user.departmentIds[0]);
    });

    it('every typed helper parses the portal answer and costs what its doc says', async () => {
      const cost = async <T>(label: string, expected: number, run: () => Promise<T>): Promise<T> => {
        const before = httpCount(sb);
        const out = await run();
        assert.equal(httpCount(sb) - before, expected, `${label} costs ${expected} request(s)`);
        return out;
      };
      const dealId = dealIds[0]!;
      const deal = (await cost('getDeal', 1, () => crm.getDeal(dealId)))!;
      assert.equal(deal.title, 'Fidelity 1');
      await cost('updateDeal', 1, () => crm.updateDeal(dealId, { COMMENTS: 'touched' }));
      assert.equal((await crm.getDeal(dealId))?.comments, 'touched');
      const newId = await cost('addDeal', 1, () => crm.addDeal({ TITLE: 'Copy', ORIGINATOR_ID: 'b24-reactivation', ORIGIN_ID: 'copy-1' }));
      assert.equal((await cost('findDealByOrigin', 1, () => crm.findDealByOrigin('b24-reactivation', 'copy-1')))?.id, newId);

      const products = await cost('listProducts', 1, () => crm.listProducts());
      assert.ok(products.length > 0 && typeof products[0]!.price === 'number');
      assert.equal((await cost('getProduct', 1, () => crm.getProduct(products[0]!.id)))?.id, products[0]!.id);
      assert.equal(await crm.getProduct(987654), null);
      assert.ok((await cost('listProductSections', 1, () => crm.listProductSections())).length > 0);
      await cost('setDealProductRows', 1, () => crm.setDealProductRows(newId, [{ productId: products[0]!.id, price: 10, quantity: 3 }]));
      const rows = await cost('getDealProductRows', 1, () => crm.getDealProductRows(newId));
      assert.deepEqual(rows.map((r) => [r.productId, r.price, r.quantity]), [[products[0]!.id, 10, 3]]);

      const seededDeal = (await crm.listDeals({}, ['ID', 'CONTACT_ID', 'COMPANY_ID'], { ID: 'ASC' }, { max: 1 }))[0]!;
      const items = await cost('getDealContactItems', 1, () => crm.getDealContactItems(seededDeal.id));
      await cost('setDealContactItems', 1, () => crm.setDealContactItems(newId, items));
      assert.deepEqual((await crm.getDealContactItems(newId)).map((i) => i.contactId), items.map((i) => i.contactId));
      assert.ok(seededDeal.companyId && items[0], 'the demo seed has a deal with a company and a contact');
      assert.equal((await cost('getCompany', 1, () => crm.getCompany(seededDeal.companyId!)))?.id, seededDeal.companyId);
      assert.equal((await cost('getContact', 1, () => crm.getContact(items[0]!.contactId)))?.id, items[0]!.contactId);
      assert.equal(await crm.getCompany(987654), null);
      assert.equal(await crm.getContact(987654), null);

      const leads = await cost('listLeads', 1, () => crm.listLeads({}, undefined, { ID: 'ASC' }));
      assert.ok(leads.length > 0);
      assert.equal((await cost('getLead', 1, () => crm.getLead(leads[0]!.id)))?.id, leads[0]!.id);
      await cost('updateLead', 1, () => crm.updateLead(leads[0]!.id, { COMMENTS: 'touched' }));
      assert.equal(await crm.getLead(987654), null);

      const categories = await cost('listCategories', 1, () => crm.listCategories(2));
      assert.ok(categories.some((c) => c.id === 0 && c.isDefault));
      const cat = await cost('addCategory', 1, () => crm.addCategory(2, { name: 'Fidelity pipeline' }));
      assert.ok(cat.id > 0);
      const stages = await cost('listStatuses', 1, () => crm.listStatuses('DEAL_STAGE'));
      assert.ok(stages.some((st) => st.semantics === 'success') && stages.some((st) => st.semantics === 'failure'));
      const statusId = await cost('addStatus', 1, () => crm.addStatus({ entityId: `DEAL_STAGE_${cat.id}`, statusId: 'FORGOTTEN', name: 'Forgotten client', semantics: 'F' }));
      assert.ok(statusId > 0);
      assert.ok((await crm.listStatuses(`DEAL_STAGE_${cat.id}`)).some((st) => st.statusId === `C${cat.id}:FORGOTTEN` && st.semantics === 'failure'));

      const fieldId = await cost('addDealUserField', 1, () => crm.addDealUserField({ fieldName: 'REACT_SOURCE', userTypeId: 'integer', label: 'Source deal' }));
      assert.ok(fieldId > 0);
      assert.ok((await cost('listDealUserFields', 1, () => crm.listDealUserFields())).some((f) => f.fieldName === 'UF_CRM_REACT_SOURCE'));

      const users = await cost('getUser', 1, () => crm.getUser([1, 2, 3]));
      assert.deepEqual(users.map((u) => u.id).sort(), [1, 2, 3]);
      assert.ok((await cost('listUsers', 1, () => crm.listUsers({ ACTIVE: true }))).every((u) => u.active));
      const departments = await cost('getDepartments', 1, () => crm.getDepartments());
      assert.ok(departments.some((d) => d.headId !== null));

      assert.ok((await cost('addTodo', 1, () => crm.addTodo({ ownerTypeId: 2, ownerId: newId, title: 'Call the client', deadline: new Date(Date.now() + 86_400_000).toISOString(), responsibleId: 1 }))) > 0);
      assert.ok((await cost('addTask', 1, () => crm.addTask({ title: 'Call the client', responsibleId: 1, crm: [`D_${newId}`] }))) > 0);
      await cost('notifyUser (system)', 1, () => crm.notifyUser({ userId: 1, message: 'Deal reactivated', kind: 'system' }));
      await cost('notifyUser (personal)', 1, () => crm.notifyUser({ userId: 1, message: 'Deal reactivated', kind: 'personal' }));
      assert.ok((await cost('addTimelineComment', 1, () => crm.addTimelineComment({ entity: 'deal', entityId: newId, comment: 'Reactivated from deal 1' }))) > 0);
      const templates = await client.call<{ ID: string; ENTITY: string }[]>('bizproc.workflow.template.list', { select: ['ID', 'ENTITY'] });
      const dealTemplate = templates.find((t) => t.ENTITY === 'CCrmDocumentDeal');
      assert.ok(dealTemplate, 'the demo seed has a deal business process template');
      const wf = await cost('startBizproc', 1, () => crm.startBizproc(Number(dealTemplate.ID), { entity: 'deal', id: newId }));
      assert.ok(wf.length > 0);
    });

    it('event.* need an application (OAuth) context: through the webhook they are final WRONG_AUTH_TYPE', async () => {
      const e = await rejection(crm.eventGet());
      assert.equal(e.kind, 'final');
      assert.equal(e.code, 'WRONG_AUTH_TYPE');
    });

    it('not found: getDeal → null; the raw call → kind not_found, HTTP 400 "Not found"', async () => {
      assert.equal(await crm.getDeal(987654), null);
      assert.equal(await crm.getDealContext(987654), null);
      const e = await rejection(client.call('crm.deal.get', { id: 987654 }));
      assert.equal(e.kind, 'not_found');
      assert.equal(e.httpStatus, 400);
      assert.equal(e.description, 'Not found');
    });

    it('wrong secret → final INVALID_CREDENTIALS (401), one request, no secret in it', async () => {
      const wrong = sb.webhookUrl.replace(/\/rest\/1\/[^/]+\//, '/rest/1/wrongSecretValue42/');
      secretsToHide.push('wrongSecretValue42');
      const bad = createBitrix24Client({ webhookUrl: wrong, caCertPem: sb.caCertPem, preset: 'off', logger });
      const before = httpCount(sb);
      const e = await rejection(bad.call('crm.deal.get', { id: dealIds[0] }));
      assert.equal(e.kind, 'final');
      assert.equal(e.code, 'INVALID_CREDENTIALS');
      assert.equal(e.httpStatus, 401);
      assert.equal(httpCount(sb) - before, 1);
    });

    it('an unknown method → final ERROR_METHOD_NOT_FOUND (404)', async () => {
      const e = await rejection(client.call('crm.deal.nosuchthing'));
      assert.equal(e.kind, 'final');
      assert.equal(e.code, 'ERROR_METHOD_NOT_FOUND');
      assert.equal(e.httpStatus, 404);
    });

    it('validation error of a crm.* method → final, the portal text kept', async () => {
      const e = await rejection(client.call('crm.deal.update', { id: dealIds[0], fields: 'not-an-object' }));
      assert.equal(e.kind, 'final');
      assert.equal(e.httpStatus, 400);
      assert.ok(e.description.length > 0);
    });

    it('outage (503 HTML from the front server) → retryable after a few read attempts', async () => {
      sb.faults.outage(60, 503);
      try {
        const before = httpCount(sb);
        const e = await rejection(client.call('crm.deal.get', { id: dealIds[0] }));
        assert.equal(e.kind, 'retryable');
        assert.equal(e.httpStatus, 503);
        assert.equal(httpCount(sb) - before, 3, 'a read is tried 3 times');
        // a write is not re-sent in-process
        const beforeWrite = httpCount(sb);
        const w = await rejection(client.call('crm.deal.update', { id: dealIds[0], fields: { TITLE: 'x' } }));
        assert.equal(w.kind, 'retryable');
        assert.equal(httpCount(sb) - beforeWrite, 1);
      } finally {
        sb.faults.reset();
      }
      assert.equal((await crm.getDeal(dealIds[0]!))?.id, dealIds[0]);
    });

    it('outage with 500 INTERNAL_SERVER_ERROR → retryable', async () => {
      sb.faults.outage(60, 500);
      try {
        const e = await rejection(client.call('crm.deal.get', { id: dealIds[0] }));
        assert.equal(e.kind, 'retryable');
        assert.equal(e.code, 'INTERNAL_SERVER_ERROR');
      } finally {
        sb.faults.reset();
      }
    });

    it('a timeout → retryable REQUEST_TIMEOUT (a read is tried 3 times)', async () => {
      const slow = ourClient(sb, { timeoutMs: 300 });
      sb.faults.set({ latencyMs: 1500 });
      try {
        const before = sb.callLog.calls('crm.deal.get').length;
        const e = await rejection(slow.call('crm.deal.get', { id: dealIds[0] }));
        assert.equal(e.kind, 'retryable');
        assert.equal(e.code, 'REQUEST_TIMEOUT');
        assert.equal(e.httpStatus, 0);
        assert.equal(slow.requestCount, 3);
        // The sandbox logs a call when it answers: wait (bounded) for the three slow ones.
        const deadline = Date.now() + 15_000;
        while (sb.callLog.calls('crm.deal.get').length - before < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.equal(sb.callLog.calls('crm.deal.get').length - before, 3);
      } finally {
        sb.faults.reset();
      }
    });

    it('lost response after a write → retryable, sent once; the idempotency key finds the committed deal', async () => {
      const key = `lost-${Date.now()}`;
      sb.faults.set({ lostResponsePct: 100, methods: ['crm.deal.add'] });
      try {
        const before = sb.callLog.calls('crm.deal.add').length;
        const e = await rejection(crm.addDeal({ TITLE: 'Reactivation', ORIGINATOR_ID: 'b24-reactivation', ORIGIN_ID: key }));
        assert.equal(e.kind, 'retryable');
        assert.equal(e.httpStatus, 0);
        assert.equal(sb.callLog.calls('crm.deal.add').length - before, 1, 'the add was not re-sent');
      } finally {
        sb.faults.reset();
      }
      // What the retried activity does: look the key up before adding again.
      const found = await crm.findDealByOrigin('b24-reactivation', key);
      assert.ok(found, 'the write was committed');
      assert.equal(found.title, 'Reactivation');
    });
  });

  describe('limits', () => {
    it('the client-side bucket keeps a burst of 16 concurrent calls under the portal limit (no 503)', async () => {
      const limited = await startSandbox({ seed: 'empty', limits: { enabled: true, burst: 10, drainPerSecond: 4 } });
      try {
        // Same numbers as the portal (its 10% headroom = 1 slot absorbs arrival jitter).
        const c = ourClient(limited, { limiter: createRateLimiter({ burst: 10, drainPerSecond: 4 }) });
        const results = await Promise.all(Array.from({ length: 16 }, () => c.call('user.current')));
        assert.equal(results.length, 16);
        const refused = limited.callLog.httpRequests().filter((e) => e.httpStatus === 503);
        assert.equal(refused.length, 0);
      } finally {
        await limited.close();
      }
    });

    it('503 QUERY_LIMIT_EXCEEDED (the portal is busier than we thought) → backed off, retried, all succeed', async () => {
      const limited = await startSandbox({ seed: 'empty', limits: { enabled: true, burst: 5, drainPerSecond: 10 } });
      try {
        const c = ourClient(limited, { limiter: createRateLimiter({ burst: 50, drainPerSecond: 10 }) });
        const results = await Promise.all(Array.from({ length: 15 }, () => c.call<{ ID: string }>('user.current')));
        assert.ok(results.every((r) => r.ID === '1'));
        const refused = limited.callLog.httpRequests().filter((e) => e.httpStatus === 503);
        assert.ok(refused.length > 0, 'the portal did refuse some');
        assert.ok(logger.lines.some((l) => l.includes('bitrix24 call retried') && l.includes('QUERY_LIMIT_EXCEEDED')));
      } finally {
        await limited.close();
      }
    });

    it('429 OPERATION_TIME_LIMIT → retryable with retryAfterMs from operating_reset_at, no in-process hammering', async () => {
      const limited = await startSandbox({ seed: 'demo', limits: { enabled: true, operatingBudgetSeconds: 0.01, operatingCostSeconds: 0.05 } });
      try {
        const c = ourClient(limited);
        const first = await c.callEnvelope('crm.deal.list', { select: ['ID'] });
        const resetAt = first.time!.operating_reset_at! * 1000;
        const before = httpCount(limited);
        const e = await rejection(c.call('crm.deal.list', { select: ['ID'] }));
        const waitExpected = resetAt - Date.now();
        assert.equal(e.code, 'OPERATION_TIME_LIMIT');
        assert.equal(e.httpStatus, 429);
        assert.equal(e.kind, 'retryable');
        assert.ok(e.retryAfterMs !== undefined);
        assert.ok(e.retryAfterMs >= waitExpected - 10_000 && e.retryAfterMs <= Math.min(waitExpected + 2_000, 600_000), `retryAfterMs ${e.retryAfterMs} vs ${waitExpected}`);
        assert.equal(httpCount(limited) - before, 1, 'the blocked method was not re-sent in-process');
        // other methods are not blocked
        assert.ok(await c.call('user.current'));
      } finally {
        await limited.close();
      }
    });
  });

  describe('auth failures are final at once, whatever the documented code and status (real-world profile)', () => {
    let rw: SandboxHandle;
    before(async () => {
      rw = await startSandbox({ profile: 'real-world', limits: { enabled: false } });
    });
    after(async () => {
      await rw?.close();
    });

    it('a wrong webhook code → final NO_AUTH_FOUND (401), one request', async () => {
      const wrong = rw.webhookUrl.replace(/\/rest\/1\/[^/]+\//, '/rest/1/wrongSecretValue43/');
      secretsToHide.push('wrongSecretValue43');
      const bad = createBitrix24Client({ webhookUrl: wrong, caCertPem: rw.caCertPem, preset: 'off', logger });
      const before = httpCount(rw);
      const e = await rejection(bad.call('crm.deal.get', { id: 101 }));
      assert.equal(e.kind, 'final');
      assert.equal(e.code, 'NO_AUTH_FOUND');
      assert.equal(e.httpStatus, 401);
      assert.equal(httpCount(rw) - before, 1);
    });

    it('the webhook user made inactive → final INVALID_CREDENTIALS (403), one request; works again once reactivated', async () => {
      const c = ourClient(rw);
      assert.ok(await c.call('crm.deal.get', { id: 101 }));
      rw.portal.setUserActive(rw.portal.webhookUserId, false);
      try {
        for (const call of [() => c.call('crm.deal.get', { id: 101 }), () => c.call('crm.deal.update', { id: 101, fields: { COMMENTS: 'x' } })]) {
          const before = httpCount(rw);
          const e = await rejection(call());
          assert.equal(e.kind, 'final');
          assert.equal(e.code, 'INVALID_CREDENTIALS');
          assert.equal(e.httpStatus, 403);
          assert.equal(httpCount(rw) - before, 1, 'not retried');
        }
      } finally {
        rw.portal.setUserActive(rw.portal.webhookUserId, true);
      }
      assert.ok(await c.call('crm.deal.get', { id: 101 }));
    });
  });

  describe('secrets', () => {
    it('no webhook secret in any error or log line of the whole run (ours and the SDK\'s)', () => {
      assert.ok(seenErrors.length >= 8, `errors seen: ${seenErrors.length}`);
      assert.ok(logger.lines.length > 0);
      assert.ok(sdkLogLines.some((l) => l.includes('deprecated')), 'the SDK log sink was used');
      const texts = [
        ...logger.lines,
        ...sdkLogLines,
        ...seenErrors.map((e) => `${(e as Error).message}\n${(e as Error).stack}\n${JSON.stringify(e)}\n${inspect(e, { showHidden: true, depth: 8 })}`),
      ];
      for (const secret of secretsToHide) {
        for (const t of texts) assert.ok(!t.includes(secret), `secret leaked in: ${t.slice(0, 300)}`);
      }
    });
  });
});
