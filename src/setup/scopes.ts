/**
 * The webhook's scopes against what the rules need (scope-needs.ts): read once with the
 * documented `scope` method. Used at start-up (src/cli/start/permissions.ts: a missing scope
 * stops it, exit 2) and as the first phase of setup (a missing scope is MISSING, exit 1). When
 * `scope` itself fails (an old portal, a refused call), the answer is "unknown": a warning, never
 * a block.
 */
import { hasScope, type CrmApi } from '../bitrix24';
import type { Rules } from '../config/rules';
import { failure, report, type Run } from './run';
import { describeScopes, scopeNeeds, type ScopeNeed } from './scope-needs';

export type ScopeCheck =
  | { status: 'ok'; needs: ScopeNeed[]; granted: string[] }
  | { status: 'missing'; needs: ScopeNeed[]; granted: string[]; missing: ScopeNeed[] }
  | { status: 'unknown'; needs: ScopeNeed[]; reason: string };

export async function checkWebhookScopes(crm: Pick<CrmApi, 'webhookScopes'>, rules: Rules): Promise<ScopeCheck> {
  const needs = scopeNeeds(rules);
  let granted: string[];
  try {
    granted = await crm.webhookScopes();
  } catch (error) {
    return { status: 'unknown', needs, reason: `scope: ${failure(error)}` };
  }
  const missing = needs.filter((n) => !hasScope(granted, n.scope));
  return missing.length > 0 ? { status: 'missing', needs, granted, missing } : { status: 'ok', needs, granted };
}

/** `the webhook lacks the scopes im, bizproc (needed by: notifications, expiry action bizproc)`. */
export function missingScopesMessage(missing: readonly ScopeNeed[]): string {
  return `the webhook lacks the scope${missing.length === 1 ? '' : 's'} ${describeScopes(missing)}; add ${missing.length === 1 ? 'it' : 'them'} to the inbound webhook's permissions in Bitrix24`;
}

// ---- Setup phase 0: the webhook's permissions -----------------------------------------------

const HOW_TO_GRANT = "add it to the inbound webhook's permissions (Developer resources → Other → Inbound webhook → edit)";

export async function ensureScopes(run: Run): Promise<void> {
  const { deps } = run;
  deps.reporter.line('Webhook permissions (scopes)');
  const check = await checkWebhookScopes(deps.crm, deps.rules);
  if (check.status === 'unknown') {
    report(run, {
      kind: 'scope',
      subject: `scopes ${check.needs.map((n) => n.scope).join(', ')}`,
      status: 'manual',
      detail: `could not read the webhook's scopes (${check.reason}): not checked — make sure the webhook has them`,
    });
    return;
  }
  for (const need of check.needs) {
    const ok = hasScope(check.granted, need.scope);
    report(run, {
      kind: 'scope',
      subject: `scope ${need.scope}`,
      status: ok ? 'ok' : 'missing',
      detail: ok ? `for ${need.usedBy.join(', ')}` : `needed by: ${need.usedBy.join(', ')} — ${HOW_TO_GRANT}`,
    });
  }
}
