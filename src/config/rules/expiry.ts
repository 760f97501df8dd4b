/**
 * D. Repeat-sale reminders by expiry date in the rules schema (`expiry`): how the expiry date is
 * found (a field, a term, a consumption forecast), reminders and their actions, templates
 * (src/domain/expiry.ts applies them).
 */
import { z } from 'zod';
import { EXPIRY_TEMPLATES_RU, EXPIRY_TEMPLATE_VARIABLES } from '../../domain/templates';
import { catalogIdSchema, categoryIdSchema, deadlineSchema, durationSchema, evenWithOtherIssues, fieldCodeSchema, isRecord, nameSchema, newDealTargetSchema, responsibleSchema, templateBlock, wholeNumber } from './common';

export const expiryTemplates = templateBlock(EXPIRY_TEMPLATES_RU, EXPIRY_TEMPLATE_VARIABLES, 'ExpiryTemplates');

export const expiresAtSchema = z
  .discriminatedUnion(
    'kind',
    [
      z.strictObject({ kind: z.literal('field'), field: fieldCodeSchema.meta({ description: 'The deal date field with the expiry date.' }) }),
      z.strictObject({
        kind: z.literal('term'),
        term: durationSchema.meta({ description: 'Purchase date + this term.' }),
        field: fieldCodeSchema.optional().meta({ description: 'If the manager filled this date field, it wins.' }),
      }),
      z
        .strictObject({
          kind: z.literal('consumption'),
          ratePerMonth: z.number().positive('expected a positive rate').optional().meta({ description: 'Units used per month.' }),
          rateProperty: fieldCodeSchema.optional().meta({ description: 'A product property holding the monthly rate (PROPERTY_107).' }),
          rateField: fieldCodeSchema.optional().meta({ description: "A deal field with the client's monthly rate." }),
          unit: z.string().optional(),
          field: fieldCodeSchema.optional().meta({ description: 'If the manager filled this date field, it wins.' }),
        })
        .refine((c) => [c.ratePerMonth, c.rateProperty, c.rateField].filter((v) => v !== undefined).length >= 1, {
          message: 'expected a rate: "ratePerMonth", "rateProperty" or "rateField"',
        }),
    ],
    { error: 'expected kind "field", "term" or "consumption"' },
  )
  .meta({ id: 'ExpiresAt', description: 'The expiry date: a deal field, purchase date + term, or a consumption forecast (quantity ÷ rate per month).' });

export const reminderSchema = z
  .strictObject({
    before: durationSchema.optional(),
    after: durationSchema.optional(),
    action: z.enum(['notify', 'todo', 'deal', 'bizproc'], { error: 'expected "notify", "todo", "deal" or "bizproc"' }),
    bizprocTemplateId: wholeNumber('a business process template id').positive('expected a template id, at least 1').optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.before === undefined) === (r.after === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected either "before" or "after" (exactly one)' });
    }
    if (r.action === 'bizproc' && r.bizprocTemplateId === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected "bizprocTemplateId" for action "bizproc"', path: ['bizprocTemplateId'] });
    }
  })
  .meta({ id: 'Reminder', description: 'A reminder before or after the expiry date and its action.' });

export const expiryRuleSchema = z
  .strictObject({
    name: nameSchema,
    products: z.array(catalogIdSchema).default([]),
    sections: z.array(catalogIdSchema).default([]).meta({ description: 'With no products and no sections, every sale matches.' }),
    expiresAt: expiresAtSchema,
    reminders: z.array(reminderSchema).min(1, 'expected at least one reminder'),
  })
  .meta({ id: 'ExpiryRule' });

export const expirySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    wonIn: z.array(categoryIdSchema).min(1, 'expected at least one pipeline').prefault([0]),
    target: newDealTargetSchema.optional().meta({ description: 'Where "deal" reminders create the renewal deal.' }),
    responsible: responsibleSchema.optional(),
    todoDeadline: deadlineSchema.optional(),
    templates: expiryTemplates.full,
    rules: z.array(expiryRuleSchema).min(1, 'expected at least one rule'),
  })
  .superRefine((expiry, ctx) => {
    if (expiry.target !== undefined || !Array.isArray(expiry.rules)) return;
    expiry.rules.forEach((rule, i) =>
      (isRecord(rule) && Array.isArray(rule.reminders) ? rule.reminders : []).forEach((reminder, j) => {
        if (isRecord(reminder) && reminder.action === 'deal') {
          ctx.addIssue({ code: 'custom', message: 'action "deal" needs expiry.target (pipeline and stage)', path: ['rules', i, 'reminders', j, 'action'] });
        }
      }),
    );
  }, evenWithOtherIssues)
  .meta({ description: 'D. Repeat-sale reminders by expiry date (licences, policies, consumables).' });
