/**
 * The one loader of the lost-deal activities: the lost element (a deal with its context, or a
 * lead) as the CRM has it now, the rule of its current loss and its facts (src/domain), and the
 * client's name for texts managers read.
 */
import type { DealContext, Lead } from '../../bitrix24';
import { lostFacts, lostRuleOf, type EffectiveLostRule, type LostFacts } from '../../domain';
import type { CrmEntity } from '../../shared/names';
import { clientNameOf, type ActivityDeps } from '../shared';

export type Element = { entity: 'deal'; ctx: DealContext } | { entity: 'lead'; lead: Lead };

export interface LoadedElement {
  element: Element;
  /** The effective rule of the element's current loss, or why there is none. */
  found: { rule: EffectiveLostRule } | { why: string };
  facts: LostFacts;
}

/** The element, its rule and facts; undefined when it was deleted. */
export async function loadElement(deps: ActivityDeps, entity: CrmEntity, id: number): Promise<LoadedElement | undefined> {
  const element = await readElement(deps, entity, id);
  return element ? { element, found: lostRuleOf(deps.rules(), element), facts: lostFacts(element) } : undefined;
}

export async function readElement(deps: ActivityDeps, entity: CrmEntity, id: number): Promise<Element | undefined> {
  if (entity === 'deal') {
    const ctx = await deps.crm.getDealContext(id);
    return ctx ? { entity, ctx } : undefined;
  }
  const lead = await deps.crm.getLead(id);
  return lead ? { entity, lead } : undefined;
}

/** The client's name for texts managers read (a deal's context has it; a lead costs one REST call). */
export async function clientNameFor(deps: ActivityDeps, element: Element): Promise<string | undefined> {
  if (element.entity === 'deal' && element.ctx.clientName) return element.ctx.clientName;
  const { companyId, contactId } = element.entity === 'deal' ? element.ctx.deal : element.lead;
  if (companyId) return clientNameOf(deps, { kind: 'company', id: companyId });
  if (contactId) return clientNameOf(deps, { kind: 'contact', id: contactId });
  return undefined;
}

/** The activities' clock (a test passes its own). */
export function nowOf(deps: ActivityDeps): Date {
  return deps.now?.() ?? new Date();
}
