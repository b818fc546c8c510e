// Accuracy, measured: the detectors scored per type on the Presidio-derived cases (span overlap ≥ 50% is a
// hit; only each case's labeled types count). Floors sit a little under what the detectors reach today and
// never under the privacy issue's targets, so a rule change that loses accuracy fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPresidioCases } from './presidio-cases.ts';
import { scoreDetections } from './score.ts';
import { ALL_DETECTORS } from './all-detectors.ts';
import { detectAll } from './scan-text.ts';

/** Per-type F1 floors. The targets are 0.95 (0.90 for PHONE); we reach about 1.0 on this file. */
const F1_FLOORS: Record<string, number> = {
  EMAIL: 0.97,
  CREDIT_CARD: 0.97,
  US_SSN: 0.97,
  IBAN: 0.97,
  IP_ADDRESS: 0.97,
  URL: 0.97,
  MAC_ADDRESS: 0.97,
  CRYPTO: 0.97,
  PHONE: 0.95,
};

test('detection accuracy: per-type F1 on the Presidio-derived cases stays above its floor', () => {
  const cases = loadPresidioCases();
  const report = scoreDetections(cases, (text) => detectAll(text, ALL_DETECTORS), Object.keys(F1_FLOORS));
  const table = report.perType.map((s) => `${s.type} P ${s.precision.toFixed(3)} R ${s.recall.toFixed(3)} F1 ${s.f1.toFixed(3)}`).join('\n');
  for (const score of report.perType) {
    assert.ok(score.truePositives + score.falseNegatives > 0, `no labeled ${score.type} entities: the data set did not load as expected`);
    assert.ok(score.f1 >= (F1_FLOORS[score.type] ?? 1), `${score.type} F1 ${score.f1.toFixed(3)} is under its floor ${F1_FLOORS[score.type]}\n${table}`);
  }
});

test('scoring: a hit needs half of each span; a wrong type or a shifted span is a miss and a false alarm', () => {
  const cases = [{ id: 'c', text: 'mail ada@example.com now', entities: [{ type: 'EMAIL', start: 5, end: 20 }], labeled_types: ['EMAIL', 'PHONE'] }];
  const exact = scoreDetections(cases, () => [{ type: 'EMAIL', start: 5, end: 20 }], ['EMAIL']);
  assert.equal(exact.micro.f1, 1);
  const partial = scoreDetections(cases, () => [{ type: 'EMAIL', start: 9, end: 20 }], ['EMAIL']);
  assert.equal(partial.micro.f1, 1, '11 of 15 characters overlap: a hit');
  const shifted = scoreDetections(cases, () => [{ type: 'EMAIL', start: 15, end: 24 }], ['EMAIL']);
  assert.deepEqual([shifted.micro.truePositives, shifted.micro.falsePositives, shifted.micro.falseNegatives], [0, 1, 1]);
  const wrongType = scoreDetections(cases, () => [{ type: 'PHONE', start: 5, end: 20 }], ['EMAIL', 'PHONE']);
  assert.deepEqual([wrongType.micro.truePositives, wrongType.micro.falsePositives, wrongType.micro.falseNegatives], [0, 1, 1]);
  const unlabeled = scoreDetections(cases, () => [{ type: 'URL', start: 9, end: 20 }], ['URL']);
  assert.deepEqual([unlabeled.micro.falsePositives, unlabeled.micro.falseNegatives], [0, 0], 'types a case does not label are not scored');
});
