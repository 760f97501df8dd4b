/**
 * The rules as the pure domain reads them: plain, already validated and with every default
 * filled in (durations parsed into `Duration`, "unlimited" read as null, ids as text).
 *
 * Hand-written, so src/domain does not depend on src/config; the zod schema in
 * src/config/rules/ checks at compile time that what it produces is exactly these types, so the
 * two cannot drift. Blocks inherit: a reason takes what it does not say from its pipeline, then
 * from `lostDeals`, then from `defaults` (src/domain/lost-rules.ts applies that).
 */
import type { Deadline, Duration } from './durations';
import type { CLIENT_TEMPLATES_RU, EXPIRY_TEMPLATES_RU, LOST_TEMPLATES_RU } from './templates';

// ---------------------------------------------------------------------------------------------
// Shared pieces: calendar, responsible, notifications, templates, bounds, targets
// ---------------------------------------------------------------------------------------------

/** When to create reactivations and to-dos, in the portal time zone. */
export interface Calendar {
  /** IANA, e.g. Europe/Moscow. */
  timeZone: string;
  /** ISO weekdays: 1 (Monday) … 7 (Sunday). */
  workingDays: number[];
  /** Local "HH:MM"; "00:00"–"24:00" is around the clock. */
  workingHours: { from: string; to: string };
  /** Non-working dates, YYYY-MM-DD. */
  holidays: string[];
  /** Weekend dates that are working days, YYYY-MM-DD. */
  workingWeekends: string[];
  /** Spread creations moved to the start of a working day over this long. */
  spread?: Duration | undefined;
}

export interface UserStrategy {
  strategy: 'user';
  userId: number;
}

export interface DepartmentHeadStrategy {
  strategy: 'departmentHead';
  /** Without it, the original manager's department. */
  departmentId?: number | undefined;
}

/** Listed users or a department's active members (exactly one of the two). */
export interface PoolStrategy {
  strategy: 'pool';
  users?: number[] | undefined;
  departmentId?: number | undefined;
  pick: 'roundRobin' | 'random';
}

/** Who gets the work when the original manager is fired or inactive. */
export type FallbackStrategy = UserStrategy | DepartmentHeadStrategy | PoolStrategy;

/** Who gets a reactivation. */
export type ResponsibleStrategy =
  | { strategy: 'original'; fallback: FallbackStrategy }
  | { strategy: 'user'; userId: number; fallback?: FallbackStrategy | undefined }
  | DepartmentHeadStrategy
  | PoolStrategy;

export interface NotifyWhom {
  manager: boolean;
  head: boolean;
}

export interface NotifyWhomOverride {
  manager?: boolean | undefined;
  head?: boolean | undefined;
}

/** Message texts by name, with the Russian defaults of src/domain/templates.ts filled in. */
export type LostTemplates = Record<keyof typeof LOST_TEMPLATES_RU, string>;
export type LostTemplatesOverride = Partial<LostTemplates>;
export type ClientTemplates = Record<keyof typeof CLIENT_TEMPLATES_RU, string>;
export type ExpiryTemplates = Record<keyof typeof EXPIRY_TEMPLATES_RU, string>;

/** Bounds for dates chosen by managers (a date field, the API or a signal). */
export interface DateBounds {
  minAhead: Duration;
  maxAhead: Duration;
}

/** Pipeline and stage of a new deal. */
export interface NewDealTarget {
  categoryId: number;
  stageId: string;
}

/** A client (company/contact) field set when the client is forgotten. */
export interface ClientMark {
  field: string;
  value: string | number | boolean;
}

/** «Забытый клиент»: the stage the last deal goes to when the limit is reached. */
export interface DealForgotten {
  categoryId: number;
  stageId: string;
  clientField?: ClientMark | undefined;
}

// ---------------------------------------------------------------------------------------------
// A. Lost deals and junk leads
// ---------------------------------------------------------------------------------------------

/** Срок возврата: fixed, computed from the deal, chosen by the manager, or learned. */
export type ReturnPeriodRule =
  | { kind: 'static'; period: Duration }
  | { kind: 'byAmount'; brackets: { below: number; period: Duration }[]; otherwise: Duration }
  | { kind: 'bySection'; cases: { sections: number[]; period: Duration }[]; otherwise: Duration }
  | { kind: 'bySource'; cases: { sources: string[]; period: Duration }[]; otherwise: Duration }
  | {
      kind: 'manager';
      dateField?: string | undefined;
      listField?: string | undefined;
      options: { value: string; period: Duration }[];
      default: Duration;
    }
  | { kind: 'learned'; otherwise: Duration; minSamples: number; min: Duration; max: Duration; lookback: Duration };

/** Where the reactivated deal goes: a copy (a new deal) or the lost deal itself moved. */
export interface DealTarget {
  action: 'copy' | 'move';
  categoryId: number;
  stageId: string;
}

/** The lead status to set back. */
export interface LeadTarget {
  statusId: string;
}

export interface LeadForgotten {
  statusId: string;
}

export interface LostNotifications {
  atLoss: NotifyWhom;
  beforeReturn: { before: Duration[]; manager: boolean; head: boolean };
  atReturn: NotifyWhom;
  onForgotten: NotifyWhom;
  /** The client came back (or has a newer open deal) and no reactivation is made. */
  onClientBack: NotifyWhom;
}

export interface LostNotificationsOverride {
  atLoss?: NotifyWhomOverride | undefined;
  beforeReturn?: { before?: Duration[] | undefined; manager?: boolean | undefined; head?: boolean | undefined } | undefined;
  atReturn?: NotifyWhomOverride | undefined;
  onForgotten?: NotifyWhomOverride | undefined;
  onClientBack?: NotifyWhomOverride | undefined;
}

/**
 * When the client has an open deal created after the loss: `copy` — create the reactivation
 * anyway; `todo` — a to-do for the manager on that open deal instead; `skip` — nothing more.
 */
export type OpenDealRule = 'copy' | 'todo' | 'skip';

/** What a reason, a pipeline, the leads block or `lostDeals` may say; the narrower one wins. */
export interface LostOverrides {
  returnPeriod?: ReturnPeriodRule | undefined;
  /** null: unlimited. */
  maxReactivations?: number | null | undefined;
  responsible?: ResponsibleStrategy | undefined;
  notifications?: LostNotificationsOverride | undefined;
  templates?: LostTemplatesOverride | undefined;
  /** null: unlimited. */
  dailyCap?: number | null | undefined;
}

/** What a deal reason, a pipeline or `lostDeals` may say beyond LostOverrides. */
export interface DealOverrides extends LostOverrides {
  openDeal?: OpenDealRule | undefined;
}

/** A loss reason of a pipeline: its failure stage, or a value of the pipeline's reason field. */
export interface DealReasonRule extends DealOverrides {
  stageId?: string | undefined;
  value?: string | undefined;
  name: string;
  reactivate: boolean;
  target?: DealTarget | undefined;
}

/** The rule for failure stages (or field values) a pipeline does not list. */
export interface OtherReasonsRule extends DealOverrides {
  name: string;
  reactivate: boolean;
  target?: DealTarget | undefined;
}

export interface LostPipelineRule extends DealOverrides {
  categoryId: number;
  name?: string | undefined;
  /** Read the loss reason from this deal field instead of the failure stage. */
  reasonField?: string | undefined;
  reasons: DealReasonRule[];
  otherReasons?: OtherReasonsRule | undefined;
  target?: DealTarget | undefined;
  forgotten?: DealForgotten | undefined;
}

/** A failure (JUNK-semantics) lead status. */
export interface LeadReasonRule extends LostOverrides {
  statusId: string;
  name: string;
  reactivate: boolean;
  target?: LeadTarget | undefined;
}

/** The rule for failure lead statuses not listed. */
export interface OtherLeadStatusesRule extends LostOverrides {
  name: string;
  reactivate: boolean;
  target?: LeadTarget | undefined;
}

/** Junk leads: their status is set back to an "in work" status after the return period. */
export interface LeadsRules extends LostOverrides {
  enabled: boolean;
  target: LeadTarget;
  forgotten?: LeadForgotten | undefined;
  statuses: LeadReasonRule[];
  otherStatuses?: OtherLeadStatusesRule | undefined;
}

/** Deal user fields that mark a reactivation for analytics. */
export interface Marks {
  sourceField: string;
  reasonField: string;
  attemptField: string;
  dateField: string;
}

/** A. Lost-deal reactivation (реактивация отказов), per pipeline and failure stage; junk leads. */
export interface LostDealsRules {
  enabled: boolean;
  returnPeriod?: ReturnPeriodRule | undefined;
  /** null: unlimited. */
  maxReactivations: number | null;
  target?: DealTarget | undefined;
  forgotten?: DealForgotten | undefined;
  responsible?: ResponsibleStrategy | undefined;
  dailyCap?: number | null | undefined;
  /** For reasons and pipelines that do not say; default skip. */
  openDeal: OpenDealRule;
  notifications: LostNotifications;
  templates: LostTemplates;
  managerDates: DateBounds;
  todoDeadline?: Deadline | undefined;
  followUpEvery: Duration;
  marks: Marks;
  pipelines: LostPipelineRule[];
  leads?: LeadsRules | undefined;
}

// ---------------------------------------------------------------------------------------------
// B, C. Client reactivation after purchases; sales chains
// ---------------------------------------------------------------------------------------------

/** Expected purchase period: per product, else per section, else per pipeline, else the default. */
export interface PurchasePeriods {
  default: Duration;
  pipelines: { categoryId: number; period: Duration }[];
  sections: { ids: number[]; name?: string | undefined; period: Duration }[];
  products: { ids: number[]; name?: string | undefined; period: Duration }[];
}

/** Learn a product's period from the client's own history: the median gap within [min, max]. */
export interface LearningRule {
  enabled: boolean;
  lastPurchases: number;
  minPurchases: number;
  min: Duration;
  max: Duration;
}

export interface ChainStep {
  name: string;
  products: number[];
  sections: number[];
  /** The typical gap after the previous step (not on the first step). */
  after?: Duration | undefined;
}

/** Цепочка продаж: ordered steps; a purchase of a step predicts the next one. */
export interface SalesChain {
  name: string;
  target?: NewDealTarget | undefined;
  steps: ChainStep[];
}

/** B. Client reactivation after purchases (реактивация клиентов) and C. sales chains. */
export interface ClientRules {
  enabled: boolean;
  clientOf: 'company' | 'contact' | 'companyOrContact';
  wonIn: number[];
  periods: PurchasePeriods;
  learning?: LearningRule | undefined;
  /** null: unlimited. */
  maxCycles: number | null;
  forgotten?: DealForgotten | undefined;
  openDeal: { todo: boolean; notify: boolean };
  target: NewDealTarget;
  responsible?: ResponsibleStrategy | undefined;
  dailyCap?: number | null | undefined;
  dueDates: DateBounds;
  todoDeadline?: Deadline | undefined;
  notifications: { atDue: NotifyWhom; onForgotten: NotifyWhom };
  templates: ClientTemplates;
  chains: SalesChain[];
}

// ---------------------------------------------------------------------------------------------
// D. Expiry reminders
// ---------------------------------------------------------------------------------------------

/** The expiry date: a deal field, purchase date + term, or a consumption forecast. */
export type ExpiresAtRule =
  | { kind: 'field'; field: string }
  | { kind: 'term'; term: Duration; field?: string | undefined }
  | {
      kind: 'consumption';
      ratePerMonth?: number | undefined;
      rateProperty?: string | undefined;
      rateField?: string | undefined;
      unit?: string | undefined;
      field?: string | undefined;
    };

/** A reminder before or after the expiry date (exactly one of the two) and its action. */
export interface ReminderRule {
  before?: Duration | undefined;
  after?: Duration | undefined;
  action: 'notify' | 'todo' | 'deal' | 'bizproc';
  bizprocTemplateId?: number | undefined;
}

export interface ExpiryRule {
  name: string;
  products: number[];
  /** With no products and no sections, every sale matches. */
  sections: number[];
  expiresAt: ExpiresAtRule;
  reminders: ReminderRule[];
}

/** D. Repeat-sale reminders by expiry date (licences, policies, consumables). */
export interface ExpiryRules {
  enabled: boolean;
  wonIn: number[];
  target?: NewDealTarget | undefined;
  responsible?: ResponsibleStrategy | undefined;
  todoDeadline?: Deadline | undefined;
  templates: ExpiryTemplates;
  rules: ExpiryRule[];
}

// ---------------------------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------------------------

/** E. Later: accepted and validated now, applied in a later release. */
export interface ContactPolicy {
  perClientCap?: { touches: number; per: Duration } | undefined;
  doNotContact?: { field: string; pause?: Duration | undefined } | undefined;
  exitWhenClientCameBack?: boolean | undefined;
}

/** Inherited by every scenario unless it says otherwise. */
export interface Defaults {
  calendar: Calendar;
  responsible: ResponsibleStrategy;
  /** null: unlimited. */
  dailyCap: number | null;
  /** РОП: receives the head's notices. */
  headOfSales?: number | undefined;
  todoDeadline: Deadline;
}

/** The whole rules file. */
export interface Rules {
  $schema?: string | undefined;
  version: 1;
  /** Portal ids as YAML anchors; not read otherwise. */
  ids?: Record<string, unknown> | undefined;
  defaults: Defaults;
  lostDeals: LostDealsRules;
  clients?: ClientRules | undefined;
  expiry?: ExpiryRules | undefined;
  contactPolicy?: ContactPolicy | undefined;
}
