// Tests of YAML spec parsing: located syntax errors, refused YAML features, path locations, and no input that throws.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { builtinRegistry } from '../builtins.ts';
import { formatLocation } from './location.ts';
import type { SpecPath } from './location.ts';
import { parseYamlSpec } from './yaml-document.ts';
import type { ParsedYaml } from './yaml-document.ts';
import { validateSpec } from './validate.ts';

const registry = builtinRegistry();

/** The 1-based line and column of the `occurrence`-th (from 1) `needle` in `text`. */
function positionOf(text: string, needle: string, occurrence = 1): { line: number; column: number } {
  let offset = -1;
  for (let i = 0; i < occurrence; i++) {
    offset = text.indexOf(needle, offset + 1);
    assert.ok(offset >= 0, `${JSON.stringify(needle)} occurs ${occurrence} times`);
  }
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** The single issue of a refused document, checked to carry no data and a full location. */
function onlyIssue(parsed: ParsedYaml): { message: string; line?: number; column?: number } {
  assert.equal(parsed.data, undefined, 'a refused document yields no data');
  assert.equal(parsed.issues.length, 1, JSON.stringify(parsed.issues));
  const [issue] = parsed.issues;
  assert.ok(issue?.location);
  assert.equal(issue.location.file, 'spec.yaml');
  return { message: issue.message, ...(issue.location.line !== undefined ? { line: issue.location.line } : {}), ...(issue.location.column !== undefined ? { column: issue.location.column } : {}) };
}

describe('parseYamlSpec', () => {
  test('plain YAML gives its data, with the core schema (yes stays a string, 0o10 is 8)', () => {
    const parsed = parseYamlSpec('pipeline: p\nflag: yes\nmode: 0o10\nnothing: ~\nlist: [1, two]\n', 'spec.yaml');
    assert.deepEqual(parsed.issues, []);
    assert.deepEqual(parsed.data, { pipeline: 'p', flag: 'yes', mode: 8, nothing: null, list: [1, 'two'] });
    assert.equal(parsed.locator.file, 'spec.yaml');
  });

  const syntaxErrors: [string, string, number][] = [
    ['an unclosed flow sequence', 'pipeline: p\nsinks: [a, b\ncontract: x\n', 3],
    ['a tab used as indentation', 'pipeline: p\nsource:\n\tfile: x\n', 3],
    ['mapping items out of line', 'pipeline: p\nsource:\n  file: 1\n path: 2\n', 4],
    ['several documents in one file', 'pipeline: p\n---\npipeline: q\n', 2],
  ];
  for (const [name, text, line] of syntaxErrors) {
    test(`a syntax error (${name}) is reported at file:line:column`, () => {
      const parsed = parseYamlSpec(text, 'spec.yaml');
      assert.equal(parsed.data, undefined);
      assert.ok(parsed.issues.length >= 1);
      const [first] = parsed.issues;
      assert.ok(first, 'at least one issue');
      assert.ok(first.message.startsWith('YAML syntax:'), first.message);
      assert.ok(first.location);
      assert.equal(first.location.line, line);
      assert.ok((first.location.column ?? 0) >= 1);
      assert.match(formatLocation(first.location), /^spec\.yaml:\d+:\d+$/);
    });
  }

  test('a duplicate key is refused where the second one is', () => {
    const text = 'pipeline: p\nsource:\n  file: { path: a.jsonl }\n  file: { path: b.jsonl }\n';
    const issue = onlyIssue(parseYamlSpec(text, 'spec.yaml'));
    assert.ok(issue.message.includes('duplicate key'), issue.message);
    assert.deepEqual({ line: issue.line, column: issue.column }, positionOf(text, 'file', 2));
  });

  test('a duplicate key inside a flow mapping is refused where it is', () => {
    const text = 'contract: { fields: { a: 1, b: 2, a: 3 } }\n';
    const issue = onlyIssue(parseYamlSpec(text, 'spec.yaml'));
    assert.ok(issue.message.includes('duplicate key'), issue.message);
    assert.deepEqual({ line: issue.line, column: issue.column }, positionOf(text, 'a:', 2));
  });

  test('an anchor and an alias are each refused with their location', () => {
    const text = 'pipeline: p\ndefaults: &d { clearance: public }\nsinks:\n  - file: *d\n';
    const parsed = parseYamlSpec(text, 'spec.yaml');
    assert.equal(parsed.data, undefined);
    const found = parsed.issues.map((i) => ({ kind: i.message.split(' ')[0], line: i.location?.line, column: i.location?.column }));
    assert.deepEqual(found, [
      { kind: 'anchors', ...positionOf(text, '{ clearance') },
      { kind: 'aliases', ...positionOf(text, '*d') },
    ]);
  });

  const tagged: [string, string, string][] = [
    ['on a scalar', 'pipeline: !foo p\n', 'p\n'],
    ['on a flow sequence', 'steps: !foo [1]\n', '[1]'],
    ['on a block mapping', 'source: !foo\n  file: x\n', 'file'],
    ['in a sequence', 'steps:\n  - !env SECRET\n', 'SECRET'],
  ];
  for (const [name, text, at] of tagged) {
    test(`a custom tag ${name} is refused with its location`, () => {
      const issue = onlyIssue(parseYamlSpec(text, 'spec.yaml'));
      assert.ok(issue.message.includes('tags'), issue.message);
      assert.deepEqual({ line: issue.line, column: issue.column }, positionOf(text, at));
    });
  }

  test('a mapping key that is not a scalar is refused', () => {
    const parsed = parseYamlSpec('? [a, b]\n: 1\n', 'spec.yaml');
    assert.equal(parsed.data, undefined);
    assert.equal(parsed.issues.length, 1);
    assert.ok(parsed.issues[0]?.message.includes('keys'));
  });

  test('an alias bomb (billion laughs) is refused quickly, without expanding it', () => {
    const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 12; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      levels.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(', ')}]`);
    }
    const started = performance.now();
    const parsed = parseYamlSpec(`${levels.join('\n')}\n`, 'spec.yaml');
    const elapsed = performance.now() - started;
    assert.equal(parsed.data, undefined);
    assert.ok(parsed.issues.length > 0);
    assert.ok(parsed.issues.every((i) => /anchors|aliases/.test(i.message)), JSON.stringify(parsed.issues.slice(0, 3)));
    assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
  });
});

describe('locate', () => {
  const text = [
    'pipeline: located',
    'source:',
    '  file: { path: in.jsonl }',
    'contract:',
    '  fields:',
    '    email: { type: string, class: restricted }',
    'steps:',
    '  - mask:',
    '      fields: [email, phone]',
    '  - drop: { fields: [notes] }',
    'sinks:',
    '  -   file:',
    '        dir: out',
    '"quoted key": 1',
    '7: seven',
    '',
  ].join('\n');
  const { locator, issues } = parseYamlSpec(text, 'located.yaml');

  const cases: [string, SpecPath, { line: number; column: number }][] = [
    ['the empty path at the start of the document', [], { line: 1, column: 1 }],
    ['a top-level key', ['pipeline'], positionOf(text, 'pipeline')],
    ['a key in a flow mapping', ['source', 'file', 'path'], positionOf(text, 'path')],
    ['a nested key', ['contract', 'fields', 'email', 'class'], positionOf(text, 'class')],
    ['a sequence item', ['steps', 1], positionOf(text, 'drop')],
    ['an item of a flow sequence in a block', ['steps', 0, 'mask', 'fields', 1], positionOf(text, 'phone')],
    ['an item of a flow sequence in a flow mapping', ['steps', 1, 'drop', 'fields', 0], positionOf(text, 'notes')],
    ['a key after extra indentation in a sequence', ['sinks', 0, 'file', 'dir'], positionOf(text, 'dir')],
    ['a quoted key', ['quoted key'], positionOf(text, '"quoted key"')],
    ['a number key, by number', [7], positionOf(text, '7:')],
    ['a number key, by string', ['7'], positionOf(text, '7:')],
    ['a missing key, at the key of its nearest parent', ['steps', 0, 'mask', 'keepLast'], positionOf(text, 'mask')],
    ['an index past the end, at the sequence', ['steps', 9], positionOf(text, 'steps')],
    ['an index into a mapping, at the mapping', ['source', 0], positionOf(text, 'source')],
  ];
  for (const [name, path, expected] of cases) {
    test(`${name}: ${JSON.stringify(path)}`, () => {
      assert.deepEqual(issues, []);
      assert.deepEqual(locator.locate(path), { file: 'located.yaml', ...expected });
    });
  }
});

describe('no input makes parsing or validation throw', () => {
  /** Parses then validates; both must return, and validation must give a spec or issues, never both or neither. */
  function check(text: string, parsed: ParsedYaml = parseYamlSpec(text, 'fuzz.yaml')): void {
    for (const issue of parsed.issues) assert.ok(typeof issue.message === 'string' && issue.location?.file === 'fuzz.yaml');
    const result = validateSpec(parsed.data, registry, parsed.locator, '/tmp');
    assert.equal(result.spec !== undefined, result.issues.length === 0);
    for (const issue of result.issues) parsed.locator.locate(issue.path);
  }

  const yamlish = fc.constantFrom(
    ...':-?,[]{}#&*!|>\'"%@`\\ \t\n\r'.split(''),
    ...['a', 'p', '0', '1', 'x', '~', '.', 'é', '\u2028', '\uFEFF'],
    ...['pipeline', 'source', 'file', 'path', 'contract', 'fields', 'type', 'class', 'steps', 'mask', 'sinks', 'clearance', 'dir', '__proto__', '<<', '---', '...', '\n  ', '\n- '],
  );

  test('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => check(text)), { seed: 20240601, numRuns: 10_000 });
  });

  test('arbitrary strings of YAML-ish pieces', () => {
    fc.assert(fc.property(fc.string({ unit: yamlish, maxLength: 60 }), (text) => check(text)), { seed: 20240602, numRuns: 10_000 });
  });

  test('arbitrary JSON values written as YAML parse back to themselves, and validate or give issues', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        const text = stringify(value);
        const parsed = parseYamlSpec(text, 'fuzz.yaml');
        if (text.includes('__proto__')) {
          // Refused on purpose, wherever it stands (see the prototype-key tests).
          assert.ok(parsed.issues.some((i) => i.message.includes('__proto__')) || parsed.issues.length === 0);
          return;
        }
        assert.deepEqual(parsed.issues, []);
        assert.deepEqual(parsed.data, value);
        check(text, parsed);
      }),
      { seed: 20240603, numRuns: 10_000 },
    );
  });
});
