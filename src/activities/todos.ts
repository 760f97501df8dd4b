/**
 * The manager's to-do (crm.activity.todo.add) and timeline comments, created at most once per
 * marker: a retried activity finds what an earlier try created (the marker is the last line of
 * its text).
 */
import { isBitrix24Error } from '../bitrix24';
import type { ActivityDeps } from './shared';

export interface TodoSpec {
  title: string;
  description: string;
  deadline: string;
  responsibleId: number;
}

export async function ensureTodo(deps: ActivityDeps, ownerTypeId: number, ownerId: number, marker: string, todo: TodoSpec): Promise<number> {
  const existing = await deps.b24.listAll<{ ID: string; DESCRIPTION?: string | null }>('crm.activity.list', {
    filter: { OWNER_TYPE_ID: ownerTypeId, OWNER_ID: ownerId },
    select: ['ID', 'DESCRIPTION'],
  });
  const found = existing.find((a) => (a.DESCRIPTION ?? '').includes(marker));
  if (found) return Number(found.ID);
  return deps.crm.addTodo({ ownerTypeId, ownerId, ...todo });
}

/**
 * Whether an element's timeline already holds a comment with the marker (crm.timeline.comment.list).
 * When the comments cannot be read now (limits, 5xx) the activity is retried; a final refusal to
 * read them counts as "not there".
 */
export async function hasTimelineComment(deps: ActivityDeps, entity: 'deal' | 'lead', entityId: number, marker: string): Promise<boolean> {
  const comments = await deps.b24
    .listAll<{ COMMENT?: string }>('crm.timeline.comment.list', { filter: { ENTITY_TYPE: entity, ENTITY_ID: entityId }, select: ['ID', 'COMMENT'] })
    .catch((error: unknown) => {
      if (isBitrix24Error(error) && !error.retryable) return [];
      throw error;
    });
  return comments.some((c) => (c.COMMENT ?? '').includes(marker));
}
