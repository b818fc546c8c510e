// The rule tables' contract: every token rule is sticky, starts with one of its prefixes, bounds every
// repetition (the scan stays linear), ends where its alphabet ends, and cites where its format is documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANCHOR_RULES, RULE_FAMILIES, TOKEN_RULES, scanSecrets } from '../scan.ts';
import { loadGitleaksCases } from '../secret-cases.ts';

/** Unbounded quantifiers outside character classes: `*`, `+`, `{n,}`. */
function unboundedQuantifier(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '*' || c === '+') return source.slice(Math.max(0, i - 10), i + 1);
    else if (c === '{' && /^\{\d+,\}/.test(source.slice(i))) return source.slice(Math.max(0, i - 10), i + 6);
  }
  return undefined;
}

test('rule tables: ids are kebab-case and every rule cites its source', () => {
  for (const rule of [...TOKEN_RULES, ...ANCHOR_RULES]) {
    assert.match(rule.id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/, rule.id);
    assert.ok(rule.source.length > 0, rule.id);
    assert.ok(rule.confidence > 0 && rule.confidence <= 1, rule.id);
  }
});

test('rule tables: patterns are sticky and bound every repetition', () => {
  for (const rule of [...TOKEN_RULES, ...ANCHOR_RULES]) {
    assert.ok(rule.pattern.sticky, `${rule.id} must use the y flag`);
    assert.equal(unboundedQuantifier(rule.pattern.source), undefined, `${rule.id}: ${rule.pattern.source}`);
    assert.ok(rule.pattern.source.endsWith(')'), `${rule.id} should end with a look-ahead for the end of its alphabet`);
  }
});

test('rule tables: each token rule has prefixes, and its pattern can start with each', () => {
  for (const rule of TOKEN_RULES) {
    assert.ok(rule.prefixes.length > 0, rule.id);
    const head = rule.pattern.source.replace(/\\/g, '');
    for (const prefix of rule.prefixes) {
      const first = prefix.charAt(0);
      assert.ok(head.includes(first), `${rule.id}: pattern cannot start with ${prefix}`);
    }
  }
});

test('rule catalogue: every rule the scanner reports is catalogued with its family', () => {
  for (const rule of [...TOKEN_RULES, ...ANCHOR_RULES]) assert.equal(RULE_FAMILIES.get(rule.id), rule.family, rule.id);
  for (const c of loadGitleaksCases()) {
    for (const m of scanSecrets(c.text)) assert.ok(RULE_FAMILIES.has(m.rule), `${m.rule} (case ${c.id}) is not catalogued`);
  }
});
