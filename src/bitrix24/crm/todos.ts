/**
 * What reaches a manager: CRM to-dos (crm.activity.todo.add), tasks (tasks.task.add),
 * notifications (im.notify.*), timeline comments and business processes (bizproc.workflow.start).
 */
import { z } from 'zod';
import type { Bitrix24Client } from '../client';
import { parseWith } from '../parse';
import { SERVICE_ID } from '../../shared/names';
import { restDateTime, toId, type CrmDocumentEntity } from './common';

/** `["crm", "CCrmDocumentDeal", "DEAL_7"]` — the bizproc document id of a CRM element. */
export function bizprocDocumentId(entity: CrmDocumentEntity, elementId: number): [string, string, string] {
  const cls = { deal: 'CCrmDocumentDeal', lead: 'CCrmDocumentLead', company: 'CCrmDocumentCompany', contact: 'CCrmDocumentContact' }[entity];
  return ['crm', cls, `${entity.toUpperCase()}_${elementId}`];
}

export interface TodosApi {
  /** crm.activity.todo.add — 1 request; the activity id. */
  addTodo(todo: { ownerTypeId: number; ownerId: number; title: string; description?: string; deadline: string; responsibleId?: number; pingOffsets?: number[] }): Promise<number>;
  /** tasks.task.add — 1 request; the task id. `crm` binds it, e.g. ['D_7']. */
  addTask(task: { title: string; responsibleId: number; description?: string; deadline?: string; createdBy?: number; crm?: string[]; auditors?: number[] }): Promise<number>;
  /** im.notify.system.add / im.notify.personal.add — 1 request; the notification id. */
  notifyUser(n: { userId: number; message: string; kind?: 'system' | 'personal'; tag?: string }): Promise<number | null>;
  /** crm.timeline.comment.add — 1 request; the comment id. */
  addTimelineComment(c: { entity: CrmDocumentEntity; entityId: number; comment: string }): Promise<number>;
  /** bizproc.workflow.start — 1 request; the workflow id. */
  startBizproc(templateId: number, document: { entity: CrmDocumentEntity; id: number } | [string, string, string], parameters?: Record<string, unknown>): Promise<string>;
}

export function createTodosApi(client: Bitrix24Client): TodosApi {
  return {
    addTodo: async (t) => {
      const params: Record<string, unknown> = {
        ownerTypeId: t.ownerTypeId,
        ownerId: t.ownerId,
        deadline: restDateTime(t.deadline),
        title: t.title,
        description: t.description ?? '',
      };
      if (t.responsibleId !== undefined) params.responsibleId = t.responsibleId;
      if (t.pingOffsets !== undefined) params.pingOffsets = t.pingOffsets;
      return toId(await client.call('crm.activity.todo.add', params), 'crm.activity.todo.add');
    },

    addTask: async (t) => {
      const fields: Record<string, unknown> = { TITLE: t.title, RESPONSIBLE_ID: t.responsibleId };
      if (t.description !== undefined) fields.DESCRIPTION = t.description;
      if (t.deadline !== undefined) fields.DEADLINE = t.deadline;
      if (t.createdBy !== undefined) fields.CREATED_BY = t.createdBy;
      if (t.crm !== undefined) fields.UF_CRM_TASK = t.crm;
      if (t.auditors !== undefined) fields.AUDITORS = t.auditors;
      const r = await client.call<{ task?: { id?: unknown } }>('tasks.task.add', { fields });
      return toId(r?.task, 'tasks.task.add');
    },

    notifyUser: async (n) => {
      const method = n.kind === 'personal' ? 'im.notify.personal.add' : 'im.notify.system.add';
      const params: Record<string, unknown> = { USER_ID: n.userId, MESSAGE: n.message };
      // Over an inbound webhook a TAG goes with CLIENT_ID (im-notify-system-add.md); a new
      // notification with an existing tag removes the earlier ones (notifyPeople tags per recipient).
      if (n.tag !== undefined) Object.assign(params, { TAG: n.tag, CLIENT_ID: SERVICE_ID });
      const r = await client.call<unknown>(method, params);
      const num = Number(r);
      return Number.isInteger(num) && num > 0 ? num : null;
    },

    addTimelineComment: async (c) =>
      toId(
        await client.call('crm.timeline.comment.add', { fields: { ENTITY_ID: c.entityId, ENTITY_TYPE: c.entity, COMMENT: c.comment } }),
        'crm.timeline.comment.add',
      ),

    startBizproc: async (templateId, document, parameters) => {
      const documentId = Array.isArray(document) ? document : bizprocDocumentId(document.entity, document.id);
      const params: Record<string, unknown> = { TEMPLATE_ID: templateId, DOCUMENT_ID: documentId };
      if (parameters !== undefined) params.PARAMETERS = parameters;
      return parseWith(z.union([z.string(), z.number()]).transform(String), await client.call('bizproc.workflow.start', params), 'bizproc.workflow.start');
    },
  };
}
