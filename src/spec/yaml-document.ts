// Parses YAML specs with the core schema only, and maps spec paths back to file:line:column.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node } from 'yaml';
import type { Locator, Location, SpecPath } from './location.ts';
import type { SpecIssue } from './validate.ts';

/** A parsed YAML spec: the plain data, a locator for messages, and any syntax problems. */
export interface ParsedYaml {
  data: unknown;
  locator: Locator;
  issues: (SpecIssue & { location?: Location })[];
}

function locatorFor(file: string, doc: Document, lines: LineCounter): Locator {
  const at = (offset: number): Location => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  return {
    file,
    locate(path: SpecPath): Location {
      let node: unknown = doc.contents;
      let best: Location = node && (node as Node).range ? at((node as Node).range![0]) : { file, line: 1, column: 1 };
      for (const part of path) {
        if (isMap(node)) {
          const pair = (node.items).find((p) => isScalar(p.key) && String(p.key.value) === String(part));
          if (!pair) break;
          if (isScalar(pair.key) && pair.key.range) best = at(pair.key.range[0]);
          node = pair.value;
        } else if (isSeq(node) && typeof part === 'number') {
          node = node.items[part];
          const range = (node as Node | undefined)?.range;
          if (!range) break;
          best = at(range[0]);
        } else break;
      }
      return best;
    },
  };
}

/**
 * Parses YAML text. Only the YAML 1.2 core schema is used; anchors, aliases, custom tags (any but the core
 * `!!str`-style ones) and duplicate keys are refused (they let one place of a spec silently change another, which a reviewer would not see).
 */
export function parseYamlSpec(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, schema: 'core', merge: false, uniqueKeys: true, prettyErrors: false });
  const locator = locatorFor(file, doc, lines);
  const issues: ParsedYaml['issues'] = [];
  for (const error of doc.errors) {
    const [start] = error.pos;
    const { line, col } = lines.linePos(start);
    const message = error.code === 'DUPLICATE_KEY' ? 'duplicate key: each key may appear once in a mapping' : `YAML syntax: ${error.message.split('\n')[0] ?? error.message}`;
    issues.push({ path: [], message, location: { file, line, column: col } });
  }
  if (issues.length > 0) return { data: undefined, locator, issues };
  visit(doc, {
    Node(_key, node) {
      const range = node.range;
      const location = range ? (() => { const { line, col } = lines.linePos(range[0]); return { file, line, column: col }; })() : { file };
      if (isAlias(node)) issues.push({ path: [], message: 'aliases (*name) are not allowed in specs: write the value out', location });
      else if (node.anchor) issues.push({ path: [], message: `anchors (&${node.anchor}) are not allowed in specs: write the value out`, location });
      else if ((isScalar(node) || isMap(node) || isSeq(node)) && node.tag && !node.tag.startsWith('tag:yaml.org,2002:')) {
        issues.push({ path: [], message: `explicit tags (${node.tag}) are not allowed in specs`, location });
      }
      return undefined;
    },
    Pair(_key, pair) {
      if (isPair(pair) && !isScalar(pair.key)) {
        issues.push({ path: [], message: 'mapping keys must be plain strings', location: { file } });
      } else if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === '__proto__') {
        const start = pair.key.range?.[0];
        const location = start === undefined ? { file } : { file, line: lines.linePos(start).line, column: lines.linePos(start).col };
        issues.push({ path: [], message: "the key '__proto__' is not allowed in specs", location });
      }
      return undefined;
    },
  });
  if (issues.length > 0) return { data: undefined, locator, issues };
  return { data: doc.toJS({ maxAliasCount: 0 }), locator, issues };
}
