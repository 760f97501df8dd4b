/**
 * The fault suite, short form (part of `npm test`; the long form is `npm run faults:long`).
 * The service runs as `npm start` does, in a child process, against a real Temporal dev server
 * and the Bitrix24 sandbox; each test injects one kind of fault and judges only counts:
 *
 *   1. webhook deliveries dropped → the reconciliation Schedule recovers every lost deal, a late
 *      webhook plus the reconciler never make two, and the next run starts at the watermark;
 *   2. the service SIGKILLed again and again during a storm of due reactivations → exactly one
 *      reactivation deal per lost deal (stack K, in parallel with the rest);
 *   3. the Temporal dev server killed and restarted on its db file while reactivations sleep →
 *      all resume and finish; the reconciler's watermark survives;
 *   4. the portal answering 503 for a while → no workflow fails, all finish after;
 *   5. crm.deal.add / to-do answers lost after the write → zero duplicates;
 *   6. malformed webhooks, API calls, messages, env values and rules → clear 4xx / validation
 *      errors naming the field, no crash;
 *   7. forged application tokens → refused and never acted on; no secret in the logs.
 *
 * The figures are printed as one line (and the timings as another) after the suite.
 */
import assert from 'node:assert/strict';
import { faultSuite } from './run';
import { formatLine, formatNotes, SHORT, type ScenarioResult } from './scenarios';

describe('fault suite (short): the promises under faults, on the dev server and the sandbox', function () {
  this.timeout(900_000);
  const suite = faultSuite(SHORT);

  before(async function () {
    this.timeout(600_000);
    await suite.start();
  });

  after(async function () {
    this.timeout(300_000);
    if (suite.results.length) {
      console.log(`      ${formatLine(suite.results)}`);
      const notes = formatNotes(suite.results);
      if (notes) console.log(`      ${notes}`);
    }
    await suite.stop();
  });

  const judge = (r: ScenarioResult) => assert.deepEqual(r.problems, [], `${r.name}:\n  ${r.problems.join('\n  ')}`);
  const [reconcile, restart, lostResponses, outage, malformed] = suite.steps;

  it('1. dropped webhooks: the reconciliation Schedule recovers every lost deal, late webhooks add nothing, the next run starts at the watermark', async () => {
    judge(await reconcile.run());
  });

  it('3. the Temporal dev server killed and restarted while reactivations sleep: all resume and finish, the watermark survives', async () => {
    judge(await restart.run());
  });

  it('5. crm.deal.add and to-do answers lost after the write: zero duplicates', async () => {
    judge(await lostResponses.run());
  });

  it('4. the portal answers 503 for a while: no workflow fails, all finish after', async () => {
    judge(await outage.run());
  });

  it('6. malformed webhooks, API calls, messages, env values and rules files: clear 4xx naming the field, no crash', async () => {
    const r = await malformed.run();
    judge(r);
    assert.ok(Number(r.figures.find(([k]) => k === 'cases')![1]) >= 50);
  });

  it('2. the service SIGKILLed repeatedly during a storm of due reactivations: exactly one reactivation deal per lost deal', async () => {
    judge(await suite.storm());
  });

  it('7. forged application tokens are never acted on; secrets never reach the logs; no failed workflow anywhere', async () => {
    judge(await suite.final());
  });
});
