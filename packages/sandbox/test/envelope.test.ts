/**
 * The wire contract: envelope, string scalars, time object, errors with their HTTP statuses,
 * request encodings, HTTPS with the generated certificate.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { DEMO, startSandbox, type SandboxHandle } from '../src';
import { call, callForm, callGet, sandbox } from './helpers';

describe('sandbox: envelope and errors', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await sandbox();
  });
  after(async () => {
    await sb.close();
  });

  it('crm.deal.get answers {result, time} with string scalars and ISO dates with offset (crm-deal-get.md, data-types.md#time)', async () => {
    const a = await call(sb, 'crm.deal.get', { id: DEMO.deals.won[0] });
    assert.equal(a.status, 200);
    assert.match(a.contentType, /application\/json/);
    const d = a.body.result;
    assert.equal(d.ID, String(DEMO.deals.won[0]));
    assert.equal(d.CATEGORY_ID, '0');
    assert.equal(d.STAGE_ID, 'WON');
    assert.equal(d.STAGE_SEMANTIC_ID, 'S');
    assert.equal(d.CLOSED, 'Y');
    assert.match(d.OPPORTUNITY, /^\d+\.\d{2}$/);
    assert.match(d.DATE_CREATE, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+03:00$/);
    assert.match(d.CLOSEDATE, /^\d{4}-\d{2}-\d{2}T00:00:00\+03:00$/);
    assert.equal(d.ORIGINATOR_ID, null);
    assert.ok('UF_CRM_DELIVERY_ADDRESS' in d, 'registered user fields are part of get');
    assert.ok(!('CONTACT_IDS' in d), 'CONTACT_IDS is not returned by crm.deal.get (crm-deal-fields.md note)');
    const t = a.body.time;
    for (const k of ['start', 'finish', 'duration', 'processing', 'operating', 'operating_reset_at']) assert.equal(typeof t[k], 'number', k);
    for (const k of ['date_start', 'date_finish']) assert.equal(typeof t[k], 'string', k);
    assert.ok(!('total' in a.body) && !('next' in a.body));
  });

  it('crm.deal.add returns the new id as a number; update/delete return true (crm-deal-add.md, -update.md, -delete.md)', async () => {
    const add = await call(sb, 'crm.deal.add', { fields: { TITLE: 'Тест', OPPORTUNITY: 1000 } });
    assert.equal(add.status, 200);
    assert.equal(typeof add.body.result, 'number');
    const id = add.body.result as number;
    const got = (await call(sb, 'crm.deal.get', { id })).body.result;
    assert.equal(got.OPPORTUNITY, '1000.00');
    assert.equal(got.STAGE_ID, 'NEW', 'the first stage of pipeline 0 by default');
    assert.equal(got.ASSIGNED_BY_ID, '1', 'the calling user by default');
    assert.equal((await call(sb, 'crm.deal.update', { id, fields: { TITLE: 'Тест 2' } })).body.result, true);
    assert.equal((await call(sb, 'crm.deal.delete', { id })).body.result, true);
    const gone = await call(sb, 'crm.deal.get', { id });
    assert.equal(gone.status, 400);
    assert.deepEqual(gone.body, { error: '', error_description: 'Not found' });
  });

  it('a wrong webhook code or user → 401 INVALID_CREDENTIALS (system-errors.md; crm-item-import.md "Incorrect ID and/or code")', async () => {
    const wrongCode = await call(sb, 'crm.deal.get', { id: 101 }, `${sb.baseUrl}/rest/1/wrongcode/`);
    assert.equal(wrongCode.status, 401);
    assert.deepEqual(wrongCode.body, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
    const secret = sb.webhookUrl.split('/').slice(-2)[0];
    const wrongUser = await call(sb, 'crm.deal.get', { id: 101 }, `${sb.baseUrl}/rest/2/${secret}/`);
    assert.equal(wrongUser.status, 401);
  });

  it('application path without auth → 401 NO_AUTH_FOUND; with a wrong token → 401 invalid_token (system-errors.md)', async () => {
    const none = await call(sb, 'crm.deal.get', { id: 101 }, `${sb.baseUrl}/rest/`);
    assert.equal(none.status, 401);
    assert.equal(none.body.error, 'NO_AUTH_FOUND');
    const bad = await call(sb, 'crm.deal.get', { id: 101, auth: 'nope' }, `${sb.baseUrl}/rest/`);
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error, 'invalid_token');
  });

  it('an unknown method → 404 ERROR_METHOD_NOT_FOUND (rest-v3.md)', async () => {
    const a = await call(sb, 'crm.deal.frobnicate', {});
    assert.equal(a.status, 404);
    assert.equal(a.body.error, 'ERROR_METHOD_NOT_FOUND');
  });

  it('validation errors: 400 with an empty code and the documented texts (crm-deal-get.md, crm-deal-add.md)', async () => {
    assert.deepEqual((await call(sb, 'crm.deal.get', {})).body, { error: '', error_description: 'ID is not defined or invalid.' });
    assert.deepEqual((await call(sb, 'crm.deal.get', { id: 'abc' })).body.error_description, 'ID is not defined or invalid.');
    const noFields = await call(sb, 'crm.deal.add', {});
    assert.equal(noFields.status, 400);
    assert.equal(noFields.body.error_description, "Parameter 'fields' must be array.");
    const badCurrency = await call(sb, 'crm.deal.add', { fields: { TITLE: 'x', CURRENCY_ID: 'XXX' } });
    assert.equal(badCurrency.status, 400);
    const badStage = await call(sb, 'crm.deal.add', { fields: { TITLE: 'x', STAGE_ID: 'NO_SUCH_STAGE' } });
    assert.equal(badStage.status, 400);
    assert.equal(badStage.body.error, '');
    const badFilter = await call(sb, 'crm.deal.list', { filter: 'ID=1' });
    assert.deepEqual(badFilter.body, { error: '', error_description: "Parameter 'filter' must be array." });
  });

  it('reads GET query strings, PHP-style form bodies and the .json suffix (general-principles.md)', async () => {
    const g = await callGet(sb, 'crm.deal.get.json?id=101');
    assert.equal(g.status, 200);
    assert.equal(g.body.result.ID, '101');
    const f = await callForm(sb, 'crm.deal.list', 'filter[>ID]=115&filter[CATEGORY_ID]=1&select[]=ID&select[]=STAGE_ID&order[ID]=DESC');
    assert.equal(f.status, 200);
    assert.deepEqual(f.body.result, [{ ID: '117', STAGE_ID: 'C1:UC_FORGOTTEN' }, { ID: '116', STAGE_ID: 'C1:NEW' }]);
    const u = await callForm(sb, 'crm.deal.update', 'id=101&fields[COMMENTS]=%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82');
    assert.equal(u.body.result, true);
    assert.equal((await call(sb, 'crm.deal.get', { ID: 101 })).body.result.COMMENTS, 'привет', 'upper-case ID works too');
  });

  it('the call log records method, params, status and requestId; clear() empties it', async () => {
    sb.callLog.clear();
    await call(sb, 'crm.deal.get', { id: 101 });
    await call(sb, 'crm.deal.get', { id: 999_999 });
    const [ok, missing] = sb.callLog.entries;
    assert.equal(ok.method, 'crm.deal.get');
    assert.deepEqual(ok.params, { id: 101 });
    assert.equal(ok.httpStatus, 200);
    assert.equal(ok.status, 200);
    assert.ok(ok.requestId && ok.at);
    assert.equal(missing.httpStatus, 400);
    assert.equal(missing.error, 'Not found');
    sb.callLog.clear();
    assert.equal(sb.callLog.size, 0);
  });
});

describe('sandbox: https', () => {
  it('serves https with a self-signed certificate that caCertPem trusts (default protocol)', async () => {
    const sb = await startSandbox({ limits: { enabled: false }, seed: 'empty' });
    try {
      assert.match(sb.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(sb.webhookUrl, /^https:\/\/127\.0\.0\.1:\d+\/rest\/1\/[a-z0-9]{16}\/$/);
      assert.match(sb.caCertPem, /BEGIN CERTIFICATE/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = https.request(sb.webhookUrl + 'crm.category.list', { method: 'POST', ca: sb.caCertPem, headers: { 'content-type': 'application/json' } }, (res) => {
          let s = '';
          res.on('data', (c) => (s += c));
          res.on('end', () => resolve(s));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ entityTypeId: 2 }));
      });
      assert.equal(JSON.parse(body).result.categories[0].name, 'Основная');
      // Without the CA the connection is refused by the client.
      await assert.rejects(
        new Promise((resolve, reject) => https.get(sb.webhookUrl + 'crm.category.list', (res) => resolve(res.statusCode)).on('error', reject)),
        /self[- ]signed|certificate/i,
      );
    } finally {
      await sb.close();
    }
  });
});
