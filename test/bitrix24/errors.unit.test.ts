import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { AjaxError } from '@bitrix24/b24jssdk';
import { Bitrix24Error, classifyError, redactSecrets, registerSecret, type Bitrix24ErrorKind } from '../../src/bitrix24';
import { fromSdkError, parseWebhookUrl } from '../../src/bitrix24/transport';

describe('bitrix24 error taxonomy', () => {
  describe('classifyError', () => {
    const table: [string, number, string, Bitrix24ErrorKind][] = [
      // retryable: limits, portal faults, network
      ['QUERY_LIMIT_EXCEEDED', 503, 'Too many requests', 'retryable'],
      ['OPERATION_TIME_LIMIT', 429, 'Method is blocked due to operation time limit', 'retryable'],
      ['INTERNAL_SERVER_ERROR', 500, 'Internal server error', 'retryable'],
      ['ERROR_UNEXPECTED_ANSWER', 500, '', 'retryable'],
      ['HTTP_502', 502, 'Bad gateway', 'retryable'],
      ['HTTP_503', 503, '', 'retryable'],
      ['ECONNRESET', 0, 'socket hang up', 'retryable'],
      ['ECONNREFUSED', 0, 'connect ECONNREFUSED', 'retryable'],
      ['REQUEST_TIMEOUT', 0, 'timeout of 30000ms exceeded', 'retryable'],
      ['NETWORK_ERROR', 0, 'Network connection failed', 'retryable'],
      ['ETIMEDOUT', 0, '', 'retryable'],
      ['HTTP_408', 408, '', 'retryable'],
      // final: auth, scope, access, unknown method, validation, trust
      ['INVALID_CREDENTIALS', 401, 'Invalid request credentials', 'final'],
      ['expired_token', 401, 'The access token provided has expired', 'final'],
      ['invalid_token', 401, '', 'final'],
      ['insufficient_scope', 401, 'The request requires higher privileges', 'final'],
      ['NO_AUTH_FOUND', 401, 'Wrong authorization data', 'final'],
      // auth failures in every documented combination (system-errors.md: 401 NO_AUTH_FOUND,
      // 403 INVALID_CREDENTIALS; method pages and crm-item-import.md: 401 INVALID_CREDENTIALS)
      ['INVALID_CREDENTIALS', 403, 'Invalid request credentials', 'final'],
      ['NO_AUTH_FOUND', 403, 'Wrong authorization data', 'final'],
      ['HTTP_401', 401, '', 'final'],
      ['HTTP_403', 403, '', 'final'],
      ['INVALID_CREDENTIALS', 200, 'Invalid request credentials', 'final'], // a batch command
      ['ACCESS_DENIED', 403, 'Access denied', 'final'],
      ['HTTP_400', 400, 'Access denied', 'final'],
      ['ERROR_METHOD_NOT_FOUND', 404, 'Method not found!', 'final'],
      ['PORTAL_DELETED', 403, 'Portal was deleted', 'final'],
      ['HTTP_400', 400, "Parameter 'fields' must be array.", 'final'],
      ['HTTP_400', 400, 'ID is not defined or invalid', 'final'],
      ['ERROR_CORE', 400, 'Required fields: TITLE', 'final'],
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 0, 'self-signed certificate', 'final'],
      ['ENOTFOUND', 0, 'getaddrinfo ENOTFOUND portal', 'final'],
      ['HTTP_200', 200, 'Some command error', 'final'],
      // not_found: crm.* get of a missing id (empty code, "Not found", HTTP 400)
      ['HTTP_400', 400, 'Not found', 'not_found'],
      ['', 400, 'Not found', 'not_found'],
      ['ERROR_ENTITY_NOT_FOUND', 400, 'Element is not found', 'not_found'],
      ['NOT_FOUND', 404, 'Not found', 'not_found'],
      ['HTTP_200', 200, 'Not found', 'not_found'], // a batch command
      ['HTTP_400', 400, 'The deal with ID 5 is not found', 'not_found'],
    ];
    for (const [code, httpStatus, description, kind] of table) {
      it(`${code || '(empty)'} / ${httpStatus} / "${description}" → ${kind}`, () => {
        assert.equal(classifyError({ code, httpStatus, description }), kind);
      });
    }

    it('a 5xx that says "not found" is still retryable (the portal is failing, not answering)', () => {
      assert.equal(classifyError({ code: 'HTTP_502', httpStatus: 502, description: 'upstream not found' }), 'retryable');
    });
  });

  describe('Bitrix24Error', () => {
    it('insufficient_scope (403) is final and names the scope the method needs and how to grant it', () => {
      const e = new Bitrix24Error({
        code: 'insufficient_scope',
        description: 'The request requires higher privileges than provided by the webhook token',
        httpStatus: 403,
        method: 'im.notify.system.add',
      });
      assert.equal(e.kind, 'final');
      assert.match(e.message, /the webhook lacks the scope "im" that im\.notify\.system\.add needs: add it to the inbound webhook's permissions/);
      const inBatch = new Bitrix24Error({ code: 'insufficient_scope', description: '', httpStatus: 200, method: 'bizproc.workflow.start', command: 'b' });
      assert.equal(inBatch.kind, 'final');
      assert.match(inBatch.message, /lacks the scope "bizproc"/);
    });

    it('carries code, description, httpStatus (and status alias), kind, method, retryAfterMs', () => {
      const e = new Bitrix24Error({ code: 'OPERATION_TIME_LIMIT', description: 'blocked', httpStatus: 429, method: 'crm.deal.list', retryAfterMs: 1234.4 });
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'Bitrix24Error');
      assert.equal(e.code, 'OPERATION_TIME_LIMIT');
      assert.equal(e.description, 'blocked');
      assert.equal(e.httpStatus, 429);
      assert.equal(e.status, 429);
      assert.equal(e.kind, 'retryable');
      assert.equal(e.retryable, true);
      assert.equal(e.method, 'crm.deal.list');
      assert.equal(e.retryAfterMs, 1234);
      assert.match(e.message, /crm\.deal\.list.*OPERATION_TIME_LIMIT.*blocked/);
      assert.deepEqual(JSON.parse(JSON.stringify(e)).kind, 'retryable');
    });

    it('an explicit kind wins over classification', () => {
      assert.equal(new Bitrix24Error({ code: 'X', description: '', httpStatus: 400, method: 'm', kind: 'retryable' }).kind, 'retryable');
    });
  });

  describe('redaction', () => {
    const secret = 'k9s8d7f6g5h4j3';
    before(() => registerSecret(secret));

    it('masks the webhook path segment (v2 and v3 forms)', () => {
      assert.equal(redactSecrets('https://acme.bitrix24.example/rest/1/abcdef123/crm.deal.get'), 'https://acme.bitrix24.example/rest/1/***/crm.deal.get');
      assert.equal(redactSecrets('https://acme.bitrix24.example/rest/api/17/abcdef123'), 'https://acme.bitrix24.example/rest/api/17/***');
    });

    it('masks application tokens in query strings and JSON', () => {
      assert.equal(redactSecrets('auth[application_token]=tok123&x=1'), 'auth[application_token]=***&x=1');
      assert.equal(redactSecrets('{"application_token":"tok123"}'), '{"application_token":"***"}');
    });

    it('masks a registered secret wherever it appears', () => {
      assert.equal(redactSecrets(`bad key ${secret} here`), 'bad key *** here');
    });

    it('every field of an error is redacted', () => {
      const e = new Bitrix24Error({
        code: `X_${secret}`,
        description: `failed at https://p.example/rest/1/${secret}/crm.deal.add`,
        httpStatus: 0,
        method: `crm.deal.add /rest/1/${secret}/`,
      });
      const dump = JSON.stringify(e) + e.message + e.stack + inspect(e, { showHidden: true, depth: 5 });
      assert.ok(!dump.includes(secret), dump);
    });

    it('a network error from the SDK (whose axios error holds config.url with the secret) comes out clean', () => {
      const url = `https://p.example/rest/1/${secret}/crm.deal.add?bx24_request_id=1`;
      const axiosLike = Object.assign(new Error(`connect ECONNREFUSED while calling ${url}`), {
        isAxiosError: true,
        code: 'ECONNREFUSED',
        config: { url, data: '{"fields":{}}', headers: {} },
        request: { path: `/rest/1/${secret}/crm.deal.add` },
      });
      const sdkError = new AjaxError({
        code: 'ECONNREFUSED',
        description: axiosLike.message,
        status: 0,
        requestInfo: { method: 'crm.deal.add', params: {}, requestId: '1' },
        originalError: axiosLike,
      });
      const e = fromSdkError(sdkError, 'crm.deal.add');
      assert.equal(e.kind, 'retryable');
      assert.equal(e.code, 'ECONNREFUSED');
      assert.equal(e.httpStatus, 0);
      const dump = JSON.stringify(e) + e.message + e.stack + inspect(e, { showHidden: true, depth: 8 }) + JSON.stringify(Object.getOwnPropertyDescriptors(e));
      assert.ok(!dump.includes(secret), dump);
      assert.equal((e as unknown as { originalError?: unknown }).originalError, undefined);
      assert.equal((e as unknown as { cause?: unknown }).cause, undefined);
    });

    it('the portal body of an error is read even when the SDK dropped it ("Not found" with an empty code)', () => {
      const axiosLike = Object.assign(new Error('Request failed with status code 400'), {
        isAxiosError: true,
        code: 'ERR_BAD_REQUEST',
        config: { url: `https://p.example/rest/1/${secret}/crm.deal.get` },
        response: { status: 400, data: { error: '', error_description: 'Not found' }, headers: {} },
      });
      const sdkError = new AjaxError({ code: 'ERR_BAD_REQUEST', description: axiosLike.message, status: 400, originalError: axiosLike });
      const e = fromSdkError(sdkError, 'crm.deal.get');
      assert.equal(e.kind, 'not_found');
      assert.equal(e.description, 'Not found');
      assert.equal(e.httpStatus, 400);
    });

    it('OPERATION_TIME_LIMIT with time.operating_reset_at in the body yields retryAfterMs', () => {
      const resetAt = Math.floor(Date.now() / 1000) + 120;
      const axiosLike = {
        isAxiosError: true,
        code: 'ERR_BAD_REQUEST',
        message: 'Request failed with status code 429',
        response: { status: 429, data: { error: 'OPERATION_TIME_LIMIT', error_description: 'blocked', time: { operating_reset_at: resetAt } }, headers: {} },
      };
      const e = fromSdkError(new AjaxError({ code: 'OPERATION_TIME_LIMIT', description: 'blocked', status: 429, originalError: axiosLike }), 'crm.deal.list');
      assert.equal(e.kind, 'retryable');
      assert.ok(e.retryAfterMs! > 100_000 && e.retryAfterMs! <= 120_000, String(e.retryAfterMs));
    });
  });

  describe('parseWebhookUrl', () => {
    it('splits origin, user and secret', () => {
      assert.deepEqual(parseWebhookUrl('https://acme.bitrix24.example/rest/7/fake-secret/'), { origin: 'https://acme.bitrix24.example', userId: 7, secret: 'fake-secret' });
      assert.deepEqual(parseWebhookUrl('https://127.0.0.1:8443/rest/1/abc'), { origin: 'https://127.0.0.1:8443', userId: 1, secret: 'abc' });
    });

    it('rejects a malformed URL without echoing it', () => {
      for (const bad of ['not a url fake-secret-XYZ', 'https://acme.bitrix24.example/rest/x/fake-secret-XYZ/', 'https://acme.bitrix24.example/api/fake-secret-XYZ']) {
        assert.throws(
          () => parseWebhookUrl(bad),
          (e: unknown) => e instanceof Bitrix24Error && e.kind === 'final' && !JSON.stringify(e).includes('fake-secret-XYZ') && !e.message.includes('fake-secret-XYZ'),
        );
      }
    });
  });
});
