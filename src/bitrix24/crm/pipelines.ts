/**
 * Pipelines and their stages: deal categories (crm.category.*) and statuses (crm.status.*:
 * deal stages DEAL_STAGE_<n>, lead statuses STATUS) — what portal setup reads and creates.
 */
import { z } from 'zod';
import type { Bitrix24Client } from '../client';
import { flag, id, int, optNumber, parseWith, row, str, text } from '../parse';
import { CrmEntityTypeId, parseList, toId } from './common';

export interface Category {
  id: number;
  name: string;
  sort: number;
  entityTypeId: number;
  isDefault: boolean;
}

export type StatusSemantics = 'process' | 'success' | 'failure';

export interface Status {
  id: number;
  entityId: string;
  statusId: string;
  name: string;
  sort: number;
  categoryId: number | null;
  semantics: StatusSemantics;
  color: string | null;
  system: boolean;
}

const categorySchema = row({ id: id, name: str, sort: int(0), entityTypeId: int(0), isDefault: flag }).transform((r): Category => ({ ...r }));

function toSemantics(raw: { SEMANTICS?: unknown; EXTRA?: unknown }): StatusSemantics {
  const extra = raw.EXTRA && typeof raw.EXTRA === 'object' ? (raw.EXTRA as { SEMANTICS?: unknown }).SEMANTICS : undefined;
  if (extra === 'success' || raw.SEMANTICS === 'S') return 'success';
  if (extra === 'failure' || extra === 'apology' || raw.SEMANTICS === 'F') return 'failure';
  return 'process';
}

const statusSchema = row({
  ID: id, ENTITY_ID: str, STATUS_ID: str, NAME: str, SORT: int(0), CATEGORY_ID: optNumber, COLOR: text,
  SYSTEM: flag, SEMANTICS: z.unknown(), EXTRA: z.unknown(),
}).transform((r): Status => ({
  id: r.ID, entityId: r.ENTITY_ID, statusId: r.STATUS_ID, name: r.NAME, sort: r.SORT,
  categoryId: r.CATEGORY_ID, semantics: toSemantics(r), color: r.COLOR, system: r.SYSTEM,
}));

export interface PipelinesApi {
  /** crm.category.list — 1 request per 50 pipelines. */
  listCategories(entityTypeId?: number): Promise<Category[]>;
  /** crm.category.add — 1 request. */
  addCategory(entityTypeId: number, fields: { name: string; sort?: number }): Promise<Category>;
  /** crm.status.list filtered by ENTITY_ID (e.g. DEAL_STAGE_3, STATUS) — 1 request per 50. */
  listStatuses(entityId: string): Promise<Status[]>;
  /** crm.status.add — 1 request; the new status record id. */
  addStatus(fields: { entityId: string; statusId: string; name: string; sort?: number; color?: string; semantics?: 'S' | 'F' | '' }): Promise<number>;
}

export function createPipelinesApi(client: Bitrix24Client): PipelinesApi {
  return {
    listCategories: async (entityTypeId = CrmEntityTypeId.deal) =>
      parseList(categorySchema, await client.listAll('crm.category.list', { entityTypeId }, { itemsKey: 'categories' }), 'crm.category.list'),

    addCategory: async (entityTypeId, fields) => {
      const r = await client.call<{ category?: unknown }>('crm.category.add', { entityTypeId, fields });
      return parseWith(categorySchema, r?.category, 'crm.category.add');
    },

    listStatuses: async (entityId) =>
      parseList(statusSchema, await client.listAll('crm.status.list', { filter: { ENTITY_ID: entityId }, order: { SORT: 'ASC' } }), 'crm.status.list'),

    addStatus: async (f) => {
      const fields: Record<string, unknown> = { ENTITY_ID: f.entityId, STATUS_ID: f.statusId, NAME: f.name };
      if (f.sort !== undefined) fields.SORT = f.sort;
      if (f.color !== undefined) fields.COLOR = f.color;
      if (f.semantics !== undefined) fields.SEMANTICS = f.semantics;
      return toId(await client.call('crm.status.add', { fields }), 'crm.status.add');
    },
  };
}
