import assert from 'node:assert/strict';
import { findLostRule, type EffectiveDealRule, type LostRuleDecision } from '../../src/domain/lost-rules';
import { lostMessageVars, nextStep, planReturn, reactivationMarks } from '../../src/domain/reactivation';
import { newStageOf, pipelineOfStage, stageBelongsTo } from '../../src/domain/stages';
import { render } from '../../src/domain/templates';
import { at, rulesFrom } from './fixtures';

const rules = rulesFrom(`
version: 1
defaults:
  calendar: { timeZone: Europe/Moscow }
  responsible: { strategy: original, fallback: { strategy: user, userId: 9 } }
  dailyCap: 10
  headOfSales: 1
lostDeals:
  maxReactivations: 3
  target: { categoryId: 7, stageId: "C7:NEW" }
  forgotten: { categoryId: 7, stageId: "C7:UC_FORGOTTEN" }
  notifications:
    beforeReturn: { before: [3 days, 1 day] }
  pipelines:
    - categoryId: 0
      templates: { dealTitle: "Снова: {title}" }
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
        - { stageId: UC_PAYMENT, name: Не устроили условия оплаты, returnPeriod: 2 weeks, maxReactivations: 1 }
        - { stageId: APOLOGY, name: Нецелевое обращение, reactivate: false }
        - stageId: UC_VIP
          name: Крупный клиент
          returnPeriod: 1 week
          responsible: { strategy: user, userId: 5 }
          dailyCap: unlimited
          notifications: { beforeReturn: { head: true } }
          templates: { todoTitle: "VIP: {client}" }
          target: { action: move, categoryId: 3, stageId: "C3:NEW" }
    - categoryId: 7
      reasonField: UF_CRM_LOSS_REASON
      returnPeriod: 2 months
      maxReactivations: unlimited
      reasons:
        - { value: 101, name: Дорого }
        - { value: 104, name: Нецелевое обращение, reactivate: false }
      otherReasons: { name: Другая причина, returnPeriod: 1 month }
    - categoryId: 3
      reasons:
        - { stageId: "C3:LOSE", name: Дорого, returnPeriod: 10 days }
  leads:
    target: { statusId: IN_PROCESS }
    statuses:
      - { statusId: JUNK, name: Некачественный лид, returnPeriod: 1 month }
      - { statusId: "2", name: Нецелевой, reactivate: false }
`);

function reactivated(decision: LostRuleDecision) {
  assert.equal(decision.decision, 'reactivate', decision.decision === 'skip' ? decision.why : '');
  return (decision as Extract<LostRuleDecision, { decision: 'reactivate' }>).rule;
}

function skipped(decision: LostRuleDecision): string {
  assert.equal(decision.decision, 'skip');
  return (decision as Extract<LostRuleDecision, { decision: 'skip' }>).why;
}

describe('lost-deal rules', () => {
  describe('findLostRule', () => {
    it('finds a reason by its failure stage and applies lostDeals and defaults', () => {
      const rule = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'LOSE' })) as EffectiveDealRule;
      assert.equal(rule.entity, 'deal');
      assert.deepEqual(rule.reason, { key: 'LOSE', name: 'Дорого', from: 'stage' });
      assert.deepEqual(rule.returnPeriod, { kind: 'static', period: { months: 1 } });
      assert.equal(rule.maxReactivations, 3);
      assert.deepEqual(rule.target, { action: 'copy', categoryId: 7, stageId: 'C7:NEW' });
      assert.deepEqual(rule.forgotten, { categoryId: 7, stageId: 'C7:UC_FORGOTTEN' });
      assert.deepEqual(rule.responsible, { strategy: 'original', fallback: { strategy: 'user', userId: 9 } });
      assert.equal(rule.dailyCap, 10);
      assert.equal(rule.headOfSales, 1);
      assert.equal(rule.calendar.timeZone, 'Europe/Moscow');
      assert.deepEqual(rule.todoDeadline, { workingDays: 1 });
      assert.equal(rule.marks.sourceField, 'UF_CRM_REACT_SOURCE');
    });

    it('merges templates key by key: pipeline over the Russian defaults', () => {
      const rule = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'LOSE' }));
      assert.equal(rule.templates.dealTitle, 'Снова: {title}');
      assert.equal(rule.templates.todoTitle, 'Реактивация: связаться с клиентом {client}');
    });

    it('the reason overrides the pipeline, lostDeals and defaults where it speaks', () => {
      const rule = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'UC_VIP' })) as EffectiveDealRule;
      assert.deepEqual(rule.responsible, { strategy: 'user', userId: 5 });
      assert.equal(rule.dailyCap, null);
      assert.deepEqual(rule.target, { action: 'move', categoryId: 3, stageId: 'C3:NEW' });
      assert.equal(rule.templates.todoTitle, 'VIP: {client}');
      assert.equal(rule.templates.dealTitle, 'Снова: {title}');
      // Partial notification override: head switched on, the offsets and the manager kept.
      assert.deepEqual(rule.notifications.beforeReturn, { before: [{ days: 3 }, { days: 1 }], manager: true, head: true });
      assert.deepEqual(rule.notifications.atReturn, { manager: true, head: true });
      const payment = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'UC_PAYMENT' }));
      assert.equal(payment.maxReactivations, 1);
      assert.deepEqual(payment.notifications.beforeReturn.head, false);
    });

    it('never reactivates a reason marked so (Нецелевое обращение)', () => {
      assert.equal(skipped(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'APOLOGY' })), '«Нецелевое обращение» is never reactivated');
    });

    it('skips an unknown stage and an unconfigured pipeline, saying which', () => {
      assert.match(skipped(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'UC_OTHER' })), /stage UC_OTHER is not a configured loss reason in pipeline 0/);
      assert.match(skipped(findLostRule(rules, { entity: 'deal', categoryId: 5, stageId: 'C5:LOSE' })), /pipeline 5 is not configured/);
    });

    it('reads the reason from a field, with pipeline settings and otherReasons', () => {
      const rule = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 7, stageId: 'C7:LOSE', fields: { UF_CRM_LOSS_REASON: '101' } }));
      assert.deepEqual(rule.reason, { key: '101', name: 'Дорого', from: 'field' });
      assert.deepEqual(rule.returnPeriod, { kind: 'static', period: { months: 2 } });
      assert.equal(rule.maxReactivations, null);
      const numeric = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 7, stageId: 'C7:LOSE', fields: { UF_CRM_LOSS_REASON: 101 } }));
      assert.equal(numeric.reason.name, 'Дорого');
      assert.match(skipped(findLostRule(rules, { entity: 'deal', categoryId: 7, stageId: 'C7:LOSE', fields: { UF_CRM_LOSS_REASON: '104' } })), /never/);
      const other = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 7, stageId: 'C7:LOSE', fields: { UF_CRM_LOSS_REASON: '999' } }));
      assert.deepEqual(other.reason, { key: '999', name: 'Другая причина', from: 'other' });
      assert.deepEqual(other.returnPeriod, { kind: 'static', period: { months: 1 } });
      const empty = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 7, stageId: 'C7:LOSE', fields: {} }));
      assert.equal(empty.reason.from, 'other');
    });

    it('without a target anywhere, copies into the same pipeline at its NEW stage', () => {
      const bare = rulesFrom(`
version: 1
lostDeals:
  pipelines:
    - categoryId: 4
      reasons: [{ stageId: "C4:LOSE", name: Дорого, returnPeriod: 1 month }]
`);
      const rule = reactivated(findLostRule(bare, { entity: 'deal', categoryId: 4, stageId: 'C4:LOSE' })) as EffectiveDealRule;
      assert.deepEqual(rule.target, { action: 'copy', categoryId: 4, stageId: 'C4:NEW' });
      assert.equal(rule.forgotten, null);
      assert.equal(rule.headOfSales, null);
    });

    it('finds junk lead statuses and sets them back', () => {
      const rule = reactivated(findLostRule(rules, { entity: 'lead', statusId: 'JUNK' }));
      assert.equal(rule.entity, 'lead');
      assert.deepEqual(rule.target, { statusId: 'IN_PROCESS' });
      assert.deepEqual(rule.returnPeriod, { kind: 'static', period: { months: 1 } });
      assert.match(skipped(findLostRule(rules, { entity: 'lead', statusId: '2' })), /never/);
      assert.match(skipped(findLostRule(rules, { entity: 'lead', statusId: '3' })), /lead status 3 is not a configured/);
    });

    it('skips everything when lost-deal reactivation is disabled', () => {
      const off = rulesFrom('version: 1\nlostDeals:\n  enabled: false\n');
      assert.match(skipped(findLostRule(off, { entity: 'deal', categoryId: 0, stageId: 'LOSE' })), /disabled/);
      assert.match(skipped(findLostRule(off, { entity: 'lead', statusId: 'JUNK' })), /disabled/);
    });
  });

  describe('planReturn', () => {
    const rule = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'UC_VIP' }));

    it('moves the due moment into working time and plans reminders before it', () => {
      // Lost on Thursday 20:00; 1 week → Thursday 20:00 → Friday 09:00.
      const plan = planReturn(rule, { lostAt: at('2026-03-05T20:00:00+03:00') }, at('2026-03-05T20:00:00+03:00'));
      assert.equal(plan.dueAt.toISOString(), '2026-03-12T17:00:00.000Z');
      assert.equal(plan.returnAt.toISOString(), '2026-03-13T06:00:00.000Z');
      assert.equal(plan.basis, 'static');
      assert.match(plan.explanation, /moved into working time/);
      assert.deepEqual(plan.remindAt.map((d) => d.toISOString()), ['2026-03-10T06:00:00.000Z', '2026-03-12T06:00:00.000Z']);
    });

    it('plans no reminders when nobody is to be reminded', () => {
      const quiet = rulesFrom(`
version: 1
lostDeals:
  notifications: { beforeReturn: { manager: false, head: false } }
  pipelines: [{ categoryId: 0, reasons: [{ stageId: LOSE, name: Дорого, returnPeriod: 1 month }] }]
`);
      const quietRule = reactivated(findLostRule(quiet, { entity: 'deal', categoryId: 0, stageId: 'LOSE' }));
      assert.deepEqual(planReturn(quietRule, {}, at('2026-03-10T12:00:00+03:00')).remindAt, []);
    });
  });

  describe('nextStep after the reactivation deal', () => {
    const again = findLostRule(rules, { entity: 'deal', categoryId: 7, stageId: 'C7:LOSE', fields: { UF_CRM_LOSS_REASON: '101' } });
    const never = findLostRule(rules, { entity: 'deal', categoryId: 7, stageId: 'C7:LOSE', fields: { UF_CRM_LOSS_REASON: '104' } });

    it('won → done; still open → follow; deleted → done', () => {
      assert.equal(nextStep({ state: 'won' }, 1, 3).step, 'done');
      assert.equal(nextStep({ state: 'open' }, 1, 3).step, 'follow');
      assert.equal(nextStep({ state: 'deleted' }, 2, 3).step, 'done');
    });

    it('lost again → the next attempt under the new reason', () => {
      const step = nextStep({ state: 'lost', next: again }, 1, 3);
      assert.equal(step.step, 'nextAttempt');
      if (step.step !== 'nextAttempt') return;
      assert.equal(step.attempt, 2);
      assert.equal(step.rule.reason.name, 'Дорого');
      assert.deepEqual(step.rule.returnPeriod, { kind: 'static', period: { months: 2 } });
    });

    it('lost again at the limit → forgotten; unlimited never forgets', () => {
      assert.equal(nextStep({ state: 'lost', next: again }, 3, 3).step, 'forgotten');
      assert.equal(nextStep({ state: 'lost', next: again }, 2, 3).step, 'nextAttempt');
      assert.equal(nextStep({ state: 'lost', next: again }, 50, null).step, 'nextAttempt');
    });

    it('lost again with a never-reactivated reason → stop', () => {
      const step = nextStep({ state: 'lost', next: never }, 1, 3);
      assert.equal(step.step, 'stop');
      assert.match(step.why, /never reactivated/);
    });
  });

  describe('marks and messages', () => {
    it('marks the reactivation deal with source, reason, attempt and date in the configured fields', () => {
      const rule = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'LOSE' }));
      assert.deepEqual(reactivationMarks(rule.marks, { sourceId: 1234, reason: 'Дорого', attempt: 2, at: at('2026-04-10T09:00:00+03:00') }), {
        UF_CRM_REACT_SOURCE: 1234,
        UF_CRM_REACT_REASON: 'Дорого',
        UF_CRM_REACT_ATTEMPT: 2,
        UF_CRM_REACT_DATE: '2026-04-10T06:00:00.000Z',
      });
    });

    it('builds message variables that the default templates render without gaps', () => {
      const rule = reactivated(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'LOSE' }));
      const vars = lostMessageVars(
        {
          title: 'Мешки 50 кг',
          client: 'ООО Мельница',
          reason: 'Дорого',
          lostAt: at('2026-03-10T12:00:00+03:00'),
          returnAt: at('2026-04-10T09:00:00+03:00'),
          period: { months: 1 },
          attempt: 1,
          maxAttempts: 3,
          link: 'https://portal/crm/deal/details/1234/',
        },
        'Europe/Moscow',
      );
      const atLoss = render(rule.templates.atLoss, vars);
      assert.equal(atLoss.text, 'Отказ по «Мешки 50 кг» (ООО Мельница), причина «Дорого». Вернём в работу 10.04.2026 09:00. https://portal/crm/deal/details/1234/');
      assert.deepEqual(atLoss.missing, []);
      assert.equal(vars.period, '1 месяц');
      assert.equal(lostMessageVars({ reason: 'x', attempt: 1, maxAttempts: null }, 'Europe/Moscow').maxAttempts, '∞');
    });
  });

  describe('stages', () => {
    it('knows the pipeline of a stage id', () => {
      assert.equal(pipelineOfStage('C7:LOSE'), 7);
      assert.equal(pipelineOfStage('LOSE'), 0);
      assert.equal(stageBelongsTo('C7:NEW', 7), true);
      assert.equal(stageBelongsTo('NEW', 7), false);
      assert.equal(newStageOf(0), 'NEW');
      assert.equal(newStageOf(12), 'C12:NEW');
    });
  });
});
