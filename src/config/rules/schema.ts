/**
 * The whole rules file (config/rules.*.yaml): its top level (version, ids, defaults, the four
 * scenarios, the later contact policy) and the JSON Schema for editors
 * (config/rules.schema.json, `npm run rules:schema`). The scenarios are in ./lost-deals.ts,
 * ./clients.ts, ./chains.ts and ./expiry.ts; shared parts in ./common.ts.
 *
 * Blocks inherit: a reason takes what it does not say from its pipeline, then from `lostDeals`,
 * then from `defaults` — so a small file is enough.
 */
import { z } from 'zod';
import { clientsSchema } from './clients';
import {
  calendarSchema,
  dailyCapSchema,
  deadlineSchema,
  durationSchema,
  evenWithOtherIssues,
  responsibleSchema,
  userFieldSchema,
  userIdSchema,
  wholeNumber,
} from './common';
import { expirySchema } from './expiry';
import { checkReturnPeriodsSet, lostDealsSchema } from './lost-deals';

export const contactPolicySchema = z
  .strictObject({
    perClientCap: z
      .strictObject({ touches: wholeNumber('a count').min(1, 'expected at least 1'), per: durationSchema })
      .optional()
      .meta({ description: 'Later: at most this many touches per client per period, across all scenarios.' }),
    doNotContact: z
      .strictObject({ field: userFieldSchema, pause: durationSchema.optional() })
      .optional()
      .meta({ description: 'Later: a client field that stops (or pauses) every scenario for the client.' }),
    exitWhenClientCameBack: z
      .boolean()
      .optional()
      .meta({ description: 'Later: any purchase or new open deal of the client ends or re-plans its waiting workflows.' }),
  })
  .meta({ description: 'E. Later: accepted and validated now, applied in a later release.' });

export const defaultsSchema = z
  .strictObject({
    calendar: calendarSchema.prefault({}),
    responsible: responsibleSchema.prefault({ strategy: 'original' }),
    dailyCap: dailyCapSchema.prefault('unlimited'),
    headOfSales: userIdSchema
      .optional()
      .meta({ description: "РОП: receives the head's notices; without it, the head of the manager's department." }),
    todoDeadline: deadlineSchema.prefault('1 working day'),
  })
  .prefault({})
  .meta({ description: 'Inherited by every scenario unless it says otherwise.' });

export const rulesSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1, { error: 'expected "version: 1" (the rules format version)' }),
    ids: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'Portal ids in one place, as YAML anchors (&name) used below as aliases (*name). Not read otherwise.' }),
    defaults: defaultsSchema,
    lostDeals: lostDealsSchema,
    clients: clientsSchema.optional(),
    expiry: expirySchema.optional(),
    contactPolicy: contactPolicySchema.optional(),
  })
  .superRefine(checkReturnPeriodsSet, evenWithOtherIssues)
  .meta({
    title: 'b24-reactivation rules',
    description: 'Rules of lost-deal reactivation, client reactivation, sales chains and expiry reminders for Bitrix24.',
  });

/** The JSON Schema of the rules file as written (input side: durations are text). */
export function rulesJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(rulesSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** The exact text of config/rules.schema.json (2-space JSON and a final newline). */
export function rulesJsonSchemaText(): string {
  return `${JSON.stringify(rulesJsonSchema(), null, 2)}\n`;
}
