/**
 * C. Sales chains (цепочки продаж) in the rules schema (`clients.chains`): ordered steps by
 * products or sections, each after a typical gap (src/domain/chains.ts applies them).
 */
import { z } from 'zod';
import { catalogIdSchema, durationSchema, evenWithOtherIssues, isRecord, nameSchema, newDealTargetSchema } from './common';

export const chainStepSchema = z
  .strictObject({
    name: nameSchema,
    products: z.array(catalogIdSchema).default([]),
    sections: z.array(catalogIdSchema).default([]),
    after: durationSchema.optional().meta({ description: 'The typical gap after the previous step (not on the first step).' }),
  })
  .refine((s) => s.products.length + s.sections.length > 0, { message: 'expected "products" or "sections"' });

export const chainSchema = z
  .strictObject({
    name: nameSchema,
    target: newDealTargetSchema.optional(),
    steps: z.array(chainStepSchema).min(2, 'expected at least two steps'),
  })
  .superRefine((chain, ctx) => {
    if (!Array.isArray(chain.steps)) return;
    chain.steps.forEach((step, i) => {
      if (!isRecord(step)) return;
      if (i === 0 && step.after !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'the first step has no "after"', path: ['steps', 0, 'after'] });
      }
      if (i > 0 && step.after === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected "after": the typical gap after the previous step', path: ['steps', i, 'after'] });
      }
    });
  }, evenWithOtherIssues)
  .meta({ id: 'SalesChain', description: 'Цепочка продаж: ordered steps; a purchase of a step predicts the next one.' });
