/**
 * Typed CRM helpers over the one client: what the activities call. Each helper names its REST
 * method(s), parses the answer into clean types (../parse.ts) and says what it costs in HTTP
 * requests — the unit that the portal's leaky bucket counts (docs/decisions.md D-B24-5).
 *
 * "Not found" is a value here (`null`), not an exception: a deleted deal is an ordinary
 * outcome for a workflow that slept for months.
 *
 * One file per CRM area (deals, leads, clients, pipelines, user fields, users, to-dos and
 * notifications, events, products, stage history); this index composes `createCrmApi` from their factories
 * and is the public contract of the folder.
 */
import type { Bitrix24Client } from '../client';
import { createClientsApi, type ClientsApi } from './clients';
import { createDealsApi, type DealsApi } from './deals';
import { createEventsApi, type EventsApi } from './events';
import { createItemsApi, type ItemsApi } from './items';
import { createLeadsApi, type LeadsApi } from './leads';
import { createPipelinesApi, type PipelinesApi } from './pipelines';
import { createProductsApi, type ProductsApi } from './products';
import { createStageHistoryApi, type StageHistoryApi } from './stage-history';
import { createTodosApi, type TodosApi } from './todos';
import { createUserFieldsApi, type UserFieldsApi } from './user-fields';
import { createUsersApi, type UsersApi } from './users';

export { CrmEntityTypeId, restDateTime, type CrmDocumentEntity, type CrmFields, type CrmFilter, type CrmOrder, type StageSemantic } from './common';
export { DEAL_SELECT, dealSelectWith, parseDeal, type ContactItem, type ContactItemInput, type Deal, type DealContext, type ProductRow, type ProductRowInput } from './deals';
export { CONTACT_FILTERS, parseDealItem, type ClientDealQuery, type ClientOfDeals, type DealItem } from './items';
export { LEAD_SELECT, leadSelectWith, type Lead } from './leads';
export type { Company, Contact } from './clients';
export type { Category, Status, StatusSemantics } from './pipelines';
export type { UserField, UserFieldInput } from './user-fields';
export type { Department, User, UserContext } from './users';
export { bizprocDocumentId } from './todos';
export type { EventHandler, OfflineEvent } from './events';
export type { Product, ProductSection } from './products';
export { StageHistoryType, type StageHistory, type StageHistoryEntity, type StageHistoryEntry } from './stage-history';

export interface CrmApi extends DealsApi, ItemsApi, LeadsApi, ClientsApi, PipelinesApi, UserFieldsApi, UsersApi, TodosApi, EventsApi, ProductsApi, StageHistoryApi {}

export function createCrmApi(client: Bitrix24Client): CrmApi {
  return {
    ...createDealsApi(client),
    ...createItemsApi(client),
    ...createLeadsApi(client),
    ...createClientsApi(client),
    ...createPipelinesApi(client),
    ...createUserFieldsApi(client),
    ...createUsersApi(client),
    ...createTodosApi(client),
    ...createEventsApi(client),
    ...createProductsApi(client),
    ...createStageHistoryApi(client),
  };
}
