/**
 * The webhook scopes the rules need (src/setup/scope-needs.ts, pure) and the check against the
 * webhook's own (src/setup/scopes.ts, on a fake CrmApi): which rule settings lead to which scope.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Bitrix24Error, hasScope, scopeOfMethod } from '../../src/bitrix24';
import { loadRulesText } from '../../src/config/rules';
import { describeScopes, scopeNeeds } from '../../src/setup/scope-needs';
import { checkWebhookScopes, missingScopesMessage } from '../../src/setup/scopes';

const QUIET = `
lostDeals:
  notifications:
    atLoss: { manager: false }
    beforeReturn: { before: [], manager: false, head: false }
    atReturn: { manager: false, head: false }
    onForgotten: { manager: false, head: false }
  pipelines:
    - categoryId: 0
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 30 days }
`;

function rules(text: string) {
  return loadRulesText(`version: 1\n${text}`);
}
const scopesOf = (text: string) => scopeNeeds(rules(text)).map((n) => n.scope);
const usedBy = (text: string, scope: string) => scopeNeeds(rules(text)).find((n) => n.scope === scope)?.usedBy;

describe('scopes the rules need (scopeNeeds)', () => {
  it('crm always; nothing else when nothing is reactivated', () => {
    assert.deepEqual(scopeNeeds(rules('')), [{ scope: 'crm', usedBy: ['CRM'] }]);
  });

  it('a reactivated reason needs user (every strategy checks the user is active); a fixed user needs no department', () => {
    assert.deepEqual(scopesOf(`defaults: { responsible: { strategy: user, userId: 5 } }\n${QUIET}`), ['crm', 'user']);
  });

  it('department for a departmentHead strategy or fallback — the default `original` falls back to the department head', () => {
    assert.deepEqual(scopesOf(QUIET), ['crm', 'user', 'department']);
    assert.deepEqual(usedBy(QUIET, 'department'), ['responsible departmentHead']);
    assert.deepEqual(scopesOf(`defaults: { responsible: { strategy: pool, users: [3, 4] } }\n${QUIET}`), ['crm', 'user']);
    // The reason's own strategy wins over the defaults (inheritance as the domain applies it).
    const byReason = `defaults: { responsible: { strategy: user, userId: 5 } }\n${QUIET.replace('returnPeriod: 30 days }', 'returnPeriod: 30 days, responsible: { strategy: departmentHead } }')}`;
    assert.deepEqual(scopesOf(byReason), ['crm', 'user', 'department']);
  });

  it('reads junk-lead statuses, other reasons and reasons read from a field the same way', () => {
    const base = 'defaults: { responsible: { strategy: user, userId: 5 } }\nlostDeals:\n  notifications: { atLoss: { manager: false }, beforeReturn: { before: [] }, atReturn: { manager: false, head: false }, onForgotten: { manager: false, head: false } }\n';
    const leads = `${base}  leads:\n    target: { statusId: IN_PROCESS }\n    statuses:\n      - { statusId: JUNK, name: Некачественный, returnPeriod: 30 days, responsible: { strategy: departmentHead } }\n`;
    assert.deepEqual(scopesOf(leads), ['crm', 'user', 'department']);
    const other = `${base}  pipelines:\n    - categoryId: 0\n      reasons:\n        - { stageId: LOSE, name: Дорого, reactivate: false }\n      otherReasons: { name: Прочее, returnPeriod: 30 days, notifications: { atLoss: { manager: true } } }\n`;
    assert.deepEqual(scopesOf(other), ['crm', 'user', 'im']);
    const byField = `${base}  pipelines:\n    - categoryId: 0\n      reasonField: UF_CRM_REASON\n      reasons:\n        - { value: "7", name: Дорого, returnPeriod: 30 days, responsible: { strategy: departmentHead } }\n`;
    assert.deepEqual(scopesOf(byField), ['crm', 'user', 'department']);
  });

  it('a reason that is never reactivated needs nothing', () => {
    const never = `defaults: { responsible: { strategy: user, userId: 5 } }\n${QUIET.replace('returnPeriod: 30 days }', 'reactivate: false }')}`;
    assert.deepEqual(scopesOf(never), ['crm']);
  });

  it('im for notices; a head notice without defaults.headOfSales also reads users and departments', () => {
    const fixed = 'defaults: { responsible: { strategy: user, userId: 5 }, headOfSales: 2 }\n';
    const atLoss = QUIET.replace('atLoss: { manager: false }', 'atLoss: { manager: true }');
    assert.deepEqual(scopesOf(fixed + atLoss), ['crm', 'user', 'im']);
    assert.deepEqual(usedBy(fixed + atLoss, 'im'), ['notifications']);
    const headNoSales = 'defaults: { responsible: { strategy: user, userId: 5 } }\n' + QUIET.replace('atReturn: { manager: false, head: false }', 'atReturn: { manager: false, head: true }');
    assert.deepEqual(scopesOf(headNoSales), ['crm', 'user', 'department', 'im']);
    assert.deepEqual(usedBy(headNoSales, 'department'), ['head notices without defaults.headOfSales']);
    // "before the return" with no offsets sends nothing
    assert.deepEqual(scopesOf(fixed + QUIET.replace('beforeReturn: { before: [], manager: false', 'beforeReturn: { before: [], manager: true')), ['crm', 'user']);
  });

  it('expiry reminders: action notify → im, action bizproc → bizproc; never task (no rule creates tasks)', () => {
    const expiry = (action: string) => `
expiry:
  wonIn: [0]
  rules:
    - name: Лицензии
      expiresAt: { kind: term, term: 365 days }
      reminders:
        - { before: 30 days, action: ${action}${action === 'bizproc' ? ', bizprocTemplateId: 7' : ''} }
`;
    assert.deepEqual(scopesOf(expiry('todo')), ['crm']);
    assert.deepEqual(scopesOf(expiry('notify')), ['crm', 'im']);
    assert.deepEqual(usedBy(expiry('notify'), 'im'), ['expiry action notify']);
    assert.deepEqual(scopesOf(expiry('bizproc')), ['crm', 'bizproc']);
    assert.deepEqual(usedBy(expiry('bizproc'), 'bizproc'), ['expiry action bizproc']);
  });

  it('the demo rules: crm, user, im (fallback to a fixed user, headOfSales set)', () => {
    const demo = loadRulesText(fs.readFileSync(path.join(__dirname, '..', '..', 'config', 'rules.demo.yaml'), 'utf8'));
    const needs = scopeNeeds(demo);
    assert.deepEqual(needs.map((n) => n.scope), ['crm', 'user', 'im']);
    assert.deepEqual(needs.find((n) => n.scope === 'im')!.usedBy, ['notifications', 'expiry action notify']);
  });

  it('names what is missing and what needs it', () => {
    const needs = [
      { scope: 'im' as const, usedBy: ['notifications'] },
      { scope: 'bizproc' as const, usedBy: ['expiry action bizproc'] },
    ];
    assert.equal(describeScopes(needs), 'im, bizproc (needed by: notifications, expiry action bizproc)');
    assert.match(missingScopesMessage(needs), /^the webhook lacks the scopes im, bizproc \(needed by: notifications, expiry action bizproc\)/);
    assert.match(missingScopesMessage(needs.slice(0, 1)), /^the webhook lacks the scope im \(needed by: notifications\); add it/);
  });
});

describe('the webhook scopes (checkWebhookScopes, hasScope, scopeOfMethod)', () => {
  const demoLike = rules(`defaults: { responsible: { strategy: user, userId: 5 }, headOfSales: 2 }\n${QUIET.replace('atLoss: { manager: false }', 'atLoss: { manager: true }')}`);

  it('ok, or the missing ones with what needs them', async () => {
    assert.equal((await checkWebhookScopes({ webhookScopes: async () => ['crm', 'user', 'im', 'task'] }, demoLike)).status, 'ok');
    const check = await checkWebhookScopes({ webhookScopes: async () => ['crm', 'user'] }, demoLike);
    assert.equal(check.status, 'missing');
    assert.deepEqual(check.status === 'missing' && check.missing, [{ scope: 'im', usedBy: ['notifications'] }]);
  });

  it('user_brief / user_basic stand for user (user-get.md), nothing else does', async () => {
    assert.ok(hasScope(['user_brief'], 'user') && hasScope(['user_basic'], 'user') && hasScope(['USER'], 'user'));
    assert.ok(!hasScope(['user'], 'department') && !hasScope([], 'crm'));
    assert.equal((await checkWebhookScopes({ webhookScopes: async () => ['crm', 'user_basic', 'im'] }, demoLike)).status, 'ok');
  });

  it('when `scope` cannot be read, the answer is unknown, with the reason (never a block)', async () => {
    const failing = async () => {
      throw new Bitrix24Error({ code: 'ERROR_METHOD_NOT_FOUND', description: 'Method not found!', httpStatus: 404, method: 'scope' });
    };
    const check = await checkWebhookScopes({ webhookScopes: failing }, demoLike);
    assert.equal(check.status, 'unknown');
    assert.match(check.status === 'unknown' ? check.reason : '', /scope: ERROR_METHOD_NOT_FOUND: Method not found!/);
  });

  it('the scope of a method, from its page', () => {
    assert.equal(scopeOfMethod('im.notify.system.add'), 'im');
    assert.equal(scopeOfMethod('crm.stagehistory.list'), 'crm');
    assert.equal(scopeOfMethod('user.get'), 'user');
    assert.equal(scopeOfMethod('department.get'), 'department');
    assert.equal(scopeOfMethod('tasks.task.add'), 'task');
    assert.equal(scopeOfMethod('bizproc.workflow.start'), 'bizproc');
    assert.equal(scopeOfMethod('scope'), undefined);
  });
});
