/**
 * Loading the rules: parsing YAML (with line numbers), validating against the schema, and the
 * wording of every problem with its path and line
 * (`lostDeals.pipelines[0].reasons[2].returnPeriod: expected a duration ... (line 42)`),
 * including the closest known key for a typo (edit distance).
 */
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isNode, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { rulesJsonSchema, rulesSchema } from './schema';
import type { Rules } from './types';

export interface RulesIssue {
  /** `lostDeals.pipelines[0].reasons[2].returnPeriod`; `(root)` for the file itself; `(yaml)` for syntax. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class RulesError extends Error {
  override readonly name = 'RulesError';
  constructor(
    readonly issues: RulesIssue[],
    readonly source = 'rules',
  ) {
    super(`${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
  }
}

/** `lostDeals.pipelines[0].reasons[2].returnPeriod: expected ... (line 42)` */
export function formatIssue(issue: RulesIssue): string {
  const where = issue.line !== undefined ? ` (line ${issue.line}${issue.column !== undefined ? `, column ${issue.column}` : ''})` : '';
  return `${issue.path}: ${issue.message}${where}`;
}

export type RulesParse = { ok: true; rules: Rules } | { ok: false; issues: RulesIssue[] };

/** Validates already-parsed data (an object from YAML or JSON). */
export function safeParseRules(input: unknown): RulesParse {
  const result = rulesSchema.safeParse(input);
  if (result.success) return { ok: true, rules: result.data };
  return { ok: false, issues: describeZodIssues(result.error.issues).map(({ path, message }) => ({ path: formatPath(path), message })) };
}

/** Validates already-parsed data; throws RulesError listing every problem. */
export function parseRules(input: unknown, source = 'rules'): Rules {
  const parsed = safeParseRules(input);
  if (!parsed.ok) throw new RulesError(parsed.issues, source);
  return parsed.rules;
}

/** Parses and validates YAML text; issues carry the line they point at. */
export function safeParseRulesText(text: string): RulesParse {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = e.pos ? lineCounter.linePos(e.pos[0]) : undefined;
        return { path: '(yaml)', message: e.message.split('\n')[0]!, line: pos?.line, column: pos?.col };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10_000 });
  } catch (error) {
    // An alias bomb ("Excessive alias count ...") is refused while the document is built.
    return { ok: false, issues: [{ path: '(yaml)', message: (error as Error).message }] };
  }
  const result = rulesSchema.safeParse(data);
  if (result.success) return { ok: true, rules: result.data };
  const issues = describeZodIssues(result.error.issues).map(({ path, message }): RulesIssue => {
    const offset = offsetOf(doc, path);
    const line = offset === undefined ? undefined : lineCounter.linePos(offset).line;
    return { path: formatPath(path), message, line };
  });
  // In file order, so the list reads top to bottom (sort is stable for equal lines).
  return { ok: false, issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
}

/** Parses and validates YAML text; throws RulesError listing every problem. */
export function loadRulesText(text: string, source = 'rules'): Rules {
  const parsed = safeParseRulesText(text);
  if (!parsed.ok) throw new RulesError(parsed.issues, source);
  return parsed.rules;
}

/** Reads, parses and validates a rules file; throws RulesError listing every problem. */
export function loadRules(path: string): Rules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RulesError([{ path: '(file)', message: `cannot read: ${(error as Error).message}` }], path);
  }
  return loadRulesText(text, path);
}

/** `lostDeals.pipelines[0].reasons[2].returnPeriod` */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

interface PathMessage {
  path: PropertyKey[];
  message: string;
}

/**
 * Turns zod issues into one plain message per problem. A union reports the branch the input
 * was meant for (the one whose type matched), not "Invalid input".
 */
function describeZodIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): PathMessage[] {
  return issues.flatMap((issue) => describeZodIssue(issue, prefix));
}

function describeZodIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): PathMessage[] {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'invalid_union': {
      if (issue.errors.length === 0) {
        // A discriminated union with no matching "kind"/"strategy".
        const options = (issue as { options?: unknown[] }).options;
        const message = options ? `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}` : plainMessage(issue.message);
        return [{ path, message }];
      }
      const meant = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
      if (meant.length >= 1) {
        const best = meant.reduce((a, b) => (b.length < a.length ? b : a));
        return describeZodIssues(best, path);
      }
      return [{ path, message: plainMessage(issue.message) }];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const suggestion = closestKey(key);
        return { path, message: `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}` };
      });
    case 'invalid_type': {
      const received = /received (\w+)/.exec(issue.message)?.[1];
      if (received === 'undefined') return [{ path, message: `required: ${plainMessage(issue.message).replace(/, received undefined$/, '')}` }];
      return [{ path, message: plainMessage(issue.message) }];
    }
    default:
      return [{ path, message: plainMessage(issue.message) }];
  }
}

function plainMessage(message: string): string {
  return message.replace(/^(Invalid input|Invalid option|Too small|Too big|Invalid string|Invalid value): /, '');
}

let knownKeys: string[] | undefined;

/** The closest property name the schema knows, for typos (`retunPeriod` → `returnPeriod`). */
function closestKey(key: string): string | undefined {
  knownKeys ??= collectKeys(rulesJsonSchema());
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const candidate of knownKeys) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function collectKeys(node: unknown, into = new Set<string>()): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectKeys(n, into));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && v && typeof v === 'object') Object.keys(v).forEach((name) => into.add(name));
      collectKeys(v, into);
    }
  }
  return [...into];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The source offset of the deepest YAML node on a path (follows aliases to their anchors). */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const key of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (!isMap(node) && !isSeq(node)) break;
    const pair = isMap(node) ? node.items.find((p) => isNode(p.key) && String((p.key as { value?: unknown }).value) === String(key)) : undefined;
    const child: unknown = isMap(node) ? pair?.value : node.get(Number(key), true);
    if (!isNode(child)) {
      // A missing key: point at the key if present, else at the enclosing collection.
      if (pair && isNode(pair.key)) offset = pair.key.range?.[0] ?? offset;
      break;
    }
    offset = child.range?.[0] ?? offset;
    node = child;
  }
  return offset;
}
