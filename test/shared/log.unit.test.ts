import assert from 'node:assert/strict';
import { createMemoryLogger, redact, redactText } from '../../src/shared/log';

describe('log redaction', () => {
  it('masks the secret of an inbound-webhook URL wherever it appears', () => {
    const text = 'POST https://portal.bitrix24.ru/rest/1/abcdef0123456789/crm.deal.get.json failed';
    assert.equal(redactText(text), 'POST https://portal.bitrix24.ru/rest/1/***/crm.deal.get.json failed');
  });

  it('masks values under token/secret/password keys, deeply', () => {
    const out = redact({ auth: { application_token: 'tok-123', domain: 'x.bitrix24.ru' }, list: [{ apiKey: 'k' }] });
    assert.deepEqual(out, { auth: { application_token: '***', domain: 'x.bitrix24.ru' }, list: [{ apiKey: '***' }] });
  });

  it('never writes a secret passed in a message, a field or an error', () => {
    const log = createMemoryLogger();
    log.error('call to https://p.bitrix24.ru/rest/7/s3cr3ts3cr3t/crm.deal.add failed', {
      error: new Error('connect ECONNREFUSED https://p.bitrix24.ru/rest/7/s3cr3ts3cr3t/'),
      webhookUrl: 'https://p.bitrix24.ru/rest/7/s3cr3ts3cr3t/',
    });
    assert.equal(log.lines.length, 1);
    assert.ok(!log.lines[0].includes('s3cr3ts3cr3t'), log.lines[0]);
    assert.match(log.lines[0], /\/rest\/7\/\*\*\*/);
  });

  it('drops entries below the level', () => {
    const log = createMemoryLogger('warn');
    log.info('quiet');
    log.warn('loud');
    assert.equal(log.lines.length, 1);
  });
});
