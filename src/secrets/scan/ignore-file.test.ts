// Reading an ignore file: fingerprints and globs told apart, comments and blanks skipped, the comment beside an
// entry kept as its justification (unless it holds a credential), and every unusable line reported at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSluiceError } from '../../errors.ts';
import { FINGERPRINT, parseIgnoreFile, readIgnoreFile } from './ignore-file.ts';
import { ALNUM, BASE32, fakeGenerator } from './fake-tokens.ts';

const fake = fakeGenerator(8080);

test('ignore file: fingerprints, globs, comments, blanks and CRLF line ends', () => {
  const text = [
    '# accepted findings',
    '',
    '0123456789abcdef:1',
    '   fedcba9876543210:12   # the staging key, revoked 2024-05',
    'test/fixtures/**',
    '*.snap  # snapshots hold generated ids',
    'docs/#notes.md',
    '\t',
  ].join('\r\n');
  const file = parseIgnoreFile(text, '.sluiceignore', '/repo/.sluiceignore');
  assert.equal(file.name, '.sluiceignore');
  assert.deepEqual(
    file.entries.map((e) => [e.line, e.kind, e.text, e.justification]),
    [
      [3, 'fingerprint', '0123456789abcdef:1', undefined],
      [4, 'fingerprint', 'fedcba9876543210:12', 'the staging key, revoked 2024-05'],
      [5, 'glob', 'test/fixtures/**', undefined],
      [6, 'glob', '*.snap', 'snapshots hold generated ids'],
      [7, 'glob', 'docs/#notes.md', undefined],
    ],
  );
  const snap = file.entries[3];
  assert.ok(snap?.kind === 'glob' && snap.glob.matches('ui/__snapshots__/a.snap', false), 'a glob entry is ready to match');
});

test('ignore file: only the exact fingerprint form is a fingerprint; anything else is a glob', () => {
  assert.ok(FINGERPRINT.test('0123456789abcdef:3'));
  for (const text of ['0123456789ABCDEF:1', '0123456789abcdef', '0123456789abcdef:0', '0123456789abcde:1', 'src/a.ts:aws-access-key-id:3']) {
    const [entry] = parseIgnoreFile(text, 'x', '/x').entries;
    assert.equal(entry?.kind, 'glob', text);
  }
});

test('ignore file: a comment that holds a credential is not kept as a justification', () => {
  const key = 'AKIA' + fake(BASE32, 12) + '5' + fake(BASE32, 3);
  const file = parseIgnoreFile(`0123456789abcdef:1  # was AWS_ACCESS_KEY_ID=${key}\n0123456789abcdef:2  # rotated on ${fake(ALNUM, 4)}\n`, 'x', '/x');
  assert.equal(file.entries[0]?.justification, undefined);
  assert.ok(!JSON.stringify(file).includes(key));
  assert.match(file.entries[1]?.justification ?? '', /rotated/);
});

test('ignore file: every unusable line is reported at once, with its line, as SLUICE_USAGE', () => {
  const text = ['ok/**', '!keep.env', 'a/../b', '[z-a]', '/'].join('\n');
  assert.throws(
    () => parseIgnoreFile(text, 'ci/secrets.ignore', '/repo/ci/secrets.ignore'),
    (error) => {
      assert.ok(isSluiceError(error, 'SLUICE_USAGE'));
      assert.match(error.message, /ci\/secrets\.ignore has 4 lines that cannot be used/);
      assert.deepEqual(
        error.details.map((d) => d.split(':').slice(0, 2).join(':')),
        ['ci/secrets.ignore:2', 'ci/secrets.ignore:3', 'ci/secrets.ignore:4', 'ci/secrets.ignore:5'],
      );
      assert.match(error.details[0]!, /negation/);
      return true;
    },
  );
});

test('ignore file: one that cannot be read is SLUICE_IO_FAILED', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ignore-'));
  await assert.rejects(readIgnoreFile(join(dir, 'missing'), 'missing'), (error) => isSluiceError(error, 'SLUICE_IO_FAILED'));
  writeFileSync(join(dir, '.sluiceignore'), '# nothing yet\n');
  assert.deepEqual((await readIgnoreFile(join(dir, '.sluiceignore'), '.sluiceignore')).entries, []);
});
