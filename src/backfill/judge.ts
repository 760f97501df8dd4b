/**
 * The backfill's judgement of one listed element, by the same code the live path uses: routing
 * (src/domain/routing.ts) for which scenarios it concerns, and the activities' own planning
 * (planLostReactivation, planExpiry, readPurchase) for what they would do and when.
 */
import type { ExpiryPlan, LostPlan, PurchaseFact } from '../activities/contracts';
import { createExpiryActivities } from '../activities/expiry';
import { lossKeyOf } from '../activities/loss-key';
import { createLostDealActivities } from '../activities/lost-deal';
import { dealPurchaseMoment, readPurchase } from '../activities/purchases';
import { isOurs, type ActivityDeps } from '../activities/shared';
import type { Deal, Lead } from '../bitrix24';
import type { Rules } from '../config/rules';
import { clientOfDeal, lostRuleOfDeal, lostRuleOfLead, wonCounts, type ClientKey, type LostRuleDecision } from '../domain';
import type { CrmEntity } from '../shared/names';
import { COST } from './streams';

export interface Candidate {
  entity: CrmEntity;
  id: number;
  modifiedAt: string | null;
  labels: string[];
  wakeUps: { at: Date; what: string }[];
  lossKey?: string;
  purchase?: PurchaseFact;
  client?: ClientKey;
  expiry?: boolean;
  restCost: number;
}

export type Decision = { kind: 'skip'; why: string } | { kind: 'candidate'; candidate: Candidate };

export type Judge = ReturnType<typeof createJudge>;

/** `wonSince`: a won deal bought before it is history the backfill does not hand on. */
export function createJudge(rules: Rules, activityDeps: ActivityDeps, opts: { wonSince?: Date } = {}) {
  const { planLostReactivation } = createLostDealActivities(activityDeps);
  const { planExpiry } = createExpiryActivities(activityDeps);

  const lostRule = (entity: CrmEntity, element: Deal | Lead): LostRuleDecision =>
    entity === 'deal' ? lostRuleOfDeal(element as Deal, rules) : lostRuleOfLead(element as Lead, rules);
  /** A period by product section needs the deal's products (prefetched per page, not per deal). */
  const bySection = (lookup: LostRuleDecision): boolean => lookup.decision === 'reactivate' && lookup.rule.returnPeriod.kind === 'bySection';

  async function judgeLost(entity: CrmEntity, element: Deal | Lead): Promise<Decision> {
    if (entity === 'deal' && isOurs(element as Deal)) {
      return { kind: 'skip', why: 'a reactivation deal made by this service (its own workflow follows it)' };
    }
    const sections = bySection(lostRule(entity, element));
    const plan: LostPlan = await planLostReactivation({ entity, id: element.id, lostElementId: element.id, attempt: 1 });
    if (plan.decision === 'skip') return { kind: 'skip', why: plan.why };
    const where = entity === 'deal' ? `lost deal · pipeline ${(element as Deal).categoryId}` : 'junk lead';
    return {
      kind: 'candidate',
      candidate: {
        entity,
        id: element.id,
        modifiedAt: element.modifiedAt,
        labels: [`${where} · «${plan.reason.name}»`],
        wakeUps: [{ at: new Date(plan.returnAt), what: plan.why }],
        lossKey: lossKeyOf(element),
        // Backfilled losses are old news: their workflows send no "at loss" notice.
        restCost: COST.inboxRead + COST.lostPlan + (sections ? COST.bySection : 0),
      },
    };
  }

  async function judgeWon(deal: Deal): Promise<Decision> {
    const won = wonCounts(rules);
    const labels: string[] = [];
    const wake: Candidate['wakeUps'] = [];
    const skipWhy: string[] = [];
    const moment = await dealPurchaseMoment(activityDeps, deal);
    if (opts.wonSince && moment.at < opts.wonSince) return { kind: 'skip', why: `won before --since (purchase moment by ${moment.basis})` };
    let restCost = COST.inboxRead + COST.purchaseRead;
    const purchase = await readPurchase(activityDeps, deal, moment);
    let client: ClientKey | undefined;
    if (rules.clients && won.clients.includes(deal.categoryId)) {
      const clientOf = rules.clients.clientOf;
      client = clientOfDeal({ companyId: deal.companyId ?? undefined, contactId: deal.contactId ?? undefined }, clientOf);
      if (client) labels.push(`won deal · client cycle (${clientOf})`);
      else skipWhy.push(`no ${clientOf === 'companyOrContact' ? 'company or contact' : clientOf} on the deal`);
    }
    let expiryOn = false;
    if (won.expiry.includes(deal.categoryId)) {
      const plan: ExpiryPlan = await planExpiry({ dealId: deal.id });
      if (plan.decision === 'remind') {
        expiryOn = true;
        restCost += COST.expiryPlan;
        labels.push('won deal · expiry reminders');
        const first = plan.reminders[0];
        if (first) wake.push({ at: new Date(first.at), what: `expiry ${plan.expiresAt.slice(0, 10)}, reminder ${first.offset} (${first.action})` });
      } else {
        skipWhy.push(`expiry: ${plan.why}`);
      }
    }
    if (!client && !expiryOn) return { kind: 'skip', why: `won deal concerns no scenario: ${skipWhy.join('; ') || 'its pipeline is not configured'}` };
    return { kind: 'candidate', candidate: { entity: 'deal', id: deal.id, modifiedAt: deal.modifiedAt, labels, wakeUps: wake, purchase, client, expiry: expiryOn, restCost } };
  }

  return {
    judgeLost,
    judgeWon,
    /** Whether judging this lost deal needs its products (a period by section). */
    needsProducts: (element: Deal) => bySection(lostRule('deal', element)),
  };
}
