/**
 * Runs the whole fault suite on two stacks (test/e2e/stack.ts startProcessStack: dev server +
 * sandbox here, the service `npm start` in a child process):
 *
 *   stack A  reconciliation → dev server restart → lost answers → outage → malformed → forged
 *   stack K  the SIGKILL storm, in parallel (its recovery waits out the activities' 2-minute
 *            start-to-close timeout of the killed process, so it runs while A works)
 *
 * Both the short form (test/faults/faults.test.ts, in `npm test`) and the long form
 * (test/faults/long.ts, `npm run faults:long`) go through here; they differ only by profile.
 */
import { API_TOKEN, APP_TOKEN, startProcessStack, type ProcessStack } from '../e2e/stack';
import { forgedTokenScenario, malformedScenario } from './malformed';
import {
  failedWorkflows,
  killStormScenario,
  lostResponseScenario,
  outageScenario,
  reconcileScenario,
  serverRestartScenario,
  writeFaultRules,
  type FaultProfile,
  type ScenarioResult,
} from './scenarios';

export interface FaultSuite {
  /** Stack A's scenarios, in order; each resolves with its result (a thrown error = a failed scenario). */
  steps: { name: string; run: () => Promise<ScenarioResult> }[];
  /** Stack K's storm, started by start(). */
  storm: () => Promise<ScenarioResult>;
  /** Namespace-wide check of both stacks at the end. */
  final: () => Promise<ScenarioResult>;
  start(): Promise<void>;
  stop(): Promise<void>;
  results: ScenarioResult[];
}

/** Generous ceilings: a noisy 2-core machine, and retries that back off to minutes. */
const WAIT = { short: 240_000, long: 900_000 };

export function faultSuite(profile: FaultProfile): FaultSuite {
  const timeoutMs = WAIT[profile.name];
  let a: ProcessStack | undefined;
  let k: ProcessStack | undefined;
  let rules: { file: string; remove: () => void } | undefined;
  let storm: Promise<ScenarioResult> | undefined;
  const results: ScenarioResult[] = [];
  const record = async (run: () => Promise<ScenarioResult>) => {
    const r = await run();
    results.push(r);
    return r;
  };
  const need = () => {
    if (!a || !k) throw new Error('the fault stacks did not start');
    return { a, k };
  };
  const secretOf = (s: ProcessStack) => s.sandbox.webhookUrl.split('/rest/')[1].split('/')[1];

  return {
    results,
    async start() {
      rules = writeFaultRules(profile.sleepSeconds);
      const opts = (reconcile: string) => ({ rulesFile: rules!.file, limits: 'off' as const, env: { RECONCILE_EVERY: reconcile, DORMANT_SCAN_EVERY: 'off' } });
      // A: the reconciliation Schedule exists but only runs when a scenario triggers it.
      // K: no reconciliation in the test's time (a Schedule that never fires: with B24_WEBHOOK_URL
      // the service refuses RECONCILE_EVERY=off): every loss there must come through the webhook
      // and survive the kills.
      [a, k] = await Promise.all([startProcessStack(opts('3650 days')), startProcessStack(opts('3650 days'))]);
      storm = record(() => killStormScenario(k!, profile.storm, timeoutMs));
      storm.catch(() => undefined);
    },
    steps: [
      { name: 'reconcile', run: () => record(() => reconcileScenario(need().a, profile.reconcile, timeoutMs)) },
      { name: 'restart', run: () => record(() => serverRestartScenario(need().a, profile.restart, profile.sleepSeconds, timeoutMs)) },
      { name: 'lostResponses', run: () => record(() => lostResponseScenario(need().a, profile.lostResponses, timeoutMs)) },
      { name: 'outage', run: () => record(() => outageScenario(need().a, profile.outage, timeoutMs)) },
      { name: 'malformed', run: () => record(() => malformedScenario(need().a)) },
    ],
    storm: () => storm ?? Promise.reject(new Error('the storm did not start')),
    async final() {
      const { a, k } = need();
      await storm?.catch(() => undefined);
      const forged = await record(() =>
        forgedTokenScenario(a, [
          { name: 'service A', lines: a.logLines, secrets: [APP_TOKEN, API_TOKEN, secretOf(a)] },
          { name: 'service K', lines: k.logLines, secrets: [APP_TOKEN, API_TOKEN, secretOf(k)] },
        ]),
      );
      const failed = [...(await failedWorkflows(a.temporal)), ...(await failedWorkflows(k.temporal))];
      if (failed.length) forged.problems.push(`failed executions at the end: ${failed.map((f) => `${f.workflowId} ${f.status.name}`).join(', ')}`);
      forged.figures.push(['failedWorkflows', failed.length]);
      return forged;
    },
    async stop() {
      await Promise.all([a?.stop(), k?.stop()]);
      rules?.remove();
    },
  };
}
