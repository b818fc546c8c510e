// Overdue rotation is reported as a warning naming the key, its age and the fix; keys within period are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rotationFindings } from './rotation-findings.ts';

const base = { wrapped: Buffer.alloc(0), provider: 'local' };

test('a primary version older than its rotation period is a warning; others are not', () => {
  const now = new Date('2026-11-30T00:00:00Z');
  const findings = rotationFindings(
    [
      { ...base, keyId: 'old', version: 2, state: 'primary', createdAt: '2026-07-01T00:00:00Z', rotationDays: 90 },
      { ...base, keyId: 'old', version: 1, state: 'active', createdAt: '2025-01-01T00:00:00Z', rotationDays: 90 },
      { ...base, keyId: 'fresh', version: 1, state: 'primary', createdAt: '2026-11-01T00:00:00Z', rotationDays: 90 },
      { ...base, keyId: 'unbounded', version: 1, state: 'primary', createdAt: '2020-01-01T00:00:00Z' },
    ],
    'sluice.settings.yaml',
    now,
  );
  assert.deepEqual(findings.map((f) => [f.rule, f.severity, f.message]), [['SLC201', 'warning', "key 'old' version 2 is 152 days old; its rotation period is 90 days"]]);
  assert.match(findings[0]?.fix ?? '', /sluice keys rotate old/);
});
