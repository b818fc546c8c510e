// Which V8 settings each sluice command runs with (bin/v8-flags.js), that the CLI names the command before it
// runs it, and that bin/sluice.js sets them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { THROUGHPUT_V8_FLAGS, V8_DEFAULTS_ENV, v8FlagsFor } from '../bin/v8-flags.js';
import { main } from '../src/cli/main.ts';
import { Capture } from './support/cli-harness.ts';

const ROOT = join(import.meta.dirname, '..');
const masterKey = () => randomBytes(32).toString('base64');

test('commands sweep dead ArrayBuffers in the collection, serve and demo-api keep V8 defaults, SLUICE_V8_DEFAULTS=1 keeps them for all', () => {
  assert.deepEqual(THROUGHPUT_V8_FLAGS, ['--no-concurrent-array-buffer-sweeping']);
  for (const verb of ['run', 'worker', 'cat', 'keys rewrap', 'erase', 'audit verify']) assert.deepEqual(v8FlagsFor(verb, {}), THROUGHPUT_V8_FLAGS, verb);
  for (const verb of ['serve', 'demo-api']) assert.deepEqual(v8FlagsFor(verb, {}), [], verb);
  assert.deepEqual(v8FlagsFor('run', { [V8_DEFAULTS_ENV]: '1' }), []);
  assert.deepEqual(v8FlagsFor('run', { [V8_DEFAULTS_ENV]: '0' }), THROUGHPUT_V8_FLAGS);
});

test('the CLI names the command to beforeCommand once, before it runs, after global options that take values', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-v8-flags-'));
  const seen: { verb: string; printedBefore: string }[] = [];
  const stdout = new Capture();
  const saved = process.env.SLUICE_MASTER_KEY;
  process.env.SLUICE_MASTER_KEY = masterKey();
  try {
    const code = await main(['node', 'sluice', '--log-level', 'silent', '--state-dir', join(dir, 'state'), 'keys', 'list'], { cwd: dir, stdout, stderr: new Capture(), stdin: Readable.from(['']) }, {
      beforeCommand: (verb) => seen.push({ verb, printedBefore: stdout.text }),
    });
    assert.equal(code, 0);
  } finally {
    if (saved === undefined) delete process.env.SLUICE_MASTER_KEY;
    else process.env.SLUICE_MASTER_KEY = saved;
  }
  assert.deepEqual(seen, [{ verb: 'keys list', printedBefore: '' }]);
  assert.match(stdout.text, /no keys yet/i, 'the command ran after the hook');
});

test('bin/sluice.js sets the flags of the command it runs, and none under SLUICE_V8_DEFAULTS=1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-v8-flags-bin-'));
  const run = (extraEnv: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', join(ROOT, 'test/support/record-v8-flags.mjs'), join(ROOT, 'bin/sluice.js'), 'keys', 'list'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, SLUICE_MASTER_KEY: masterKey(), ...extraEnv },
    });
  const tuned = run({});
  assert.equal(tuned.status, 0, tuned.stderr);
  assert.deepEqual(tuned.stderr.match(/^v8-flag .*$/gm), ['v8-flag --no-concurrent-array-buffer-sweeping']);
  const defaults = run({ [V8_DEFAULTS_ENV]: '1' });
  assert.equal(defaults.status, 0, defaults.stderr);
  assert.equal(defaults.stderr.match(/^v8-flag .*$/gm), null);
});
