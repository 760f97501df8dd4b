/**
 * The manager's to-do (crm.activity.todo.add), created at most once per marker: a retried
 * activity finds the to-do an earlier try created (the marker is the last line of its text).
 */
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
