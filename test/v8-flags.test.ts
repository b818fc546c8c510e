// Which V8 settings each sluice command runs with (bin/v8-flags.js), and that the CLI names the command to
// bin/sluice.js before running it, whatever global options come first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { THROUGHPUT_V8_FLAGS, v8FlagsFor } from '../bin/v8-flags.js';
import { main } from '../src/cli/main.ts';
import { Capture } from './support/cli-harness.ts';

test('commands that move data sweep dead ArrayBuffers in the collection; serve and demo-api keep V8 defaults for latency', () => {
  assert.deepEqual(THROUGHPUT_V8_FLAGS, ['--no-concurrent-array-buffer-sweeping']);
  for (const verb of ['run', 'worker', 'cat', 'keys rewrap', 'erase', 'audit verify']) assert.deepEqual(v8FlagsFor(verb), THROUGHPUT_V8_FLAGS, verb);
  for (const verb of ['serve', 'demo-api']) assert.deepEqual(v8FlagsFor(verb), [], verb);
});

test('the CLI names the command to beforeCommand before it runs, after global options that take values', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-v8-flags-'));
  const seen: string[] = [];
  const stdout = new Capture();
  const code = await main(['node', 'sluice', '--log-level', 'silent', '--state-dir', join(dir, 'state'), 'keys', 'list'], { cwd: dir, stdout, stderr: new Capture(), stdin: Readable.from(['']) }, {
    beforeCommand: (verb) => {
      // Before the command: it has printed nothing yet.
      assert.equal(stdout.text, '');
      seen.push(verb);
    },
  });
  assert.deepEqual(seen, ['keys list']);
  assert.equal(typeof code, 'number');
});
