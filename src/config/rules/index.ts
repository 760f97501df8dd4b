/**
 * The rules file (config/rules.*.yaml): the public surface of src/config/rules/. One zod schema
 * is the single source of truth for
 *  - validation, with every problem reported with its path and line (./load.ts);
 *  - the types the service works with (./types.ts); src/domain keeps hand-written copies
 *    (src/domain/rule-types.ts) and ./types.ts checks at compile time that they are exactly
 *    the same, so the two cannot drift;
 *  - the JSON Schema for editors (config/rules.schema.json, `npm run rules:schema`).
 *
 * One file per scenario (./lost-deals.ts, ./clients.ts, ./chains.ts, ./expiry.ts), the shared
 * parts (./common.ts), the file's top level and JSON Schema (./schema.ts), loading and wording
 * (./load.ts), and the rules:check summary and warnings (./report.ts).
 */
export {
  formatIssue,
  formatPath,
  loadRules,
  loadRulesText,
  parseRules,
  RulesError,
  safeParseRules,
  safeParseRulesText,
  type RulesIssue,
  type RulesParse,
} from './load';
export { rulesWarnings, summarizeRules } from './report';
export { rulesJsonSchema, rulesJsonSchemaText, rulesSchema } from './schema';
export type * from './types';
