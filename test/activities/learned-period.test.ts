/**
 * The `learned` return period through planLostReactivation against the sandbox (in process, no
 * Temporal): won first reactivations of the reason, found by their marks, and their source
 * deals' loss moments give the samples; the lookback, the other reasons, later attempts, lost
 * reactivations and deals the service did not make are left out; what it costs in requests.
 */
import assert from 'node:assert/strict';
import { createLostDealActivities } from '../../src/activities/lost-deal';
import { loadRulesText, type Rules } from '../../src/config/rules';
import { startSandbox, type SandboxHandle } from '@b24r/sandbox';
import { activityDeps, ALWAYS_OPEN } from './support';

const DAY = 86_400_000;
const PAYMENT = 'Не устроили условия оплаты';

const rulesText = (lookback: string, minSamples = 5) => `
${ALWAYS_OPEN}
lostDeals:
  target: { categoryId: 1, stageId: "C1:NEW" }
  notifications: { beforeReturn: { manager: false } }
  pipelines:
    - categoryId: 0
      reasons:
        - stageId: UC_PAYMENT
          name: ${PAYMENT}
          returnPeriod: { kind: learned, otherwise: 2 weeks, minSamples: ${minSamples}, min: 1 week, max: 6 months, lookback: ${lookback} }
        - stageId: LOSE
          name: Дорого
          returnPeriod: { kind: learned, otherwise: 1 month, minSamples: 3, min: 1 week, max: 6 months }
`;

/** The mark fields createReactivation writes (setup creates them on a real portal). */
async function addMarkFields(sb: SandboxHandle): Promise<void> {
  const { crm } = activityDeps(sb, () => loadRulesText(rulesText('1 year')));
  for (const [fieldName, userTypeId] of [['REACT_SOURCE', 'integer'], ['REACT_REASON', 'string'], ['REACT_ATTEMPT', 'integer'], ['REACT_DATE', 'datetime']] as const) {
    await crm.addDealUserField({ fieldName, userTypeId });
  }
}

describe('learned return period: planLostReactivation against the sandbox', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;

  /** The planning activity under `rules`, on the portal's clock. */
  const planner = (rules: Rules) => createLostDealActivities(activityDeps(sb, () => rules, { retries: true })).planLostReactivation;
  const lost = (stageId: string) => {
    const id = sb.portal.createDeal({ TITLE: 'Мешки', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3 });
    sb.portal.loseDeal(id, stageId);
    return id;
  };
  /** A reactivation deal of `source` as createReactivation writes it (with its marks). */
  const reactivation = (source: number, reason: string, attempt = 1, fields: Record<string, unknown> = { ORIGINATOR_ID: 'b24-reactivation' }) =>
    sb.portal.createDeal({
      TITLE: 'Реактивация: Мешки', CATEGORY_ID: 1, STAGE_ID: 'C1:NEW', ASSIGNED_BY_ID: 3, ORIGIN_ID: `reactivation-deal-${source}#${attempt}`, ...fields,
      UF_CRM_REACT_SOURCE: source, UF_CRM_REACT_REASON: reason, UF_CRM_REACT_ATTEMPT: attempt, UF_CRM_REACT_DATE: new Date(sb.portal.now()).toISOString(),
    });
  const requests = () => sb.callLog.httpRequests().length;

  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
    await addMarkFields(sb);
    // Over a year ago: a conversion after 5 days (only a 2-year lookback sees it).
    const old = lost('UC_PAYMENT');
    sb.portal.advanceClock(5 * DAY);
    sb.portal.winDeal(reactivation(old, PAYMENT));
    sb.portal.advanceClock(400 * DAY);

    // This year: five conversions after 20, 30, 38, 45 and 90 days, and deals that must not count.
    const sources = [20, 30, 38, 45, 90].map(() => lost('UC_PAYMENT'));
    const others = {
      expensive: lost('LOSE'), // another reason
      second: lost('UC_PAYMENT'), // a second attempt: its source was lost at another moment
      lostAgain: lost('UC_PAYMENT'), // a reactivation lost again, not won
      foreign: lost('UC_PAYMENT'), // the marks on a deal the service did not make
    };
    sb.portal.advanceClock(DAY);
    sb.portal.winDeal(reactivation(others.expensive, 'Дорого'));
    sb.portal.winDeal(reactivation(others.second, PAYMENT, 2));
    sb.portal.loseDeal(reactivation(others.lostAgain, PAYMENT), 'C1:LOSE');
    sb.portal.winDeal(reactivation(others.foreign, PAYMENT, 1, {}));
    // Reactivated 20…90 days after the loss, all won only on day 95: the waits count, not the
    // closing time (loss-to-win would give 95 days each).
    let day = 1;
    const made: number[] = [];
    for (const [i, days] of [20, 30, 38, 45, 90].entries()) {
      sb.portal.advanceClock((days - day) * DAY);
      day = days;
      made.push(reactivation(sources[i]!, PAYMENT));
    }
    sb.portal.advanceClock(5 * DAY);
    for (const id of made) sb.portal.winDeal(id);
    sb.portal.advanceClock(DAY);
  });
  after(async () => {
    await sb?.close();
  });

  it('returns after the median of the won first reactivations within the lookback, for 2 extra requests', async () => {
    const plan = planner(loadRulesText(rulesText('1 year')));
    const deal = lost('UC_PAYMENT');
    const before = requests();
    const result = await plan({ entity: 'deal', id: deal, lostElementId: deal, attempt: 1 });
    assert.equal(requests() - before, 3, 'the deal context batch, the won reactivations, their source deals');
    assert.equal(result.decision, 'reactivate');
    if (result.decision !== 'reactivate') return;
    assert.equal(result.why, `${PAYMENT}: median of 5 past conversions: 38 days`);
    const lostAt = Date.parse(String(sb.portal.get('deal', deal)!.MOVED_TIME));
    assert.equal(Date.parse(result.returnAt), lostAt + 38 * DAY);

    // The next loss of the reason within the hour reads the samples no more.
    const next = lost('UC_PAYMENT');
    const mark = requests();
    const again = await plan({ entity: 'deal', id: next, lostElementId: next, attempt: 1 });
    assert.equal(requests() - mark, 1, 'only the deal context batch');
    assert.equal(again.why, result.why);
  });

  it('applies the lookback when reading: two years also see the old 5-day conversion', async () => {
    const deal = lost('UC_PAYMENT');
    const result = await planner(loadRulesText(rulesText('2 years')))({ entity: 'deal', id: deal, lostElementId: deal, attempt: 1 });
    assert.equal(result.why, `${PAYMENT}: median of 6 past conversions: 34 days`); // (30 + 38) / 2
  });

  it('falls back to "otherwise" with too few conversions of the reason', async () => {
    const deal = lost('LOSE');
    const result = await planner(loadRulesText(rulesText('1 year')))({ entity: 'deal', id: deal, lostElementId: deal, attempt: 1 });
    assert.equal(result.why, 'Дорого: only 1 past conversion (< 3); otherwise 1 month');
  });
});

describe('learned return period on a portal whose CLOSEDATE keeps the planned date', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;
  const rules = loadRulesText(rulesText('1 year', 3));
  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
    await addMarkFields(sb);
  });
  after(async () => {
    await sb?.close();
  });

  it('counts the reactivations won within the lookback by their move into the won stage, though their CLOSEDATE was planned before it', async () => {
    // Close dates planned two years back and never rewritten on winning (set in the same update).
    const planned = new Date(sb.portal.now() - 730 * DAY).toISOString().slice(0, 10);
    for (const days of [20, 30, 40]) {
      const source = sb.portal.createDeal({ TITLE: 'Мешки', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3 });
      sb.portal.loseDeal(source, 'UC_PAYMENT');
      sb.portal.advanceClock(days * DAY);
      const made = sb.portal.createDeal({
        TITLE: 'Реактивация: Мешки', CATEGORY_ID: 1, STAGE_ID: 'C1:NEW', ASSIGNED_BY_ID: 3, ORIGINATOR_ID: 'b24-reactivation', ORIGIN_ID: `reactivation-deal-${source}#1`, CLOSEDATE: planned,
        UF_CRM_REACT_SOURCE: source, UF_CRM_REACT_REASON: PAYMENT, UF_CRM_REACT_ATTEMPT: 1, UF_CRM_REACT_DATE: new Date(sb.portal.now()).toISOString(),
      });
      sb.portal.updateDeal(made, { STAGE_ID: 'C1:WON', CLOSEDATE: planned });
    }
    const deal = sb.portal.createDeal({ TITLE: 'Мешки', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3 });
    sb.portal.loseDeal(deal, 'UC_PAYMENT');
    const result = await createLostDealActivities(activityDeps(sb, () => rules)).planLostReactivation({ entity: 'deal', id: deal, lostElementId: deal, attempt: 1 });
    assert.equal(result.why, `${PAYMENT}: median of 3 past conversions: 30 days`);
  });
});
