/**
 * B. Client reactivation after purchases (реактивация клиентов) in the rules schema
 * (`clients`): purchase periods, learning from the client's history, cycles, the open-deal
 * policy, notifications and templates (sales chains are in ./chains.ts; src/domain/purchases.ts
 * applies them).
 */
import { z } from 'zod';
import { CLIENT_TEMPLATES_RU, CLIENT_TEMPLATE_VARIABLES } from '../../domain/templates';
import { chainSchema } from './chains';
import { catalogIdSchema, categoryIdSchema, checkMinMax, dailyCapSchema, dateBoundsSchema, deadlineSchema, dealForgottenSchema, durationSchema, maxCountSchema, newDealTargetSchema, notifyWhomSchema, responsibleSchema, templateBlock, wholeNumber } from './common';

export const clientTemplates = templateBlock(CLIENT_TEMPLATES_RU, CLIENT_TEMPLATE_VARIABLES, 'ClientTemplates');

export const periodsSchema = z
  .strictObject({
    default: durationSchema.meta({ description: 'Global default purchase period.' }),
    pipelines: z.array(z.strictObject({ categoryId: categoryIdSchema, period: durationSchema })).default([]),
    sections: z
      .array(z.strictObject({ ids: z.array(catalogIdSchema).min(1, 'expected at least one id'), name: z.string().optional(), period: durationSchema }))
      .default([]),
    products: z
      .array(z.strictObject({ ids: z.array(catalogIdSchema).min(1, 'expected at least one id'), name: z.string().optional(), period: durationSchema }))
      .default([]),
  })
  .meta({
    id: 'PurchasePeriods',
    description: 'Expected purchase period: per product, else per product section, else per pipeline, else the default.',
  });

export const learningSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    lastPurchases: wholeNumber('a count').min(2, 'expected at least 2').default(6).meta({ description: 'Look at this many last purchases.' }),
    minPurchases: wholeNumber('a count').min(2, 'expected at least 2').default(3).meta({ description: 'Learn only from at least this many.' }),
    min: durationSchema,
    max: durationSchema,
  })
  .superRefine(checkMinMax)
  .meta({ description: "Learn a product's period from the client's own history: the median gap, kept within [min, max]." });

export const clientsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    clientOf: z
      .enum(['company', 'contact', 'companyOrContact'], { error: 'expected "company", "contact" or "companyOrContact"' })
      .default('companyOrContact')
      .meta({ description: 'Whose purchase cycle a won deal counts for.' }),
    wonIn: z
      .array(categoryIdSchema)
      .min(1, 'expected at least one pipeline')
      .prefault([0])
      .meta({ description: 'Pipelines whose won deals start or reset a client cycle.' }),
    periods: periodsSchema,
    learning: learningSchema.optional(),
    maxCycles: maxCountSchema.prefault(3).meta({ description: 'Cycles without a purchase before «Забытый клиент».' }),
    forgotten: dealForgottenSchema.optional(),
    openDeal: z
      .strictObject({ todo: z.boolean().default(true), notify: z.boolean().default(true) })
      .prefault({})
      .meta({ description: 'When the client already has an open deal: a to-do on it and/or a notice.' }),
    target: newDealTargetSchema,
    responsible: responsibleSchema.optional(),
    dailyCap: dailyCapSchema.optional(),
    dueDates: dateBoundsSchema,
    todoDeadline: deadlineSchema.optional(),
    notifications: z
      .strictObject({ atDue: notifyWhomSchema(true, false), onForgotten: notifyWhomSchema(true, true) })
      .prefault({}),
    templates: clientTemplates.full,
    chains: z.array(chainSchema).default([]),
  })
  .meta({ description: 'B. Client reactivation after purchases (реактивация клиентов) and C. sales chains.' });
