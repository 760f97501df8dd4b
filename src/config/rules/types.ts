/**
 * The types the rules schema produces, by name (src/domain/types.ts re-exports them, type-only;
 * one source of truth).
 */
import type { z } from 'zod';
import type { chainSchema, chainStepSchema } from './chains';
import type { clientsSchema, clientTemplates, learningSchema, periodsSchema } from './clients';
import type {
  calendarSchema,
  dateBoundsSchema,
  dealForgottenSchema,
  fallbackSchema,
  newDealTargetSchema,
  notifyWhomSchema,
  responsibleSchema,
} from './common';
import type { expiresAtSchema, expiryRuleSchema, expirySchema, expiryTemplates, reminderSchema } from './expiry';
import type {
  dealReasonSchema,
  dealTargetSchema,
  leadReasonSchema,
  leadsSchema,
  leadTargetSchema,
  lostDealsSchema,
  lostNotificationsOverrideSchema,
  lostNotificationsSchema,
  lostPipelineSchema,
  lostTemplates,
  marksSchema,
  otherReasonsSchema,
  returnPeriodSchema,
} from './lost-deals';
import type { contactPolicySchema, defaultsSchema, rulesSchema } from './schema';

export type Rules = z.output<typeof rulesSchema>;
export type RulesInput = z.input<typeof rulesSchema>;
export type Calendar = z.output<typeof calendarSchema>;
export type ResponsibleStrategy = z.output<typeof responsibleSchema>;
export type FallbackStrategy = z.output<typeof fallbackSchema>;
export type NotifyWhom = z.output<ReturnType<typeof notifyWhomSchema>>;
export type LostNotifications = z.output<typeof lostNotificationsSchema>;
export type LostNotificationsOverride = z.output<typeof lostNotificationsOverrideSchema>;
export type LostTemplates = z.output<typeof lostTemplates.full>;
export type ClientTemplates = z.output<typeof clientTemplates.full>;
export type ExpiryTemplates = z.output<typeof expiryTemplates.full>;
export type DateBounds = z.output<typeof dateBoundsSchema>;
export type ReturnPeriodRule = z.output<typeof returnPeriodSchema>;
export type DealTarget = z.output<typeof dealTargetSchema>;
export type LeadTarget = z.output<typeof leadTargetSchema>;
export type DealForgotten = z.output<typeof dealForgottenSchema>;
export type LeadForgotten = NonNullable<z.output<typeof leadsSchema>['forgotten']>;
export type Marks = z.output<typeof marksSchema>;
export type LostDealsRules = z.output<typeof lostDealsSchema>;
export type LostPipelineRule = z.output<typeof lostPipelineSchema>;
export type DealReasonRule = z.output<typeof dealReasonSchema>;
export type OtherReasonsRule = z.output<typeof otherReasonsSchema>;
export type LeadsRules = z.output<typeof leadsSchema>;
export type LeadReasonRule = z.output<typeof leadReasonSchema>;
export type ClientRules = z.output<typeof clientsSchema>;
export type PurchasePeriods = z.output<typeof periodsSchema>;
export type LearningRule = z.output<typeof learningSchema>;
export type SalesChain = z.output<typeof chainSchema>;
export type ChainStep = z.output<typeof chainStepSchema>;
export type NewDealTarget = z.output<typeof newDealTargetSchema>;
export type ExpiryRules = z.output<typeof expirySchema>;
export type ExpiryRule = z.output<typeof expiryRuleSchema>;
export type ExpiresAtRule = z.output<typeof expiresAtSchema>;
export type ReminderRule = z.output<typeof reminderSchema>;
export type ContactPolicy = z.output<typeof contactPolicySchema>;
export type Defaults = z.output<typeof defaultsSchema>;
