/**
 * A lost deal or junk lead as the lost-deal scenario sees it: the rule of its current loss, the
 * facts plans and texts are made of, and the title a reactivation deal is named after. Plain
 * shapes (the Bitrix24 client's Deal, Lead and DealContext fit them); no I/O.
 */
import { findLostRule, type EffectiveLostRule } from './lost-rules';
import { clientOfDeal, type ClientKey } from './purchases';
import type { CrmFields, Rules } from './types';

type Semantic = 'P' | 'S' | 'F' | null;

/** What a deal and a lead share, as far as a loss is concerned. */
interface LostRecord {
  id: number;
  title: string;
  assignedById: number | null;
  movedAt: string | null;
  modifiedAt: string | null;
  opportunity: number;
  sourceId: string | null;
  companyId: number | null;
  contactId: number | null;
  userFields: CrmFields;
}

export interface LostDealRecord extends LostRecord {
  categoryId: number;
  stageId: string;
  stageSemantic: Semantic;
}

export interface LostLeadRecord extends LostRecord {
  statusId: string;
  statusSemantic: Semantic;
}

/** The element a lost-deal workflow plans from: a deal with its product rows, or a lead. */
export type LostElement =
  | { entity: 'deal'; ctx: { deal: LostDealRecord; productRows: readonly { productId: number | null }[] } }
  | { entity: 'lead'; lead: LostLeadRecord };

export interface LostFacts {
  title: string;
  managerId: number | undefined;
  /** When it moved to its failure stage (the last modification when the portal gave no move time). */
  lostAt: string | undefined;
  amount: number;
  sourceId: string | undefined;
  fields: CrmFields;
  productIds: number[];
  /** The client: the company, else the contact. */
  client: ClientKey | undefined;
}

/** The effective rule of the element's current loss, or why there is none. */
export function lostRuleOf(rules: Rules, element: LostElement): { rule: EffectiveLostRule } | { why: string } {
  if (element.entity === 'deal') {
    const deal = element.ctx.deal;
    if (deal.stageSemantic !== 'F') return { why: `deal ${deal.id} is not lost (stage ${deal.stageId})` };
    const found = findLostRule(rules, { entity: 'deal', categoryId: deal.categoryId, stageId: deal.stageId, fields: deal.userFields });
    return found.decision === 'reactivate' ? { rule: found.rule } : { why: found.why };
  }
  const lead = element.lead;
  if (lead.statusSemantic !== 'F') return { why: `lead ${lead.id} is not junk (status ${lead.statusId})` };
  const found = findLostRule(rules, { entity: 'lead', statusId: lead.statusId, fields: lead.userFields });
  return found.decision === 'reactivate' ? { rule: found.rule } : { why: found.why };
}

export function lostFacts(element: LostElement): LostFacts {
  const record: LostRecord = element.entity === 'deal' ? element.ctx.deal : element.lead;
  const productIds = element.entity === 'deal' ? element.ctx.productRows.map((r) => r.productId).filter((id): id is number => id !== null) : [];
  return {
    title: record.title,
    managerId: record.assignedById ?? undefined,
    lostAt: lostAtOf(record),
    amount: record.opportunity,
    sourceId: record.sourceId ?? undefined,
    fields: record.userFields,
    productIds,
    client: clientOfDeal({ companyId: record.companyId ?? undefined, contactId: record.contactId ?? undefined }, 'companyOrContact'),
  };
}

/** The moment of a loss: the move to the failure stage, else the last modification. */
export function lostAtOf(record: { movedAt: string | null; modifiedAt: string | null }): string | undefined {
  return record.movedAt ?? record.modifiedAt ?? undefined;
}

/**
 * Whether the lost element is a reactivation deal an earlier attempt made (then the original is
 * another deal). Such a deal's title is already a rendered `dealTitle`: the next copy is named
 * after the original instead, or the template would nest. Decided by the ids, not by the text
 * of the title, so it holds for any configured template.
 */
export function isEarlierReactivation(lost: { id: number }, originalId: number): boolean {
  return lost.id !== originalId;
}
