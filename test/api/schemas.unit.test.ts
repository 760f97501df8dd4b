import assert from 'node:assert/strict';
import { bitrix24EventSchema, describeIssues, postponeSchema, setReturnDateSchema, startReactivationSchema } from '../../src/api/schemas';

const event = (over: Record<string, unknown> = {}) => ({
  event: 'ONCRMDEALUPDATE',
  event_handler_id: '3',
  data: { FIELDS: { ID: '759' } },
  ts: '1732521600',
  auth: { application_token: 'token', domain: 'x.bitrix24.ru', member_id: 'm' },
  ...over,
});

describe('webhook and manager API schemas', () => {
  it('accepts a Bitrix24 outbound event as urlencoded parsing yields it (strings everywhere)', () => {
    const parsed = bitrix24EventSchema.parse(event());
    assert.equal(parsed.event, 'ONCRMDEALUPDATE');
    assert.equal(parsed.data.FIELDS.ID, 759);
    assert.equal(parsed.ts, 1732521600);
  });

  it('normalises the event name case', () => {
    assert.equal(bitrix24EventSchema.parse(event({ event: 'onCrmLeadAdd' })).event, 'ONCRMLEADADD');
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['unknown event', event({ event: 'ONCRMCOMPANYADD' }), 'event'],
    ['missing id', event({ data: { FIELDS: {} } }), 'data.FIELDS.ID'],
    ['non-numeric id', event({ data: { FIELDS: { ID: 'abc' } } }), 'data.FIELDS.ID'],
    ['negative id', event({ data: { FIELDS: { ID: '-4' } } }), 'data.FIELDS.ID'],
    ['no data', event({ data: undefined }), 'data'],
    ['bad ts', event({ ts: 'yesterday' }), 'ts'],
  ];
  for (const [name, body, path] of bad) {
    it(`rejects ${name} naming ${path}`, () => {
      const result = bitrix24EventSchema.safeParse(body);
      assert.equal(result.success, false);
      const issues = describeIssues(result.error!);
      assert.ok(issues.some((i) => i.path === path), JSON.stringify(issues));
    });
  }

  it('requires a date-time with a zone for a manager date', () => {
    assert.equal(setReturnDateSchema.safeParse({ returnAt: '2026-12-01' }).success, false);
    assert.equal(setReturnDateSchema.safeParse({ returnAt: '2026-12-01T10:00:00+03:00' }).success, true);
    assert.equal(setReturnDateSchema.safeParse({ returnAt: '2026-12-01T10:00:00Z', extra: 1 }).success, false);
  });

  it('postpones by whole positive days only', () => {
    assert.equal(postponeSchema.safeParse({ days: 0 }).success, false);
    assert.equal(postponeSchema.safeParse({ days: 1.5 }).success, false);
    assert.equal(postponeSchema.safeParse({ days: '3' }).success, false);
    assert.equal(postponeSchema.parse({ days: 14 }).days, 14);
  });

  it('starts a reactivation for a deal by default', () => {
    assert.deepEqual(startReactivationSchema.parse({ id: 5 }), { entity: 'deal', id: 5 });
    assert.equal(startReactivationSchema.safeParse({ id: 5, entity: 'company' }).success, false);
  });
});
