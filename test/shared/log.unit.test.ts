import assert from 'node:assert/strict';
import { createMemoryLogger, redact, redactText } from '../../src/shared/log';

describe('log redaction', () => {
  it('masks the secret of an inbound-webhook URL wherever it appears', () => {
    const text = 'POST https://portal.example/rest/1/fake-secret-for-tests/crm.deal.get.json failed';
    assert.equal(redactText(text), 'POST https://portal.example/rest/1/***/crm.deal.get.json failed');
  });

  it('uses the one redaction: v3 webhook paths and token pairs in text are masked too', () => {
    assert.equal(redactText('GET https://portal.example/rest/api/3/fake-secret-for-tests/tasks.task.get'), 'GET https://portal.example/rest/api/3/***/tasks.task.get');
    assert.equal(redactText('body auth[application_token]=fake-app-token&x=1'), 'body auth[application_token]=***&x=1');
  });

  it('masks values under token/secret/password keys, deeply', () => {
    const out = redact({ auth: { application_token: 'tok-123', domain: 'x.bitrix24.ru' }, list: [{ apiKey: 'k' }] });
    assert.deepEqual(out, { auth: { application_token: '***', domain: 'x.bitrix24.ru' }, list: [{ apiKey: '***' }] });
  });

  it('never writes a secret passed in a message, a field or an error', () => {
    const log = createMemoryLogger();
    log.error('call to https://portal.example/rest/7/fake-secret-for-tests/crm.deal.add failed', {
      error: new Error('connect ECONNREFUSED https://portal.example/rest/7/fake-secret-for-tests/'),
      webhookUrl: 'https://portal.example/rest/7/fake-secret-for-tests/',
    });
    assert.equal(log.lines.length, 1);
    assert.ok(!log.lines[0].includes('fake-secret-for-tests'), log.lines[0]);
    assert.match(log.lines[0], /\/rest\/7\/\*\*\*/);
  });

  it('drops entries below the level', () => {
    const log = createMemoryLogger('warn');
    log.info('quiet');
    log.warn('loud');
    assert.equal(log.lines.length, 1);
  });
});
