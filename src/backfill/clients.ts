/**
 * Clients the backfill meets among won deals: one purchase cycle per client, planned from its
 * latest purchase, the earlier ones kept (up to `learning.lastPurchases`) to teach the period.
 */
import type { PurchaseFact } from '../activities/contracts';
import { toDomainPurchase } from '../activities/purchases';
import type { Rules } from '../config/rules';
import { duePurchase, type ClientKey } from '../domain';
import { clientKeyOf } from '../shared/names';
import type { WakeUp } from './report';
import { COST } from './streams';

interface Seen {
  client: ClientKey;
  latest: PurchaseFact;
  history: PurchaseFact[];
  /** The spread slot of the latest purchase's hand-off. */
  slot: number;
}

export class ClientsSeen {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly rules: Rules) {}

  note(client: ClientKey, purchase: PurchaseFact, slot: number): void {
    const key = clientKeyOf(client.kind, client.id);
    const seen = this.seen.get(key);
    if (!seen) {
      this.seen.set(key, { client, latest: purchase, history: [], slot });
      return;
    }
    const keep = this.rules.clients?.learning?.lastPurchases ?? 6;
    if (Date.parse(purchase.at) >= Date.parse(seen.latest.at)) {
      seen.history.push(seen.latest);
      seen.latest = purchase;
      seen.slot = slot;
    } else {
      seen.history.push(purchase);
    }
    seen.history.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    if (seen.history.length > keep) seen.history.length = keep;
  }

  /** Each client's first wake-up (after its hand-off's slot) and the REST requests of its first planning. */
  plan(now: Date, slotStart: (slot: number) => Date): { wakeUps: WakeUp[]; restRequests: number } {
    const clients = this.rules.clients;
    const wakeUps: WakeUp[] = [];
    let restRequests = 0;
    if (!clients) return { wakeUps, restRequests };
    const zone = this.rules.defaults.calendar.timeZone;
    for (const seen of this.seen.values()) {
      const due = duePurchase(toDomainPurchase(seen.latest), clients, seen.history.map((p) => toDomainPurchase(p)), zone);
      const planned = new Date(Math.max(due.dueAt.getTime(), now.getTime()));
      const startAt = slotStart(seen.slot);
      restRequests += COST.clientPlanBase + COST.perClientPurchase * Math.min(COST.maxClientPurchases, seen.history.length + 1);
      wakeUps.push({
        at: new Date(Math.max(planned.getTime(), startAt.getTime())).toISOString(),
        plannedAt: planned.toISOString(),
        element: `${seen.client.kind} ${seen.client.id}`,
        what: `client cycle after deal ${seen.latest.dealId}: ${due.explanation}${due.dueAt < now ? ' (already due)' : ''}`,
      });
    }
    return { wakeUps, restRequests };
  }
}
