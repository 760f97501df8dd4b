/**
 * Who is told and when: the manager and/or the head of sales (РОП), at the loss, some time
 * before the return, at the return and when a client is forgotten.
 */
import { subtractDuration, type Duration } from './durations';
import type { NotifyWhom } from './types';

/**
 * The moments to remind before the return ("3 days before", "1 day before"): strictly between
 * now and the return, earliest first, without duplicates.
 */
export function returnReminders(returnAt: Date, before: readonly Duration[], now: Date, zone: string): Date[] {
  const times = new Set<number>();
  for (const offset of before) {
    const at = subtractDuration(returnAt, offset, zone).getTime();
    if (at > now.getTime() && at < returnAt.getTime()) times.add(at);
  }
  return [...times].sort((a, b) => a - b).map((t) => new Date(t));
}

/** The user ids to notify: the manager, the head, or both (once if the same person). */
export function whoToNotify(whom: NotifyWhom, people: { managerId?: number; headId?: number }): number[] {
  const ids: number[] = [];
  if (whom.manager && people.managerId !== undefined) ids.push(people.managerId);
  if (whom.head && people.headId !== undefined && !ids.includes(people.headId)) ids.push(people.headId);
  return ids;
}
