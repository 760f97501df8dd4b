/**
 * Types of the pure domain.
 *
 * Rule types are plain, hand-written types (./rule-types.ts): src/domain imports nothing from
 * src/config, and the zod schema (src/config/rules/) checks at compile time that it produces
 * exactly them. Facts the activities read from Bitrix24 and hand in are plain types below.
 */
export type {
  Calendar,
  ChainStep,
  ClientRules,
  ClientTemplates,
  DateBounds,
  DealForgotten,
  DealReasonRule,
  DealTarget,
  Defaults,
  ExpiresAtRule,
  ExpiryRule,
  ExpiryRules,
  ExpiryTemplates,
  FallbackStrategy,
  LeadForgotten,
  LeadReasonRule,
  LeadTarget,
  LearningRule,
  LostDealsRules,
  LostNotifications,
  LostNotificationsOverride,
  LostPipelineRule,
  LostTemplates,
  Marks,
  NewDealTarget,
  NotifyWhom,
  PurchasePeriods,
  ReminderRule,
  ResponsibleStrategy,
  ReturnPeriodRule,
  Rules,
  SalesChain,
  OpenDealRule,
} from './rule-types';
export type { Deadline, Duration } from './durations';

/** A user as the assignment needs it (from `user.get`). */
export interface User {
  id: number;
  active: boolean;
  /** Department ids (UF_DEPARTMENT), the main one first. */
  departments: readonly number[];
}

/** A department as the assignment needs it (from `department.get`). */
export interface Department {
  id: number;
  /** UF_HEAD */
  headUserId?: number;
  /** PARENT */
  parentId?: number;
}

/** One product row of a deal: what was bought. */
export interface PurchaseLine {
  productId: number;
  /** The product's catalog section. */
  sectionId?: number;
  /** Parent sections of `sectionId`, nearest first (a configured parent section applies too). */
  parentSectionIds?: readonly number[];
  quantity?: number;
  name?: string;
  /** Product properties (e.g. PROPERTY_107 = monthly consumption rate). */
  properties?: Readonly<Record<string, unknown>>;
}

/** A won deal: when and what the client bought. */
export interface Purchase {
  dealId?: number;
  at: Date;
  categoryId?: number;
  items: readonly PurchaseLine[];
  /** Deal fields (for manager-entered expiry dates and rates). */
  fields?: Readonly<Record<string, unknown>>;
}

/** Deal or lead fields, as Bitrix24 returns them (`UF_CRM_*`, `SOURCE_ID`, ...). */
export type CrmFields = Readonly<Record<string, unknown>>;
