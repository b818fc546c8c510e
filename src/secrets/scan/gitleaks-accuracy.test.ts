// Accuracy, measured: the scanner scored on gitleaks' own true- and false-positive examples (one case per
// example string; see secret-cases.ts for the rules of scoring). Floors sit a little under what the scanner
// reaches today, so a rule change that loses accuracy fails here. The scanner was built from the providers'
// documented formats; no string from the file is special-cased (a held-out set is scored the same way).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeScore, loadGitleaksCases, scoreSecretCases } from './secret-cases.ts';
import type { SecretCase } from './secret-cases.ts';
import { scanSecrets } from './scan.ts';

/** Reached when the floors were set: P 0.988, R 0.963, F1 0.975; with ambiguous negatives P 0.977, F1 0.970. */
const FLOORS = { precision: 0.98, recall: 0.955, f1: 0.965, precisionWithAmbiguous: 0.97, f1WithAmbiguous: 0.96 };

test('gitleaks accuracy: precision, recall and F1 stay above their floors', () => {
  const cases = loadGitleaksCases();
  assert.ok(cases.length > 2000, 'the data set did not load as expected');
  const score = scoreSecretCases(cases, (text) => scanSecrets(text));
  const summary = describeScore(score);
  console.log(`gitleaks cases: ${summary}`);
  for (const [measure, floor] of Object.entries(FLOORS)) {
    const value = score[measure as keyof typeof FLOORS];
    assert.ok(value >= floor, `${measure} ${value.toFixed(3)} is under its floor ${floor}\n${summary}`);
  }
  assert.equal(score.skipped, cases.filter((c) => c.text === '').length, 'path-only cases are skipped and counted');
});

test('scoring: a secret case needs a detection overlapping its value; a negative any detection at all', () => {
  const cases: SecretCase[] = [
    { id: 'p', rule: 'r', text: 'token = abc123secret', secret: true, secret_value: 'abc123secret' },
    { id: 'q', rule: 'r', text: 'no value given here', secret: true },
    { id: 'n', rule: 'r', text: 'nothing to see', secret: false },
    { id: 'a', rule: 'r', text: 'another rule would flag this', secret: false, ambiguous: true },
    { id: 's', rule: 'r', text: '', secret: true, path: 'key.p12' },
  ];
  const overlapping = scoreSecretCases(cases, (text) => (text.startsWith('token') ? [{ start: 10, end: 12 }] : []));
  assert.deepEqual([overlapping.truePositives, overlapping.falseNegatives, overlapping.skipped], [1, 1, 1]);
  const beside = scoreSecretCases(cases, (text) => (text.startsWith('token') ? [{ start: 0, end: 5 }] : []));
  assert.equal(beside.truePositives, 0, 'a detection beside the value is a miss');
  const anywhere = scoreSecretCases(cases, () => [{ start: 0, end: 1 }]);
  assert.deepEqual([anywhere.truePositives, anywhere.falsePositives, anywhere.ambiguousFalsePositives], [1, 1, 1], 'with no value given, any detection finds the case');
  assert.ok(anywhere.precisionWithAmbiguous < anywhere.precision, 'ambiguous alarms count only in the second precision');
});
