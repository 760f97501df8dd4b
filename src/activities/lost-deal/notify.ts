/**
 * Step "notify" of the lost-deal reactivation: the notice of a step (at the loss, before the
 * return, at the return, when forgotten), worded by the rule's template and sent to whom the
 * rule names.
 */
import { lostMessageVars, lostNoticeSlot, render } from '../../domain';
import type { LostNoticeRequest } from '../contracts';
import { dealLink, notifyPeople, type ActivityDeps } from '../shared';
import { clientNameFor, loadElement } from './element';

export function createNotifyActivities(deps: ActivityDeps) {
  async function notifyLost(req: LostNoticeRequest): Promise<void> {
    // The original may have been edited since: no rule of its loss now, no notice.
    const loaded = await loadElement(deps, req.entity, req.id);
    if (!loaded || !('rule' in loaded.found)) return;
    const { element, facts: f } = loaded;
    const effective = loaded.found.rule;
    const notice = lostNoticeSlot(req.notice);
    if (!notice) return;
    const message = render(
      effective.templates[notice],
      lostMessageVars(
        {
          title: f.title,
          client: await clientNameFor(deps, element),
          reason: req.reason?.name ?? effective.reason.name,
          lostAt: f.lostAt ? new Date(f.lostAt) : undefined,
          returnAt: req.returnAt ? new Date(req.returnAt) : undefined,
          attempt: req.attempt,
          maxAttempts: effective.maxReactivations,
          link: dealLink(deps.portalUrl, req.entity, req.id),
          reactivationTitle: req.reactivationId ? `${req.entity} ${req.reactivationId}` : undefined,
          reactivationLink: req.reactivationId ? dealLink(deps.portalUrl, req.entity, req.reactivationId) : undefined,
        },
        effective.calendar.timeZone,
      ),
    ).text;
    const whom = effective.notifications[notice];
    await notifyPeople(deps, whom, req.responsibleId ?? f.managerId, effective.headOfSales, message, `reactivation-${req.entity}-${req.id}-${req.notice}-${req.attempt}`);
  }

  return { notifyLost };
}
