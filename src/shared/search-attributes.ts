/**
 * Typed keys of the product's custom search attributes (see SEARCH_ATTRIBUTES in names.ts,
 * which lists the same names for registration). Safe to import from workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  DealId: defineSearchAttributeKey('DealId', SearchAttributeType.INT),
  LeadId: defineSearchAttributeKey('LeadId', SearchAttributeType.KEYWORD),
  ClientId: defineSearchAttributeKey('ClientId', SearchAttributeType.KEYWORD),
  LossReason: defineSearchAttributeKey('LossReason', SearchAttributeType.KEYWORD),
  Responsible: defineSearchAttributeKey('Responsible', SearchAttributeType.INT),
  Phase: defineSearchAttributeKey('Phase', SearchAttributeType.KEYWORD),
  NextWakeUp: defineSearchAttributeKey('NextWakeUp', SearchAttributeType.DATETIME),
  Attempt: defineSearchAttributeKey('Attempt', SearchAttributeType.INT),
  Scenario: defineSearchAttributeKey('Scenario', SearchAttributeType.KEYWORD),
  Products: defineSearchAttributeKey('Products', SearchAttributeType.KEYWORD_LIST),
} as const;
