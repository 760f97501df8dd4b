/**
 * The types the rules schema produces, by name, and the compile-time check that each is exactly
 * the domain's hand-written type of that name (src/domain/rule-types.ts). src/domain does not
 * import src/config; this check is what keeps the two from drifting: change a schema or a
 * domain type alone and tsc fails here, naming both types.
 */
import type { z } from 'zod';
import type * as domain from '../../domain/rule-types';
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

/** True when X and Y are the same type (not merely assignable to each other). */
type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false;

/** `true`, or both types side by side, so tsc's message shows what differs. */
type Exactly<ZodOutput, DomainType> = Equals<ZodOutput, DomainType> extends true
  ? true
  : { zodOutput: ZodOutput; domainType: DomainType };

type AllTrue<Checks extends readonly true[]> = Checks;

/** Compile-time only (no value): every rule type of the domain is exactly what the schema produces. */
export type SchemaMatchesDomain = AllTrue<[
  Exactly<Rules, domain.Rules>,
  Exactly<Defaults, domain.Defaults>,
  Exactly<ContactPolicy, domain.ContactPolicy>,
  Exactly<Calendar, domain.Calendar>,
  Exactly<ResponsibleStrategy, domain.ResponsibleStrategy>,
  Exactly<FallbackStrategy, domain.FallbackStrategy>,
  Exactly<NotifyWhom, domain.NotifyWhom>,
  Exactly<DateBounds, domain.DateBounds>,
  Exactly<DealForgotten, domain.DealForgotten>,
  Exactly<NewDealTarget, domain.NewDealTarget>,
  Exactly<LostNotifications, domain.LostNotifications>,
  Exactly<LostNotificationsOverride, domain.LostNotificationsOverride>,
  Exactly<LostTemplates, domain.LostTemplates>,
  Exactly<z.output<typeof lostTemplates.override>, domain.LostTemplatesOverride>,
  Exactly<ReturnPeriodRule, domain.ReturnPeriodRule>,
  Exactly<DealTarget, domain.DealTarget>,
  Exactly<LeadTarget, domain.LeadTarget>,
  Exactly<LeadForgotten, domain.LeadForgotten>,
  Exactly<Marks, domain.Marks>,
  Exactly<LostDealsRules, domain.LostDealsRules>,
  Exactly<LostPipelineRule, domain.LostPipelineRule>,
  Exactly<DealReasonRule, domain.DealReasonRule>,
  Exactly<OtherReasonsRule, domain.OtherReasonsRule>,
  Exactly<LeadsRules, domain.LeadsRules>,
  Exactly<LeadReasonRule, domain.LeadReasonRule>,
  Exactly<ClientTemplates, domain.ClientTemplates>,
  Exactly<ClientRules, domain.ClientRules>,
  Exactly<PurchasePeriods, domain.PurchasePeriods>,
  Exactly<LearningRule, domain.LearningRule>,
  Exactly<SalesChain, domain.SalesChain>,
  Exactly<ChainStep, domain.ChainStep>,
  Exactly<ExpiryTemplates, domain.ExpiryTemplates>,
  Exactly<ExpiryRules, domain.ExpiryRules>,
  Exactly<ExpiryRule, domain.ExpiryRule>,
  Exactly<ExpiresAtRule, domain.ExpiresAtRule>,
  Exactly<ReminderRule, domain.ReminderRule>,
]>;
