/**
 * Typed CRM helpers over the one client: what the activities call. Each helper names its REST
 * method(s), parses the answer into clean types (parse.ts) and says what it costs in HTTP
 * requests — the unit that the portal's leaky bucket counts (docs/decisions.md D-B24-5).
 *
 * "Not found" is a value here (`null`), not an exception: a deleted deal is an ordinary
 * outcome for a workflow that slept for months.
 */
import { z } from 'zod';
import type { Bitrix24Client, ListOptions } from './client';
import { Bitrix24Error } from './errors';
import { SERVICE_ID } from '../shared/names';
import {
  amount,
  flag,
  id,
  idList,
  int,
  isoDate,
  optNumber,
  parseWith,
  refId,
  row,
  semantic,
  str,
  text,
  userFieldsOf,
} from './parse';

// ---------------------------------------------------------------------------------------------
// Types the rest of the service sees

export type StageSemantic = 'P' | 'S' | 'F';
/** Raw field values for add/update, in the portal's field names (TITLE, STAGE_ID, UF_CRM_...). */
export type CrmFields = Record<string, unknown>;
export type CrmFilter = Record<string, unknown>;
export type CrmOrder = Record<string, 'ASC' | 'DESC' | 'asc' | 'desc'>;

/** CRM object type ids (b24restdocs api-reference/crm/data-types.md#object_type). */
export const CrmEntityTypeId = { lead: 1, deal: 2, contact: 3, company: 4 } as const;

export interface Deal {
  id: number;
  title: string;
  typeId: string | null;
  categoryId: number;
  stageId: string;
  stageSemantic: StageSemantic | null;
  closed: boolean;
  opportunity: number;
  currencyId: string | null;
  assignedById: number | null;
  createdById: number | null;
  companyId: number | null;
  contactId: number | null;
  leadId: number | null;
  sourceId: string | null;
  comments: string | null;
  beginDate: string | null;
  closeDate: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
  movedAt: string | null;
  originatorId: string | null;
  originId: string | null;
  isReturnCustomer: boolean;
  isRepeatedApproach: boolean;
  /** `UF_*` values as the portal sent them (their types depend on the field). */
  userFields: Record<string, unknown>;
}

export interface Lead {
  id: number;
  title: string;
  name: string | null;
  lastName: string | null;
  statusId: string;
  statusSemantic: StageSemantic | null;
  opportunity: number;
  currencyId: string | null;
  assignedById: number | null;
  companyId: number | null;
  contactId: number | null;
  sourceId: string | null;
  comments: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
  movedAt: string | null;
  originatorId: string | null;
  originId: string | null;
  userFields: Record<string, unknown>;
}

export interface Company {
  id: number;
  title: string;
  companyType: string | null;
  assignedById: number | null;
  createdAt: string | null;
  modifiedAt: string | null;
  userFields: Record<string, unknown>;
}

export interface Contact {
  id: number;
  name: string | null;
  lastName: string | null;
  secondName: string | null;
  companyId: number | null;
  assignedById: number | null;
  createdAt: string | null;
  modifiedAt: string | null;
  userFields: Record<string, unknown>;
}

export interface ProductRow {
  id: number | null;
  productId: number | null;
  productName: string;
  price: number;
  quantity: number;
  discountTypeId: number | null;
  discountRate: number | null;
  discountSum: number | null;
  taxRate: number | null;
  taxIncluded: boolean;
  measureCode: number | null;
  measureName: string | null;
  sort: number;
}

/** What setDealProductRows takes; a ProductRow read from another deal fits as is. */
export type ProductRowInput = Pick<ProductRow, 'productId' | 'price' | 'quantity'> &
  Partial<Pick<ProductRow, 'productName' | 'discountTypeId' | 'discountRate' | 'discountSum' | 'taxRate' | 'taxIncluded' | 'measureCode' | 'measureName' | 'sort'>>;

export interface ContactItem {
  contactId: number;
  sort: number;
  roleId: number;
  isPrimary: boolean;
}

export type ContactItemInput = Pick<ContactItem, 'contactId'> & Partial<Pick<ContactItem, 'sort' | 'isPrimary'>>;

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

export interface UserField {
  id: number;
  entityId: string;
  fieldName: string;
  userTypeId: string;
  xmlId: string | null;
  multiple: boolean;
  mandatory: boolean;
  sort: number;
  settings: Record<string, unknown>;
  /** Enumeration values (USER_TYPE_ID "enumeration"), when the portal sends them. */
  list: { id: number; value: string; xmlId: string | null; def: boolean }[];
}

export interface UserFieldInput {
  /** With or without the `UF_CRM_` prefix (the portal adds it). */
  fieldName: string;
  userTypeId: 'string' | 'integer' | 'double' | 'boolean' | 'datetime' | 'date' | 'enumeration' | 'crm' | 'employee' | 'url' | 'money' | string;
  label?: string;
  xmlId?: string;
  multiple?: boolean;
  mandatory?: boolean;
  sort?: number;
  settings?: Record<string, unknown>;
  list?: { value: string; xmlId?: string; def?: boolean; sort?: number }[];
}

export interface User {
  id: number;
  active: boolean;
  name: string | null;
  lastName: string | null;
  email: string | null;
  departmentIds: number[];
  userType: string | null;
  workPosition: string | null;
}

export interface Department {
  id: number;
  name: string;
  parentId: number | null;
  headId: number | null;
  sort: number;
}

export interface EventHandler {
  event: string;
  handler: string;
  authType: number;
  offline: boolean;
}

export interface OfflineEvent {
  id: number;
  at: string | null;
  event: string;
  data: unknown;
  additional: unknown;
  messageId: string | null;
}

export interface Product {
  id: number;
  name: string;
  sectionId: number | null;
  price: number;
  currencyId: string | null;
  active: boolean;
  sort: number;
  measure: number | null;
}

export interface ProductSection {
  id: number;
  name: string;
  parentId: number | null;
  catalogId: number | null;
}

export interface DealContext {
  deal: Deal;
  productRows: ProductRow[];
  contacts: ContactItem[];
  /** The responsible user; null when the user no longer exists. */
  assignedUser: User | null;
  /** The client as managers know it: the company title, else the contact's name; null when neither is readable. */
  clientName: string | null;
}

export interface UserContext {
  user: User;
  /** The user's first department (with its head), null when none. */
  department: Department | null;
}

export type CrmDocumentEntity = 'deal' | 'lead' | 'company' | 'contact';

// ---------------------------------------------------------------------------------------------
// Schemas (raw portal rows → clean types)

const dealSchema = row({
  ID: id, TITLE: str, TYPE_ID: text, CATEGORY_ID: int(0), STAGE_ID: str, STAGE_SEMANTIC_ID: semantic,
  CLOSED: flag, OPPORTUNITY: amount, CURRENCY_ID: text, ASSIGNED_BY_ID: refId, CREATED_BY_ID: refId,
  COMPANY_ID: refId, CONTACT_ID: refId, LEAD_ID: refId, SOURCE_ID: text, COMMENTS: text,
  BEGINDATE: isoDate, CLOSEDATE: isoDate, DATE_CREATE: isoDate, DATE_MODIFY: isoDate, MOVED_TIME: isoDate,
  ORIGINATOR_ID: text, ORIGIN_ID: text, IS_RETURN_CUSTOMER: flag, IS_REPEATED_APPROACH: flag,
}).transform((r): Omit<Deal, 'userFields'> => ({
  id: r.ID, title: r.TITLE, typeId: r.TYPE_ID, categoryId: r.CATEGORY_ID, stageId: r.STAGE_ID,
  stageSemantic: r.STAGE_SEMANTIC_ID, closed: r.CLOSED, opportunity: r.OPPORTUNITY, currencyId: r.CURRENCY_ID,
  assignedById: r.ASSIGNED_BY_ID, createdById: r.CREATED_BY_ID, companyId: r.COMPANY_ID, contactId: r.CONTACT_ID,
  leadId: r.LEAD_ID, sourceId: r.SOURCE_ID, comments: r.COMMENTS, beginDate: r.BEGINDATE, closeDate: r.CLOSEDATE,
  createdAt: r.DATE_CREATE, modifiedAt: r.DATE_MODIFY, movedAt: r.MOVED_TIME, originatorId: r.ORIGINATOR_ID,
  originId: r.ORIGIN_ID, isReturnCustomer: r.IS_RETURN_CUSTOMER, isRepeatedApproach: r.IS_REPEATED_APPROACH,
}));

const leadSchema = row({
  ID: id, TITLE: str, NAME: text, LAST_NAME: text, STATUS_ID: str, STATUS_SEMANTIC_ID: semantic,
  OPPORTUNITY: amount, CURRENCY_ID: text, ASSIGNED_BY_ID: refId, COMPANY_ID: refId, CONTACT_ID: refId,
  SOURCE_ID: text, COMMENTS: text, DATE_CREATE: isoDate, DATE_MODIFY: isoDate, MOVED_TIME: isoDate,
  ORIGINATOR_ID: text, ORIGIN_ID: text,
}).transform((r): Omit<Lead, 'userFields'> => ({
  id: r.ID, title: r.TITLE, name: r.NAME, lastName: r.LAST_NAME, statusId: r.STATUS_ID,
  statusSemantic: r.STATUS_SEMANTIC_ID, opportunity: r.OPPORTUNITY, currencyId: r.CURRENCY_ID,
  assignedById: r.ASSIGNED_BY_ID, companyId: r.COMPANY_ID, contactId: r.CONTACT_ID, sourceId: r.SOURCE_ID,
  comments: r.COMMENTS, createdAt: r.DATE_CREATE, modifiedAt: r.DATE_MODIFY, movedAt: r.MOVED_TIME,
  originatorId: r.ORIGINATOR_ID, originId: r.ORIGIN_ID,
}));

const companySchema = row({ ID: id, TITLE: str, COMPANY_TYPE: text, ASSIGNED_BY_ID: refId, DATE_CREATE: isoDate, DATE_MODIFY: isoDate }).transform((r): Omit<Company, 'userFields'> => ({
  id: r.ID, title: r.TITLE, companyType: r.COMPANY_TYPE, assignedById: r.ASSIGNED_BY_ID,
  createdAt: r.DATE_CREATE, modifiedAt: r.DATE_MODIFY,
}));

const contactSchema = row({
  ID: id, NAME: text, LAST_NAME: text, SECOND_NAME: text, COMPANY_ID: refId, ASSIGNED_BY_ID: refId,
  DATE_CREATE: isoDate, DATE_MODIFY: isoDate,
}).transform((r): Omit<Contact, 'userFields'> => ({
  id: r.ID, name: r.NAME, lastName: r.LAST_NAME, secondName: r.SECOND_NAME, companyId: r.COMPANY_ID,
  assignedById: r.ASSIGNED_BY_ID, createdAt: r.DATE_CREATE, modifiedAt: r.DATE_MODIFY,
}));

const productRowSchema = row({
  ID: refId, PRODUCT_ID: refId, PRODUCT_NAME: str, PRICE: amount, QUANTITY: amount, DISCOUNT_TYPE_ID: optNumber,
  DISCOUNT_RATE: optNumber, DISCOUNT_SUM: optNumber, TAX_RATE: optNumber, TAX_INCLUDED: flag,
  MEASURE_CODE: optNumber, MEASURE_NAME: text, SORT: int(0),
}).transform((r): ProductRow => ({
  id: r.ID, productId: r.PRODUCT_ID, productName: r.PRODUCT_NAME, price: r.PRICE, quantity: r.QUANTITY,
  discountTypeId: r.DISCOUNT_TYPE_ID, discountRate: r.DISCOUNT_RATE, discountSum: r.DISCOUNT_SUM,
  taxRate: r.TAX_RATE, taxIncluded: r.TAX_INCLUDED, measureCode: r.MEASURE_CODE, measureName: r.MEASURE_NAME,
  sort: r.SORT,
}));

const contactItemSchema = row({ CONTACT_ID: id, SORT: int(0), ROLE_ID: int(0), IS_PRIMARY: flag }).transform((r): ContactItem => ({ contactId: r.CONTACT_ID, sort: r.SORT, roleId: r.ROLE_ID, isPrimary: r.IS_PRIMARY }));

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

const userFieldSchema = row({
  ID: id, ENTITY_ID: str, FIELD_NAME: str, USER_TYPE_ID: str, XML_ID: text, MULTIPLE: flag, MANDATORY: flag,
  SORT: int(0), SETTINGS: z.unknown(), LIST: z.unknown(),
}).transform((r): UserField => ({
  id: r.ID, entityId: r.ENTITY_ID, fieldName: r.FIELD_NAME, userTypeId: r.USER_TYPE_ID, xmlId: r.XML_ID,
  multiple: r.MULTIPLE, mandatory: r.MANDATORY, sort: r.SORT,
  settings: r.SETTINGS && typeof r.SETTINGS === 'object' && !Array.isArray(r.SETTINGS) ? (r.SETTINGS as Record<string, unknown>) : {},
  list: Array.isArray(r.LIST)
    ? (r.LIST as Record<string, unknown>[]).map((v) => ({
        id: Number(v.ID) || 0, value: String(v.VALUE ?? ''),
        xmlId: typeof v.XML_ID === 'string' && v.XML_ID ? v.XML_ID : null, def: v.DEF === 'Y',
      }))
    : [],
}));

const userSchema = row({ ID: id, ACTIVE: flag, NAME: text, LAST_NAME: text, EMAIL: text, UF_DEPARTMENT: idList, USER_TYPE: text, WORK_POSITION: text }).transform((r): User => ({
  id: r.ID, active: r.ACTIVE, name: r.NAME, lastName: r.LAST_NAME, email: r.EMAIL, departmentIds: r.UF_DEPARTMENT,
  userType: r.USER_TYPE, workPosition: r.WORK_POSITION,
}));

const departmentSchema = row({ ID: id, NAME: str, PARENT: refId, UF_HEAD: refId, SORT: int(0) }).transform((r): Department => ({ id: r.ID, name: r.NAME, parentId: r.PARENT, headId: r.UF_HEAD, sort: r.SORT }));

const eventHandlerSchema = row({ event: str, handler: str, auth_type: int(0), offline: flag }).transform((r): EventHandler => ({ event: r.event, handler: r.handler, authType: r.auth_type, offline: r.offline }));

const offlineEventSchema = row({ ID: id, TIMESTAMP_X: isoDate, EVENT_NAME: str, EVENT_DATA: z.unknown(), EVENT_ADDITIONAL: z.unknown(), MESSAGE_ID: text }).transform((r): OfflineEvent => ({
  id: r.ID, at: r.TIMESTAMP_X, event: r.EVENT_NAME, data: r.EVENT_DATA, additional: r.EVENT_ADDITIONAL, messageId: r.MESSAGE_ID,
}));

const productSchema = row({ ID: id, NAME: str, SECTION_ID: refId, PRICE: amount, CURRENCY_ID: text, ACTIVE: flag, SORT: int(0), MEASURE: optNumber }).transform((r): Product => ({
  id: r.ID, name: r.NAME, sectionId: r.SECTION_ID, price: r.PRICE, currencyId: r.CURRENCY_ID, active: r.ACTIVE,
  sort: r.SORT, measure: r.MEASURE,
}));

const productSectionSchema = row({ ID: id, NAME: str, SECTION_ID: refId, CATALOG_ID: refId }).transform((r): ProductSection => ({ id: r.ID, name: r.NAME, parentId: r.SECTION_ID, catalogId: r.CATALOG_ID }));

function withUserFields<T>(schema: z.ZodType<T>, row: unknown, method: string): T & { userFields: Record<string, unknown> } {
  return { ...parseWith(schema, row, method), userFields: userFieldsOf(row) } as T & { userFields: Record<string, unknown> };
}

export const parseDeal = (row: unknown, method = 'crm.deal.get'): Deal => withUserFields(dealSchema, row, method);
const parseLead = (row: unknown, method = 'crm.lead.get'): Lead => withUserFields(leadSchema, row, method);
const parseList = <T>(schema: z.ZodType<T>, rows: unknown, method: string): T[] =>
  parseWith(z.array(z.unknown()), rows ?? [], method).map((r) => parseWith(schema, r, method));

/** Default selects: every standard field plus custom fields. */
export const DEAL_SELECT = ['*', 'UF_*'];
export const LEAD_SELECT = ['*', 'UF_*'];

/** `["crm", "CCrmDocumentDeal", "DEAL_7"]` — the bizproc document id of a CRM element. */
export function bizprocDocumentId(entity: CrmDocumentEntity, elementId: number): [string, string, string] {
  const cls = { deal: 'CCrmDocumentDeal', lead: 'CCrmDocumentLead', company: 'CCrmDocumentCompany', contact: 'CCrmDocumentContact' }[entity];
  return ['crm', cls, `${entity.toUpperCase()}_${elementId}`];
}

/**
 * A REST `datetime` as the docs write it, `YYYY-MM-DDThh:mm:ss±hh:mm` (b24restdocs
 * api-reference/data-types.md): whole seconds, an explicit offset. `toISOString()` gives
 * milliseconds and `Z`, which only a lenient parser takes. Unparseable input is sent as is.
 */
export function restDateTime(value: string | number | Date): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) return String(value);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function ensureSelect(select: string[]): string[] {
  return select.includes('*') || select.includes('ID') ? select : ['ID', ...select];
}

function toId(value: unknown, method: string): number {
  const v = value && typeof value === 'object' && 'id' in (value as object) ? (value as { id: unknown }).id : value;
  return parseWith(id, v, method);
}

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Bitrix24Error && e.kind === 'not_found') return null;
    throw e;
  }
}

function productRowToPortal(r: ProductRowInput): Record<string, unknown> {
  const out: Record<string, unknown> = { PRODUCT_ID: r.productId ?? 0, PRICE: r.price, QUANTITY: r.quantity };
  if (r.productName) out.PRODUCT_NAME = r.productName;
  if (r.discountTypeId != null) out.DISCOUNT_TYPE_ID = r.discountTypeId;
  if (r.discountRate != null) out.DISCOUNT_RATE = r.discountRate;
  if (r.discountSum != null) out.DISCOUNT_SUM = r.discountSum;
  if (r.taxRate != null) out.TAX_RATE = r.taxRate;
  if (r.taxIncluded !== undefined) out.TAX_INCLUDED = r.taxIncluded ? 'Y' : 'N';
  if (r.measureCode != null) out.MEASURE_CODE = r.measureCode;
  if (r.measureName) out.MEASURE_NAME = r.measureName;
  if (r.sort !== undefined) out.SORT = r.sort;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The helpers

export interface CrmApi {
  /** crm.deal.get — 1 request; null when the deal does not exist. */
  getDeal(dealId: number): Promise<Deal | null>;
  /** crm.deal.list — ceil(rows / 50) requests (at least 1). */
  listDeals(filter?: CrmFilter, select?: string[], order?: CrmOrder, opts?: ListOptions): Promise<Deal[]>;
  /** crm.deal.add — 1 request; the new id. Pass ORIGINATOR_ID + ORIGIN_ID for idempotency. */
  addDeal(fields: CrmFields, opts?: { registerSonetEvent?: boolean }): Promise<number>;
  /** crm.deal.update — 1 request. */
  updateDeal(dealId: number, fields: CrmFields, opts?: { registerSonetEvent?: boolean }): Promise<void>;
  /** crm.deal.list by `=ORIGINATOR_ID` and `=ORIGIN_ID` (lowest id wins) — 1 request. */
  findDealByOrigin(originatorId: string, originId: string): Promise<Deal | null>;
  /** crm.deal.productrows.get — 1 request. */
  getDealProductRows(dealId: number): Promise<ProductRow[]>;
  /** crm.deal.productrows.set (replaces all rows) — 1 request. */
  setDealProductRows(dealId: number, rows: ProductRowInput[]): Promise<void>;
  /** crm.deal.contact.items.get — 1 request. */
  getDealContactItems(dealId: number): Promise<ContactItem[]>;
  /** crm.deal.contact.items.set (replaces all bindings) — 1 request. */
  setDealContactItems(dealId: number, items: ContactItemInput[]): Promise<void>;
  /**
   * ONE batch request: crm.deal.get + crm.deal.productrows.get + crm.deal.contact.items.get +
   * user.get of the responsible (`$result[deal][ASSIGNED_BY_ID]`). null when the deal is gone.
   */
  getDealContext(dealId: number): Promise<DealContext | null>;
  /** crm.lead.get — 1 request; null when not found. */
  getLead(leadId: number): Promise<Lead | null>;
  /** crm.lead.update — 1 request. */
  updateLead(leadId: number, fields: CrmFields): Promise<void>;
  /** crm.lead.list — ceil(rows / 50) requests (at least 1). */
  listLeads(filter?: CrmFilter, select?: string[], order?: CrmOrder, opts?: ListOptions): Promise<Lead[]>;
  /** crm.company.get — 1 request; null when not found. */
  getCompany(companyId: number): Promise<Company | null>;
  /** crm.contact.get — 1 request; null when not found. */
  getContact(contactId: number): Promise<Contact | null>;
  /** crm.category.list — 1 request per 50 pipelines. */
  listCategories(entityTypeId?: number): Promise<Category[]>;
  /** crm.category.add — 1 request. */
  addCategory(entityTypeId: number, fields: { name: string; sort?: number }): Promise<Category>;
  /** crm.status.list filtered by ENTITY_ID (e.g. DEAL_STAGE_3, STATUS) — 1 request per 50. */
  listStatuses(entityId: string): Promise<Status[]>;
  /** crm.status.add — 1 request; the new status record id. */
  addStatus(fields: { entityId: string; statusId: string; name: string; sort?: number; color?: string; semantics?: 'S' | 'F' | '' }): Promise<number>;
  /** crm.deal.userfield.list — 1 request per 50 fields. */
  listDealUserFields(filter?: CrmFilter): Promise<UserField[]>;
  /** crm.deal.userfield.add — 1 request; the field id. */
  addDealUserField(field: UserFieldInput): Promise<number>;
  /** user.get by ids — 1 request per 50 ids (users that do not exist are simply absent). */
  getUser(ids: number | number[]): Promise<User[]>;
  /** user.get with a filter (e.g. { ACTIVE: true, UF_DEPARTMENT: 3 }) — 1 request per 50 users. */
  listUsers(filter?: CrmFilter): Promise<User[]>;
  /** ONE batch request: user.get + department.get of the user's first department. */
  getUserContext(userId: number): Promise<UserContext | null>;
  /** department.get — 1 request per 50 departments. */
  getDepartments(filter?: { ID?: number; PARENT?: number; UF_HEAD?: number; NAME?: string }): Promise<Department[]>;
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
  /** event.bind — 1 request. */
  eventBind(b: { event: string; handler: string; authType?: number; eventType?: 'online' | 'offline'; authConnector?: string }): Promise<boolean>;
  /** event.unbind — 1 request; how many handlers were removed. */
  eventUnbind(b: { event: string; handler: string; authType?: number; eventType?: 'online' | 'offline' }): Promise<number>;
  /** event.get — 1 request. */
  eventGet(): Promise<EventHandler[]>;
  /**
   * event.offline.get — 1 request. `clear` defaults to FALSE here (the portal's default is to
   * delete what it returns): read, process, then eventOfflineClear — nothing is lost on a crash.
   */
  eventOfflineGet(q?: { clear?: boolean; processId?: string; limit?: number; filter?: CrmFilter; authConnector?: string }): Promise<{ processId: string | null; events: OfflineEvent[] }>;
  /** event.offline.clear — 1 request. */
  eventOfflineClear(q: { processId: string; ids?: number[]; messageIds?: string[] }): Promise<void>;
  /** crm.product.list — 1 request per 50 products. */
  listProducts(filter?: CrmFilter, select?: string[], order?: CrmOrder): Promise<Product[]>;
  /** crm.product.get — 1 request; null when not found. */
  getProduct(productId: number): Promise<Product | null>;
  /** crm.productsection.list — 1 request per 50 sections. */
  listProductSections(filter?: CrmFilter): Promise<ProductSection[]>;
}

export function createCrmApi(client: Bitrix24Client): CrmApi {
  const listDeals: CrmApi['listDeals'] = async (filter = {}, select = DEAL_SELECT, order, opts = {}) => {
    const params: Record<string, unknown> = { filter, select: ensureSelect(select) };
    if (order) params.order = order;
    const rows = await client.listAll<unknown>('crm.deal.list', params, opts);
    return rows.map((r) => parseDeal(r, 'crm.deal.list'));
  };

  const getUser: CrmApi['getUser'] = async (ids) => {
    const list = [...new Set(Array.isArray(ids) ? ids : [ids])];
    if (list.length === 0) return [];
    const out: User[] = [];
    for (let i = 0; i < list.length; i += 50) {
      const part = list.slice(i, i + 50);
      const rows = await client.listAll<unknown>('user.get', { FILTER: { ID: part } });
      out.push(...parseList(userSchema, rows, 'user.get'));
    }
    return out;
  };

  return {
    getDeal: (dealId) => orNull(client.call<unknown>('crm.deal.get', { id: dealId }).then((r) => parseDeal(r))),

    listDeals,

    addDeal: async (fields, opts = {}) =>
      toId(
        await client.call('crm.deal.add', { fields, params: { REGISTER_SONET_EVENT: opts.registerSonetEvent === false ? 'N' : 'Y' } }),
        'crm.deal.add',
      ),

    updateDeal: async (dealId, fields, opts = {}) => {
      await client.call('crm.deal.update', {
        id: dealId,
        fields,
        params: { REGISTER_SONET_EVENT: opts.registerSonetEvent === false ? 'N' : 'Y' },
      });
    },

    findDealByOrigin: async (originatorId, originId) => {
      const rows = await client.call<unknown>('crm.deal.list', {
        filter: { '=ORIGINATOR_ID': originatorId, '=ORIGIN_ID': originId },
        select: DEAL_SELECT,
        order: { ID: 'ASC' },
        start: -1,
      });
      const deals = parseList(z.unknown(), rows, 'crm.deal.list').map((r) => parseDeal(r, 'crm.deal.list'));
      // Guard against a portal that ignores the filter: only an exact key match counts.
      return deals.find((d) => d.originatorId === originatorId && d.originId === originId) ?? null;
    },

    getDealProductRows: async (dealId) =>
      parseList(productRowSchema, await client.call('crm.deal.productrows.get', { id: dealId }), 'crm.deal.productrows.get'),

    setDealProductRows: async (dealId, rows) => {
      await client.call('crm.deal.productrows.set', { id: dealId, rows: rows.map(productRowToPortal) });
    },

    getDealContactItems: async (dealId) =>
      parseList(contactItemSchema, await client.call('crm.deal.contact.items.get', { id: dealId }), 'crm.deal.contact.items.get'),

    setDealContactItems: async (dealId, items) => {
      await client.call('crm.deal.contact.items.set', {
        id: dealId,
        items: items.map((it, i) => ({
          CONTACT_ID: it.contactId,
          SORT: it.sort ?? (i + 1) * 10,
          IS_PRIMARY: (it.isPrimary ?? i === 0) ? 'Y' : 'N',
        })),
      });
    },

    getDealContext: async (dealId) => {
      const b = await client.batch(
        {
          deal: { method: 'crm.deal.get', params: { id: dealId } },
          rows: { method: 'crm.deal.productrows.get', params: { id: dealId } },
          contacts: { method: 'crm.deal.contact.items.get', params: { id: dealId } },
          // user.get filters in FILTER (user-get.md); top-level keys are an undocumented fallback.
          user: { method: 'user.get', params: { FILTER: { ID: '$result[deal][ASSIGNED_BY_ID]' } } },
          // Lists, not gets: a deal without a company (COMPANY_ID 0) finds nothing instead of failing.
          company: { method: 'crm.company.list', params: { filter: { ID: '$result[deal][COMPANY_ID]' }, select: ['ID', 'TITLE'] } },
          contact: { method: 'crm.contact.list', params: { filter: { ID: '$result[deal][CONTACT_ID]' }, select: ['ID', 'NAME', 'LAST_NAME'] } },
        },
        { halt: true },
      );
      const dealError = b.errors.deal;
      if (dealError) {
        if (dealError.kind === 'not_found') return null;
        throw dealError;
      }
      // The client's name is for texts only: a portal that refuses it (access rights) is no failure.
      const firstError = Object.entries(b.errors).find(([key]) => key !== 'company' && key !== 'contact')?.[1];
      if (firstError) throw firstError;
      const deal = parseDeal(b.results.deal, 'crm.deal.get');
      const users = parseList(userSchema, b.results.user ?? [], 'user.get');
      const company = (Array.isArray(b.results.company) ? b.results.company : []).find((c: Record<string, unknown>) => Number(c.ID) === deal.companyId);
      const contact = (Array.isArray(b.results.contact) ? b.results.contact : []).find((c: Record<string, unknown>) => Number(c.ID) === deal.contactId);
      const contactName = contact && [contact.NAME, contact.LAST_NAME].filter((part) => typeof part === 'string' && part.trim()).join(' ');
      return {
        deal,
        productRows: parseList(productRowSchema, b.results.rows, 'crm.deal.productrows.get'),
        contacts: parseList(contactItemSchema, b.results.contacts, 'crm.deal.contact.items.get'),
        assignedUser: users.find((u) => u.id === deal.assignedById) ?? null,
        clientName: (typeof company?.TITLE === 'string' && company.TITLE.trim()) || contactName || null,
      };
    },

    getLead: (leadId) => orNull(client.call<unknown>('crm.lead.get', { id: leadId }).then((r) => parseLead(r))),

    updateLead: async (leadId, fields) => {
      await client.call('crm.lead.update', { id: leadId, fields });
    },

    listLeads: async (filter = {}, select = LEAD_SELECT, order, opts = {}) => {
      const params: Record<string, unknown> = { filter, select: ensureSelect(select) };
      if (order) params.order = order;
      const rows = await client.listAll<unknown>('crm.lead.list', params, opts);
      return rows.map((r) => parseLead(r, 'crm.lead.list'));
    },

    getCompany: (companyId) =>
      orNull(client.call<unknown>('crm.company.get', { id: companyId }).then((r) => withUserFields(companySchema, r, 'crm.company.get'))),

    getContact: (contactId) =>
      orNull(client.call<unknown>('crm.contact.get', { id: contactId }).then((r) => withUserFields(contactSchema, r, 'crm.contact.get'))),

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

    listDealUserFields: async (filter = {}) =>
      parseList(userFieldSchema, await client.listAll('crm.deal.userfield.list', { filter, order: { SORT: 'ASC' } }), 'crm.deal.userfield.list'),

    addDealUserField: async (f) => {
      const fields: Record<string, unknown> = {
        FIELD_NAME: f.fieldName,
        USER_TYPE_ID: f.userTypeId,
        MULTIPLE: f.multiple ? 'Y' : 'N',
        MANDATORY: f.mandatory ? 'Y' : 'N',
      };
      if (f.xmlId !== undefined) fields.XML_ID = f.xmlId;
      if (f.sort !== undefined) fields.SORT = f.sort;
      if (f.label !== undefined) {
        fields.EDIT_FORM_LABEL = f.label;
        fields.LIST_COLUMN_LABEL = f.label;
        fields.LIST_FILTER_LABEL = f.label;
      }
      if (f.settings !== undefined) fields.SETTINGS = f.settings;
      if (f.list !== undefined) {
        fields.LIST = f.list.map((v, i) => ({ VALUE: v.value, XML_ID: v.xmlId, DEF: v.def ? 'Y' : 'N', SORT: v.sort ?? (i + 1) * 10 }));
      }
      return toId(await client.call('crm.deal.userfield.add', { fields }), 'crm.deal.userfield.add');
    },

    getUser,

    listUsers: async (filter = {}) => parseList(userSchema, await client.listAll('user.get', { FILTER: filter }), 'user.get'),

    getUserContext: async (userId) => {
      const b = await client.batch(
        {
          user: { method: 'user.get', params: { FILTER: { ID: userId } } },
          department: { method: 'department.get', params: { ID: '$result[user][0][UF_DEPARTMENT][0]' } },
        },
        { halt: false },
      );
      if (b.errors.user) throw b.errors.user;
      const user = parseList(userSchema, b.results.user ?? [], 'user.get').find((u) => u.id === userId);
      if (!user) return null;
      const firstDept = user.departmentIds[0];
      const departments = b.errors.department ? [] : parseList(departmentSchema, b.results.department ?? [], 'department.get');
      // Only trust the department when it is the user's own (an unresolved reference would list all).
      return { user, department: departments.find((d) => d.id === firstDept) ?? null };
    },

    getDepartments: async (filter = {}) => parseList(departmentSchema, await client.listAll('department.get', { ...filter }), 'department.get'),

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
      // notification with the same tag replaces the earlier one.
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

    eventBind: async (b) => {
      const params: Record<string, unknown> = { event: b.event, handler: b.handler };
      if (b.authType !== undefined) params.auth_type = b.authType;
      if (b.eventType !== undefined) params.event_type = b.eventType;
      if (b.authConnector !== undefined) params.auth_connector = b.authConnector;
      return (await client.call<unknown>('event.bind', params)) === true;
    },

    eventUnbind: async (b) => {
      const params: Record<string, unknown> = { event: b.event, handler: b.handler };
      if (b.authType !== undefined) params.auth_type = b.authType;
      if (b.eventType !== undefined) params.event_type = b.eventType;
      const r = await client.call<{ count?: unknown }>('event.unbind', params);
      return Number(r?.count ?? 0) || 0;
    },

    eventGet: async () => parseList(eventHandlerSchema, await client.call('event.get', {}), 'event.get'),

    eventOfflineGet: async (q = {}) => {
      const params: Record<string, unknown> = { clear: q.clear ? 1 : 0 };
      if (q.processId !== undefined) params.process_id = q.processId;
      if (q.limit !== undefined) params.limit = q.limit;
      if (q.filter !== undefined) params.filter = q.filter;
      if (q.authConnector !== undefined) params.auth_connector = q.authConnector;
      const r = await client.call<{ process_id?: unknown; events?: unknown }>('event.offline.get', params);
      return {
        processId: typeof r?.process_id === 'string' && r.process_id ? r.process_id : null,
        events: parseList(offlineEventSchema, r?.events ?? [], 'event.offline.get'),
      };
    },

    eventOfflineClear: async (q) => {
      const params: Record<string, unknown> = { process_id: q.processId };
      if (q.ids !== undefined) params.id = q.ids;
      if (q.messageIds !== undefined) params.message_id = q.messageIds;
      await client.call('event.offline.clear', params);
    },

    listProducts: async (filter = {}, select = ['*'], order) => {
      const params: Record<string, unknown> = { filter, select: ensureSelect(select) };
      if (order) params.order = order;
      return parseList(productSchema, await client.listAll('crm.product.list', params), 'crm.product.list');
    },

    getProduct: (productId) =>
      orNull(client.call<unknown>('crm.product.get', { id: productId }).then((r) => parseWith(productSchema, r, 'crm.product.get'))),

    listProductSections: async (filter = {}) =>
      parseList(productSectionSchema, await client.listAll('crm.productsection.list', { filter }), 'crm.productsection.list'),
  };
}
