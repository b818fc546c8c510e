// What the rule tests share: a table of known positives and look-alikes per rule, each positive tried bare and
// in the assignment forms configuration files and code use, each look-alike required to raise nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanSecrets } from './scan.ts';

export interface RuleCase {
  rule: string;
  /** Tokens the rule must find, with exactly their span. */
  secrets: readonly string[];
  /** Texts in which nothing at all may be found. */
  negatives: readonly string[];
  /** Set when the token only counts in a context (a key name); the secrets are then tried as given. */
  contextual?: boolean;
}

/** The settings a token is tried in: bare, in prose, and assigned in env, YAML, JSON and code. */
const CONTEXTS: ((s: string) => string)[] = [
  (s) => s,
  (s) => `the new credential is ${s} (rotated today)`,
  (s) => `export SERVICE_SETTING=${s}\n`,
  (s) => `setting: "${s}"`,
  (s) => `{"value": "${s}", "enabled": true}`,
  (s) => `const setting = '${s}';`,
];

/** Registers the tests of one family's table. */
export function testRuleTable(family: string, cases: readonly RuleCase[]): void {
  for (const c of cases) {
    test(`${family} ${c.rule}: finds its tokens with exactly their span`, () => {
      for (const secret of c.secrets) {
        for (const wrap of c.contextual === true ? [(s: string) => s] : CONTEXTS) {
          const text = wrap(secret);
          const start = text.indexOf(secret);
          const matches = scanSecrets(text);
          assert.ok(
            matches.some((m) => m.rule === c.rule && m.start === start && m.end === start + secret.length),
            `${c.rule} not found in ${JSON.stringify(text)}: ${JSON.stringify(matches)}`,
          );
        }
      }
    });
    test(`${family} ${c.rule}: finds nothing in its look-alikes`, () => {
      for (const text of c.negatives) assert.deepEqual(scanSecrets(text), [], JSON.stringify(text));
    });
  }
}
