import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatIssue,
  loadRules,
  loadRulesText,
  parseRules,
  RulesError,
  rulesWarnings,
  safeParseRules,
  safeParseRulesText,
  summarizeRules,
  type RulesIssue,
} from '../../src/config/rules';
import { findLostRule } from '../../src/domain/lost-rules';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'config/rules.example.yaml');
const DEMO = join(ROOT, 'config/rules.demo.yaml');

function issuesOf(yaml: string): RulesIssue[] {
  const parsed = safeParseRulesText(yaml);
  assert.equal(parsed.ok, false, 'expected the rules to be rejected');
  return (parsed as { issues: RulesIssue[] }).issues;
}

function issueAt(issues: RulesIssue[], path: string): RulesIssue {
  const issue = issues.find((i) => i.path === path);
  assert.ok(issue, `no issue at ${path}; got:\n${issues.map(formatIssue).join('\n')}`);
  return issue;
}

/** A valid file around one pipeline's reasons (YAML lines). */
function withReasons(reasons: string): string {
  return `version: 1
lostDeals:
  pipelines:
    - categoryId: 0
      reasons:
${reasons}
`;
}

describe('rules file', () => {
  describe('the shipped files', () => {
    it('config/rules.example.yaml is valid and says what the seeds say', () => {
      const rules = loadRules(EXAMPLE);
      const main = rules.lostDeals.pipelines[0]!;
      const reason = (name: string) => main.reasons.find((r) => r.name === name);
      assert.deepEqual(reason('Дорого')?.returnPeriod, { kind: 'static', period: { months: 1 } });
      assert.deepEqual(reason('Не устроили условия оплаты')?.returnPeriod, { kind: 'static', period: { weeks: 2 } });
      assert.equal(reason('Нецелевое обращение')?.reactivate, false);
      assert.equal(reason('Вернуться позже')?.returnPeriod?.kind, 'manager');
      assert.equal(rules.lostDeals.target?.categoryId, 7);
      assert.equal(rules.lostDeals.forgotten?.stageId, 'C7:UC_FORGOTTEN');
      assert.deepEqual(rules.clients?.chains[0]?.steps.map((s) => s.name), ['Фундамент', 'Стены', 'Крыша']);
      assert.ok(rules.expiry?.rules.some((r) => r.name === 'Лицензии ПО' && r.reminders.length >= 4));
      assert.equal(rules.contactPolicy?.exitWhenClientCameBack, true);
      assert.deepEqual(rulesWarnings(rules), []);
    });

    it('config/rules.demo.yaml is valid, around the clock, with periods of seconds and minutes', () => {
      const rules = loadRules(DEMO);
      const calendar = rules.defaults.calendar;
      assert.deepEqual(calendar.workingDays, [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(calendar.workingHours, { from: '00:00', to: '24:00' });
      const periods = rules.lostDeals.pipelines.flatMap((p) => p.reasons).flatMap((r) => {
        const rp = r.returnPeriod;
        if (!rp) return [];
        if (rp.kind === 'static') return [rp.period];
        if (rp.kind === 'byAmount') return [...rp.brackets.map((b) => b.period), rp.otherwise];
        if (rp.kind === 'bySource' || rp.kind === 'bySection') return [...rp.cases.map((c) => c.period), rp.otherwise];
        if (rp.kind === 'manager') return [...rp.options.map((o) => o.period), rp.default];
        return [];
      });
      assert.ok(periods.length >= 5);
      for (const p of periods) {
        assert.deepEqual(Object.keys(p).filter((u) => u !== 'seconds' && u !== 'minutes'), [], `demo period ${JSON.stringify(p)} is too long`);
      }
      const apology = findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'APOLOGY' });
      assert.equal(apology.decision, 'skip');
      assert.equal(findLostRule(rules, { entity: 'deal', categoryId: 0, stageId: 'LOSE' }).decision, 'reactivate');
    });

    it('summarizes a file for rules:check', () => {
      assert.equal(
        summarizeRules(loadRules(DEMO)),
        '7 lost-deal reasons (5 reactivated) in 2 pipelines, 3 lead statuses, 4 purchase periods, 1 sales chain (3 steps), 1 expiry rule (4 reminders), calendar Europe/Moscow',
      );
    });
  });

  describe('defaults', () => {
    it('a file with only "version: 1" is valid and filled with the defaults', () => {
      const rules = parseRules({ version: 1 });
      assert.equal(rules.defaults.calendar.timeZone, 'Europe/Moscow');
      assert.deepEqual(rules.defaults.calendar.workingDays, [1, 2, 3, 4, 5]);
      assert.deepEqual(rules.defaults.calendar.workingHours, { from: '09:00', to: '18:00' });
      assert.deepEqual(rules.defaults.responsible, { strategy: 'original', fallback: { strategy: 'departmentHead' } });
      assert.equal(rules.defaults.dailyCap, null);
      assert.deepEqual(rules.defaults.todoDeadline, { workingDays: 1 });
      assert.equal(rules.lostDeals.maxReactivations, 3);
      assert.equal(rules.lostDeals.templates.dealTitle, 'Реактивация: {title} (попытка {attempt})');
      assert.deepEqual(rules.lostDeals.notifications.beforeReturn.before, [{ days: 1 }]);
      assert.deepEqual(rules.lostDeals.managerDates, { minAhead: { hours: 1 }, maxAhead: { years: 1 } });
      assert.equal(rules.lostDeals.marks.attemptField, 'UF_CRM_REACT_ATTEMPT');
      assert.equal(rules.clients, undefined);
      assert.equal(rules.expiry, undefined);
    });

    it('reads "unlimited", weekday names in English and Russian, and ids written as numbers', () => {
      const rules = loadRulesText(`
version: 1
defaults:
  calendar: { workingDays: [пн, tue, 3, чт, fri] }
lostDeals:
  maxReactivations: unlimited
  leads:
    target: { statusId: IN_PROCESS }
    statuses: [{ statusId: 1, name: Нет бюджета, returnPeriod: 3 месяца }]
`);
      assert.deepEqual(rules.defaults.calendar.workingDays, [1, 2, 3, 4, 5]);
      assert.equal(rules.lostDeals.maxReactivations, null);
      assert.equal(rules.lostDeals.leads?.statuses[0]?.statusId, '1');
      assert.deepEqual(rules.lostDeals.leads?.statuses[0]?.returnPeriod, { kind: 'static', period: { months: 3 } });
    });

    it('resolves YAML anchors from the ids block', () => {
      const rules = loadRulesText(`
version: 1
ids:
  reactivation: &reactivation 7
  newStage: &newStage "C7:NEW"
lostDeals:
  target: { categoryId: *reactivation, stageId: *newStage }
`);
      assert.deepEqual(rules.lostDeals.target, { action: 'copy', categoryId: 7, stageId: 'C7:NEW' });
    });
  });

  describe('errors, each with its path and line', () => {
    it('a bad duration deep in a pipeline', () => {
      const issues = issuesOf(
        withReasons(`        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
        - { stageId: UC_PAYMENT, name: Условия оплаты, returnPeriod: 2 weeks }
        - { stageId: UC_SILENT, name: Не отвечает, returnPeriod: 2 weaks }`),
      );
      assert.equal(issues.length, 1);
      const issue = issueAt(issues, 'lostDeals.pipelines[0].reasons[2].returnPeriod');
      assert.match(issue.message, /^expected a duration .*unknown unit "weaks"/);
      assert.equal(issue.line, 8);
      assert.match(formatIssue(issue), /^lostDeals\.pipelines\[0\]\.reasons\[2\]\.returnPeriod: expected a duration .* \(line 8\)$/);
    });

    it('typos in keys, with a suggestion', () => {
      const issues = issuesOf(withReasons('        - { stageId: LOSE, name: Дорого, retunPeriod: 1 month, returnPeriod: 1 month }'));
      assert.equal(issueAt(issues, 'lostDeals.pipelines[0].reasons[0]').message, 'unknown key "retunPeriod" (did you mean "returnPeriod"?)');
    });

    it('stage ids of another pipeline, duplicates, and a missing return period', () => {
      const issues = issuesOf(`version: 1
lostDeals:
  target: { categoryId: 7, stageId: NEW }
  pipelines:
    - categoryId: 7
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
        - { stageId: "C7:LOSE", name: Дорого }
        - { stageId: "C7:LOSE", name: Дорого ещё раз, returnPeriod: 1 month }
`);
      assert.match(issueAt(issues, 'lostDeals.target.stageId').message, /stage "NEW" is not in pipeline 7; expected "C7:..."/);
      assert.match(issueAt(issues, 'lostDeals.pipelines[0].reasons[0].stageId').message, /not in pipeline 7/);
      assert.match(issueAt(issues, 'lostDeals.pipelines[0].reasons[2].stageId').message, /"C7:LOSE" is already reasons\[1\]/);
      assert.match(issueAt(issues, 'lostDeals.pipelines[0].reasons[1].returnPeriod').message, /expected a return period/);
      assert.equal(issues.length, 4);
      // Listed in file order.
      assert.deepEqual(issues.map((i) => i.line), [3, 7, 8, 9]);
    });

    it('computed and manager periods: wrong kind, unordered brackets, list without options', () => {
      const issues = issuesOf(
        withReasons(`        - stageId: LOSE
          name: A
          returnPeriod: { kind: byWeather, otherwise: 1 month }
        - stageId: UC_B
          name: B
          returnPeriod: { kind: byAmount, brackets: [{ below: 1000, period: 1 week }, { below: 10, period: 2 weeks }], otherwise: 1 month }
        - stageId: UC_C
          name: C
          returnPeriod: { kind: manager, listField: UF_CRM_PERIOD, default: 1 month }
        - stageId: UC_D
          name: D
          returnPeriod: 30`),
      );
      assert.match(issueAt(issues, 'lostDeals.pipelines[0].reasons[0].returnPeriod.kind').message, /expected one of "static", "byAmount", "bySection", "bySource", "manager", "learned"/);
      assert.match(issueAt(issues, 'lostDeals.pipelines[0].reasons[1].returnPeriod.brackets[1].below').message, /ascending/);
      assert.match(issueAt(issues, 'lostDeals.pipelines[0].reasons[2].returnPeriod.options').message, /list items and their periods/);
      assert.match(issueAt(issues, 'lostDeals.pipelines[0].reasons[3].returnPeriod').message, /expected a duration such as "1 month", or an object with "kind"/);
    });

    it('learned periods: defaults, and "max" not shorter than "min"', () => {
      const rules = loadRulesText(withReasons('        - { stageId: LOSE, name: A, returnPeriod: { kind: learned, otherwise: 1 month, min: 1 week, max: 6 months } }'));
      assert.deepEqual(rules.lostDeals.pipelines[0]!.reasons[0]!.returnPeriod, {
        kind: 'learned',
        otherwise: { months: 1 },
        minSamples: 5,
        min: { weeks: 1 },
        max: { months: 6 },
        lookback: { years: 1 },
      });
      const learned = (rest: string) => issuesOf(withReasons(`        - { stageId: LOSE, name: A, returnPeriod: { kind: learned, otherwise: 1 month, ${rest} } }`));
      assert.equal(issueAt(learned('minSamples: 0, min: 1 week, max: 6 months'), 'lostDeals.pipelines[0].reasons[0].returnPeriod.minSamples').message, 'expected at least 1');
      const bounds = learned('min: 2 months, max: 30 days');
      assert.deepEqual(bounds.map(formatIssue), ['lostDeals.pipelines[0].reasons[0].returnPeriod.max: "max" (30 days) is shorter than "min" (2 months) (line 6)']);
    });

    it('purchase learning: "max" not shorter than "min" either (the same check)', () => {
      const example = readFileSync(EXAMPLE, 'utf8');
      const bad = example.replace('learning: { lastPurchases: 6, minPurchases: 3, min: 1 week, max: 3 months }', 'learning: { lastPurchases: 6, minPurchases: 3, min: 3 months, max: 1 week }');
      assert.notEqual(bad, example);
      assert.deepEqual(issuesOf(bad).map((i) => `${i.path}: ${i.message}`), ['clients.learning.max: "max" (1 week) is shorter than "min" (3 months)']);
    });

    it('reason field pipelines need values, not stage ids', () => {
      const issues = issuesOf(`version: 1
lostDeals:
  pipelines:
    - categoryId: 0
      reasonField: UF_CRM_LOSS_REASON
      reasons:
        - { stageId: LOSE, name: A, returnPeriod: 1 month }
`);
      assert.match(issueAt(issues, 'lostDeals.pipelines[0].reasons[0].value').message, /expected "value"/);
      assert.match(issueAt(issues, 'lostDeals.pipelines[0].reasons[0].stageId').message, /unexpected "stageId"/);
    });

    it('calendar, responsible, limits and templates', () => {
      const issues = issuesOf(`version: 1
defaults:
  calendar:
    timeZone: Europe/Moskow
    workingDays: [mon, funday]
    workingHours: { from: "18:00", to: "09:00" }
    holidays: [2026-02-30]
  responsible: { strategy: pool, pick: roundRobin }
  dailyCap: 0
lostDeals:
  maxReactivations: -1
  templates:
    dealTitle: "Реактивация {titel}"
`);
      assert.match(issueAt(issues, 'defaults.calendar.timeZone').message, /IANA time zone/);
      assert.match(issueAt(issues, 'defaults.calendar.workingDays[1]').message, /mon\.\.sun/);
      assert.match(issueAt(issues, 'defaults.calendar.workingHours.to').message, /"from" earlier than "to"/);
      assert.match(issueAt(issues, 'defaults.calendar.holidays[0]').message, /not a calendar date/);
      assert.match(issueAt(issues, 'defaults.responsible').message, /either "users" or "departmentId"/);
      assert.match(issueAt(issues, 'defaults.dailyCap').message, /at least 1, or "unlimited"/);
      assert.match(issueAt(issues, 'lostDeals.maxReactivations').message, /at least 1, or "unlimited"/);
      assert.match(issueAt(issues, 'lostDeals.templates.dealTitle').message, /unknown placeholder \{titel\}; available: \{title\}/);
      assert.equal(issueAt(issues, 'defaults.calendar.timeZone').line, 4);
    });

    it('clients, chains and expiry', () => {
      const issues = issuesOf(`version: 1
clients:
  periods: { default: 6 weeks }
  chains:
    - name: Дом
      steps:
        - { name: Фундамент, sections: [20], after: 1 month }
        - { name: Стены }
expiry:
  rules:
    - name: Лицензии
      expiresAt: { kind: consumption }
      reminders:
        - { before: 1 day, after: 1 day, action: notify }
        - { before: 1 week, action: bizproc }
        - { before: 1 month, action: deal }
`);
      assert.match(issueAt(issues, 'clients.target').message, /^required/);
      assert.match(issueAt(issues, 'clients.chains[0].steps[0].after').message, /first step has no "after"/);
      assert.match(issueAt(issues, 'clients.chains[0].steps[1]').message, /"products" or "sections"/);
      assert.match(issueAt(issues, 'clients.chains[0].steps[1].after').message, /typical gap/);
      assert.match(issueAt(issues, 'expiry.rules[0].expiresAt').message, /expected a rate/);
      assert.match(issueAt(issues, 'expiry.rules[0].reminders[0]').message, /either "before" or "after"/);
      assert.match(issueAt(issues, 'expiry.rules[0].reminders[1].bizprocTemplateId').message, /bizprocTemplateId/);
      assert.match(issueAt(issues, 'expiry.rules[0].reminders[2].action').message, /needs expiry.target/);
    });

    it('the file itself: not YAML, duplicate keys, not a mapping, no version', () => {
      const syntax = issuesOf('version: 1\nlostDeals:\n  pipelines: [\n    - a\n');
      assert.equal(syntax[0]!.path, '(yaml)');
      assert.equal(syntax[0]!.line, 4);
      assert.match(issuesOf('version: 1\nversion: 1\n')[0]!.message, /unique/);
      assert.match(issueAt(issuesOf('- 1\n- 2\n'), '(root)').message, /expected object, received array/);
      assert.match(issueAt(issuesOf('lostDeals: {}\n'), 'version').message, /version: 1/);
    });

    it('validates objects too (JSON), without lines', () => {
      const parsed = safeParseRules({ version: 1, lostDeals: { pipelines: [{ categoryId: -1, reasons: [] }] } });
      assert.equal(parsed.ok, false);
      if (parsed.ok) return;
      assert.deepEqual(
        parsed.issues.map((i) => i.path),
        ['lostDeals.pipelines[0].categoryId', 'lostDeals.pipelines[0].reasons'],
      );
      assert.equal(parsed.issues[0]!.line, undefined);
    });

    it('RulesError lists every problem; a missing file is a RulesError too', () => {
      try {
        loadRulesText('version: 2\nfoo: 1\n', 'bad.yaml');
        assert.fail('expected a RulesError');
      } catch (error) {
        assert.ok(error instanceof RulesError);
        assert.equal(error.issues.length, 2);
        assert.match(error.message, /^bad\.yaml: 2 problems\n {2}- version: .*\n {2}- \(root\): unknown key "foo"/);
      }
      assert.throws(() => loadRules('/nonexistent/rules.yaml'), (e: unknown) => e instanceof RulesError && e.issues[0]!.path === '(file)');
    });
  });

  it('warns about a target pipeline whose losses are not configured', () => {
    const rules = loadRulesText(
      withReasons('        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }').replace(
        'lostDeals:\n',
        'lostDeals:\n  target: { categoryId: 7, stageId: "C7:NEW" }\n  forgotten: { categoryId: 7, stageId: "C7:LOSE" }\n',
      ),
    );
    assert.deepEqual(rulesWarnings(rules).map((w) => w.path), ['lostDeals.target']);
  });

  it('warns when a learned period has no reactivation deals to learn from (a move target, a lead)', () => {
    const learned = '{ kind: learned, otherwise: 1 month, min: 1 week, max: 6 months }';
    const rules = loadRulesText(
      withReasons(
        [
          `        - { stageId: LOSE, name: Дорого, returnPeriod: ${learned}, target: { action: move, categoryId: 0, stageId: NEW } }`,
          `        - { stageId: UC_PAYMENT, name: Оплата, returnPeriod: ${learned} }`,
        ].join('\n'),
      )
        .replace('lostDeals:\n', 'lostDeals:\n  target: { categoryId: 0, stageId: NEW }\n  forgotten: { categoryId: 0, stageId: LOSE }\n')
        .concat(`  leads:\n    target: { statusId: IN_PROCESS }\n    returnPeriod: ${learned}\n    statuses:\n      - { statusId: JUNK, name: Мусор }\n`),
    );
    assert.deepEqual(
      rulesWarnings(rules).map((w) => w.path),
      ['lostDeals.pipelines[0].reasons[0]', 'lostDeals.leads.statuses[0]'],
    );
    assert.match(rulesWarnings(rules)[0]!.message, /"otherwise" always applies/);
  });

  describe('npm run rules:check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-check-'));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--require', 'tsx/cjs', join(ROOT, 'src/cli/rules-check.ts'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RULES_FILE: '' } });

    it('prints a summary and exits 0 for valid files', () => {
      const result = run(DEMO, EXAMPLE);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^OK: 7 lost-deal reasons \(5 reactivated\) in 2 pipelines, .*rules\.demo\.yaml\)$/m);
      assert.match(result.stdout, /^OK: 13 lost-deal reasons/m);
    });

    it('prints every problem with its path and line and exits 1', () => {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, withReasons('        - { stageId: LOSE, name: Дорого, returnPeriod: 1 mnth }\n        - { stageId: C7:X, name: X, returnPeriod: 1 day }'));
      const result = run(bad);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /INVALID: .*bad\.yaml: 2 problems/);
      assert.match(result.stderr, /lostDeals\.pipelines\[0\]\.reasons\[0\]\.returnPeriod: expected a duration .* \(line 6\)/);
      assert.match(result.stderr, /lostDeals\.pipelines\[0\]\.reasons\[1\]\.stageId: stage "C7:X" is not in pipeline 0.*\(line 7\)/);
    });

    it('exits 2 without a file', () => {
      assert.equal(run().status, 2);
    });
  });
});
