/**
 * The portal's whole state: plain JSON, so it saves to and loads from a file as is.
 *
 * CRM records keep typed values internally (numbers, epoch-ms dates, "Y"/"N"); the wire format
 * (strings, ISO dates with the portal offset) is produced by crm/fields.ts on the way out.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type Rec = Record<string, unknown>;

export interface UserRec {
  ID: number;
  ACTIVE: boolean;
  NAME: string;
  LAST_NAME: string;
  SECOND_NAME: string;
  EMAIL: string;
  WORK_POSITION: string;
  PERSONAL_GENDER: string;
  UF_DEPARTMENT: number[];
  DATE_REGISTER: number;
  IS_ADMIN: boolean;
}

export interface DepartmentRec {
  ID: number;
  NAME: string;
  SORT: number;
  PARENT: number | null;
  UF_HEAD: number | null;
}

export interface CategoryRec {
  id: number;
  name: string;
  sort: number;
  isDefault: boolean;
  originId: string;
  originatorId: string;
}

export interface StatusRec {
  ID: number;
  ENTITY_ID: string;
  STATUS_ID: string;
  NAME: string;
  NAME_INIT: string;
  SORT: number;
  SYSTEM: boolean;
  CATEGORY_ID: number | null;
  COLOR: string;
  /** "S" success, "F" failure, null in progress. */
  SEMANTICS: 'S' | 'F' | null;
  /** EXTRA.SEMANTICS for stage directories: process | success | failure | apology. */
  EXTRA_SEMANTICS?: string;
}

export interface UserFieldRec {
  ID: number;
  ENTITY_ID: string; // CRM_DEAL, CRM_LEAD, ...
  FIELD_NAME: string;
  USER_TYPE_ID: string;
  XML_ID: string | null;
  SORT: number;
  MULTIPLE: 'Y' | 'N';
  MANDATORY: 'Y' | 'N';
  SHOW_FILTER: string;
  SHOW_IN_LIST: 'Y' | 'N';
  EDIT_IN_LIST: 'Y' | 'N';
  IS_SEARCHABLE: 'Y' | 'N';
  SETTINGS: Record<string, unknown>;
  EDIT_FORM_LABEL: string | null;
  LIST_COLUMN_LABEL: string | null;
  LIST_FILTER_LABEL: string | null;
  ERROR_MESSAGE: string | null;
  HELP_MESSAGE: string | null;
  LIST?: Array<{ ID: number; SORT: number; VALUE: string; DEF: 'Y' | 'N'; XML_ID: string }>;
}

export interface ProductRowRec {
  ID: number;
  OWNER_ID: number;
  OWNER_TYPE: 'D' | 'L';
  PRODUCT_ID: number;
  PRODUCT_NAME: string;
  PRICE: number;
  QUANTITY: number;
  DISCOUNT_TYPE_ID: number;
  DISCOUNT_RATE: number;
  DISCOUNT_SUM: number;
  TAX_RATE: number | null;
  TAX_INCLUDED: 'Y' | 'N';
  MEASURE_CODE: number;
  MEASURE_NAME: string;
  SORT: number;
}

export interface ContactBinding {
  CONTACT_ID: number;
  SORT: number;
  ROLE_ID: number;
  IS_PRIMARY: 'Y' | 'N';
}

/**
 * A registered event handler: bound by the application (`event.bind`, OAuth context) or
 * configured as an outgoing webhook in the portal UI (here: the admin API / options).
 */
export interface HandlerRec {
  ID: number;
  EVENT_NAME: string;
  HANDLER: string; // '' for offline
  AUTH_TYPE: number;
  OFFLINE: boolean;
  CONNECTOR_ID: string;
  /** 'app' = event.bind by the local application; 'webhook' = an outgoing webhook. */
  OWNER: 'app' | 'webhook';
  /** The outgoing webhook this handler belongs to (OWNER webhook). */
  WEBHOOK_ID?: number;
}

export interface OutgoingWebhookRec {
  ID: number;
  HANDLER: string;
  EVENTS: string[];
  APPLICATION_TOKEN: string;
}

export interface OfflineEventRec {
  ID: number;
  TIMESTAMP_X: number;
  EVENT_NAME: string;
  EVENT_DATA: unknown;
  EVENT_ADDITIONAL: unknown;
  MESSAGE_ID: string;
  CONNECTOR_ID: string;
  PROCESS_ID: string;
  ERROR: 0 | 1;
}

/**
 * Settings of the portal that change how its REST answers behave (profiles.ts gives each
 * profile its own). Consulted by the methods; changed at run time by `portal.configure()` or
 * `PATCH /_sandbox/settings`.
 */
export interface PortalSettings {
  /**
   * The CRM setting "sync the close date": moving a deal into a final (won/lost) stage rewrites
   * CLOSEDATE to that day. Off: CLOSEDATE keeps its value (by default creation + 7 days,
   * crm-deal-add.md). Not a REST setting (no method reads it, see the sandbox README).
   */
  closeDateSync: boolean;
  /** The portal's (server's) time zone: an IANA name, or `UTC±hh:mm` for a fixed offset. */
  timeZone: string;
  /**
   * The UTC offset every REST date and time carries (data-types.md: "at the API level, all dates
   * and times are stored according to the server parameters"). Fixed for the portal's life.
   */
  utcOffsetMinutes: number;
  /**
   * What a wrong user id or code in the webhook path answers; both are documented with HTTP 401:
   * `INVALID_CREDENTIALS` (crm-item-import.md "Incorrect ID and/or code in the request path",
   * and the method pages) or `NO_AUTH_FOUND` (system-errors.md "Invalid … webhook code").
   */
  wrongWebhookCodeError: 'INVALID_CREDENTIALS' | 'NO_AUTH_FOUND';
}

/** The demo portal's settings (Moscow, close-date sync on) — also what older state files get. */
export const DEFAULT_SETTINGS: PortalSettings = {
  closeDateSync: true,
  timeZone: 'Europe/Moscow',
  utcOffsetMinutes: 180,
  wrongWebhookCodeError: 'INVALID_CREDENTIALS',
};

/**
 * One entry of a deal's or lead's stage history (crm.stagehistory.list): the element entered
 * STAGE_ID at CREATED_TIME. TYPE_ID 1 created, 2 intermediate stage, 3 final stage, 5 pipeline
 * changed. Leads print STAGE_ID/SEMANTIC_ID as STATUS_ID/STATUS_SEMANTIC_ID and have no pipeline.
 */
export interface StageHistoryRec {
  ID: number;
  ENTITY_TYPE_ID: 1 | 2;
  TYPE_ID: 1 | 2 | 3 | 5;
  OWNER_ID: number;
  CREATED_TIME: number;
  CATEGORY_ID: number | null;
  STAGE_ID: string;
  SEMANTIC_ID: 'P' | 'S' | 'F';
}

export interface PortalState {
  version: 1;
  /** The profile the portal was seeded from (profiles.ts); older state files: demo. */
  profile: string;
  settings: PortalSettings;
  credentials: {
    secret: string;
    memberId: string;
    appAccessToken: string;
    applicationToken: string;
  };
  clockOffsetMs: number;
  seq: Record<string, number>;
  users: UserRec[];
  departments: DepartmentRec[];
  categories: CategoryRec[];
  statuses: StatusRec[];
  userFields: UserFieldRec[];
  deals: Rec[];
  leads: Rec[];
  companies: Rec[];
  contacts: Rec[];
  productSections: Rec[];
  products: Rec[];
  productProperties: Rec[];
  productRows: ProductRowRec[];
  dealContacts: Record<string, ContactBinding[]>;
  activities: Rec[];
  tasks: Rec[];
  notifications: Rec[];
  comments: Rec[];
  bizprocTemplates: Rec[];
  bizprocRuns: Rec[];
  handlers: HandlerRec[];
  outgoingWebhooks: OutgoingWebhookRec[];
  offlineEvents: OfflineEventRec[];
  stageHistory: StageHistoryRec[];
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A webhook code like the portal's: 16 lower-case letters and digits. */
export function randomCode(len = 16): string {
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += abc[bytes[i] % abc.length];
  return s;
}

export function emptyState(): PortalState {
  return {
    version: 1,
    profile: 'demo',
    settings: { ...DEFAULT_SETTINGS },
    credentials: { secret: randomCode(), memberId: randomHex(16), appAccessToken: randomHex(16), applicationToken: randomHex(16) },
    clockOffsetMs: 0,
    seq: {},
    users: [],
    departments: [],
    categories: [],
    statuses: [],
    userFields: [],
    deals: [],
    leads: [],
    companies: [],
    contacts: [],
    productSections: [],
    products: [],
    productProperties: [],
    productRows: [],
    dealContacts: {},
    activities: [],
    tasks: [],
    notifications: [],
    comments: [],
    bizprocTemplates: [],
    bizprocRuns: [],
    handlers: [],
    outgoingWebhooks: [],
    offlineEvents: [],
    stageHistory: [],
  };
}

/** Next id of a sequence; `floor` lets a seed start a sequence at, e.g., 101. */
export function nextId(state: PortalState, seq: string, floor = 1): number {
  const n = Math.max(state.seq[seq] ?? floor, floor);
  state.seq[seq] = n + 1;
  return n;
}

export function saveStateFile(file: string, state: PortalState): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 1));
  renameSync(tmp, file);
}

export function loadStateFile(file: string): PortalState {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<PortalState>;
  if (!data || data.version !== 1) throw new Error(`${file}: not a sandbox state file (version 1)`);
  const empty = emptyState();
  return { ...empty, ...data, settings: { ...empty.settings, ...data.settings } } as PortalState;
}
