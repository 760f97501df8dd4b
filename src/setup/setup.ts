/**
 * Portal setup (`npm run setup [-- --check]`): make the portal have what the rules need —
 * pipelines, stages, lead statuses, user fields, and the outbound event handlers — and nothing
 * more. First it checks the webhook's scopes against the rules (scopes.ts): a missing scope is
 * reported MISSING (setup cannot grant it; the run ends with exit code 1). Idempotent: everything is looked up first (pipelines by id, then by the name the rules
 * give them; stages by id; fields by name) and only what is missing is created, so a second run
 * only reads. `check` never writes; it reports what is missing or different.
 *
 * A pipeline that does not exist yet cannot be created under the id the rules use (the portal
 * assigns ids), so setup creates it by its name, prints the id it got and the exact lines of the
 * rules file to change (docs/decisions.md D-SETUP-1). Until the rules are edited, the run ends
 * with exit code 1 and `--check` reports the difference.
 *
 * Events: event.bind works only with application authorization; an inbound webhook is refused
 * (b24restdocs api-reference/events/event-bind.md, events/index.md). Setup tries to read and bind
 * the handlers, and when the portal refuses, prints the steps for the admin (an outbound webhook
 * with these events and this URL; its application token goes into B24_APP_TOKEN).
 *
 * Nothing printed carries the webhook secret or the application token.
 *
 * This file runs the phases in order and prints the summary: scopes.ts (the webhook's
 * permissions), pipelines.ts (pipelines, stages and lead statuses), fields.ts (user fields), events.ts (event handlers); run.ts holds the report
 * types and what the phases share.
 */
import { ensureEventSetup, outboundWebhookSteps, type EventSetup } from './events';
import { ensureFields } from './fields';
import { ensurePipelines, ensureStages } from './pipelines';
import { portalNeeds } from './requirements';
import { rulesLocator } from './rules-file';
import type { ItemStatus, Run, SetupDeps, SetupOptions, SetupReport } from './run';
import { ensureScopes } from './scopes';

export { EVENTS_PATH, REQUIRED_EVENTS, outboundWebhookSteps } from './events';
export type { ItemStatus, RulesEdit, SetupDeps, SetupItem, SetupOptions, SetupReport, SetupReporter } from './run';

export async function runSetup(deps: SetupDeps, opts: SetupOptions = {}): Promise<SetupReport> {
  const check = opts.check === true;
  const run: Run = { deps, check, locator: rulesLocator(deps.rulesText), items: [], edits: [], pipelineIds: [] };
  const requestsBefore = deps.b24.requestCount;
  const needs = portalNeeds(deps.rules);

  deps.reporter.line(`${check ? 'Checking' : 'Setting up'} the portal ${deps.b24.origin} for the rules${deps.rulesFile ? ` in ${deps.rulesFile}` : ''}${check ? ' (no changes)' : ''}`);

  await ensureScopes(run);
  const pipelineMap = await ensurePipelines(run, needs.pipelines);
  await ensureStages(run, needs.stages, pipelineMap);
  await ensureFields(run, needs.fields);
  const events = await ensureEventSetup(run);
  return summarize(run, events, deps.b24.requestCount - requestsBefore);
}

// ---- Summary --------------------------------------------------------------------------------

function summarize(run: Run, events: EventSetup, restCalls: number): SetupReport {
  const { check, items, edits, pipelineIds } = run;
  const out = run.deps.reporter;
  const rulesFile = run.deps.rulesFile;
  const counts = { ok: 0, created: 0, missing: 0, differs: 0, manual: 0, failed: 0 } as Record<ItemStatus, number>;
  for (const item of items) counts[item.status]++;

  if (edits.length > 0) {
    out.line('');
    out.line(`Edit the rules${rulesFile ? ` (${rulesFile})` : ''}: the portal has these objects under other ids`);
    for (const e of edits.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))) {
      out.line(`  ${e.line !== undefined ? `line ${String(e.line).padEnd(4)} ` : ''}${e.writtenAt}: ${e.from} → ${e.to}${e.writtenAt !== e.rulePath ? `   (used by ${e.rulePath})` : ''}`);
    }
    out.line('  then run setup again (or `npm run setup -- --check`).');
  }

  let manualEventSteps: string[] | undefined;
  if (events.manual) {
    manualEventSteps = outboundWebhookSteps(events.handler);
    out.line('');
    out.line('Register the outbound events by hand (once):');
    for (const step of manualEventSteps) out.line(`  ${step}`);
  }

  // A missing scope is never created by setup: it blocks a run as it blocks a check.
  const missingScopes = items.filter((i) => i.kind === 'scope' && i.status === 'missing').length;
  const blocking = counts.failed + counts.differs + edits.length + (check ? counts.missing : missingScopes);
  const exitCode: 0 | 1 = blocking > 0 ? 1 : 0;
  out.line('');
  out.line(
    `${check ? 'Check' : 'Setup'} done: ${counts.ok} ok, ${counts.created} created, ${counts.missing} missing, ${counts.differs} different, ` +
      `${counts.failed} failed, ${counts.manual} manual; ${edits.length} rules value${edits.length === 1 ? '' : 's'} to edit; ${restCalls} REST requests.` +
      (exitCode === 0 ? '' : check ? ' The portal does not match the rules.' : ' Action required (see above).'),
  );
  return { check, items, edits, pipelineIds, manualEventSteps, counts, restCalls, exitCode };
}
