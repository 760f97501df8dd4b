/**
 * Where a value of the rules is written in the rules file, so setup can say exactly which line
 * to edit ("line 15, ids.pipelines.reactivation: 7 → 9"). A value used through a YAML alias
 * (`categoryId: *reactivation`) is written where its anchor is (`reactivation: &reactivation 7`
 * in the `ids:` block), so that is the line reported: one edit fixes every use.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatRulePath, type RulePath } from './requirements';

export interface RulesLocation {
  line: number;
  /** Where the value is written: `ids.pipelines.reactivation` (the anchor) or the rule path itself. */
  writtenAt: string;
}

export interface RulesLocator {
  locate(path: RulePath): RulesLocation | undefined;
}

/** A locator over the rules text; one that finds nothing when the text is not YAML. */
export function rulesLocator(text: string | undefined): RulesLocator {
  if (text === undefined) return { locate: () => undefined };
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter });
  } catch {
    return { locate: () => undefined };
  }
  if (doc.errors.length > 0) return { locate: () => undefined };
  const pathOf = new Map<Node, string>();
  const walk = (node: unknown, path: (string | number)[]) => {
    if (!isNode(node)) return;
    pathOf.set(node, formatRulePath(path));
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);
  return {
    locate(path) {
      let node: unknown = doc.getIn(path as (string | number)[], true);
      if (isAlias(node)) node = node.resolve(doc);
      if (!isNode(node) || !node.range) return undefined;
      return { line: lineCounter.linePos(node.range[0]).line, writtenAt: pathOf.get(node) ?? formatRulePath(path) };
    },
  };
}
