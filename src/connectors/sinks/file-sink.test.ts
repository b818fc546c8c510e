// The file sink: object names cannot escape its directory, writes are atomic and idempotent per batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectPath } from './safe-path.ts';
import { FileSink } from './file-sink.ts';
import { isSluiceError } from '../../errors.ts';
import { openObjectBuffer } from '../../crypto/envelope/envelope.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';

const encryption = await testEncryption();

const root = () => mkdtempSync(join(tmpdir(), 'sluice-sink-'));

test('object names that try to escape the sink directory are refused', () => {
  const dir = root();
  const attacks = ['../x', 'a/../../x', '/etc/passwd', 'a/./b', 'a//b', '..\\x', 'a\u0000b', 'a\nb', '', `${'x'.repeat(256)}/y`, '..'];
  for (const name of attacks) {
    assert.throws(() => objectPath(dir, name), (error) => isSluiceError(error, 'SLUICE_SINK_PATH_ESCAPE'), JSON.stringify(name));
  }
  assert.equal(objectPath(dir, 'p/run/part-000001.jsonl'), join(dir, 'p/run/part-000001.jsonl'));
  // Percent-encoding is not decoded: it names a literal, harmless file.
  assert.equal(objectPath(dir, '%2e%2e%2fx'), join(dir, '%2e%2e%2fx'));
});

test('a symlink planted in the sink directory that points outside is refused before anything is written', async () => {
  const dir = root();
  const outside = root();
  mkdirSync(join(dir, 'out'));
  symlinkSync(outside, join(dir, 'out', 'pipe'));
  const sink = new FileSink({ dir: 'out', format: 'jsonl' }, { name: 's', clearance: 'internal', fields: ['a'] }, dir);
  await assert.rejects(sink.open({ pipeline: 'pipe', runId: '20260101T000000Z-abcdef' }, encryption), (error) => isSluiceError(error, 'SLUICE_SINK_PATH_ESCAPE'));
  assert.deepEqual(readdirSync(outside), []);
});

test('writes project onto the planned fields, replace a rewritten batch, and leave no temp files', async () => {
  const dir = root();
  const sink = new FileSink({ dir: 'out', format: 'jsonl' }, { name: 's', clearance: 'internal', fields: ['a', 'b'] }, dir);
  const run = { pipeline: 'pipe', runId: '20260101T000000Z-abcdef' };
  await sink.open(run, encryption);
  const record = (a: number) => Object.assign(Object.create(null) as Record<string, unknown>, { a, b: 'x', secret: 'never' });
  await sink.write(1, [record(1), record(2)]);
  await sink.write(1, [record(3)]);
  const runDir = join(dir, 'out', 'pipe', run.runId);
  assert.deepEqual(readdirSync(runDir), ['part-000001.jsonl.sluice']);
  const object = readFileSync(join(runDir, 'part-000001.jsonl.sluice'));
  assert.ok(!object.includes('never') && !object.includes('"a"'), 'no plaintext at rest');
  const { plaintext, context } = await openObjectBuffer(object, encryption.keys, 'part-000001');
  assert.equal(plaintext.toString(), '{"a":3,"b":"x"}\n');
  assert.deepEqual(context, { pipeline: 'pipe', run: run.runId, dataset: 's', classification: 'internal', batch: '1', format: 'jsonl' });
  assert.equal(statSync(join(runDir, 'part-000001.jsonl.sluice')).mode & 0o777, 0o600);
});

test('temp files a crashed writer left behind are removed when the sink opens', async () => {
  const dir = root();
  const run = { pipeline: 'pipe', runId: '20260101T000000Z-abcdef' };
  const runDir = join(dir, 'out', 'pipe', run.runId);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, '.part-000002.jsonl.0123456789ab.tmp'), '{"half":');
  const sink = new FileSink({ dir: 'out', format: 'jsonl' }, { name: 's', clearance: 'internal', fields: ['a'] }, dir);
  await sink.open(run, encryption);
  assert.deepEqual(readdirSync(runDir), []);
});

test('discarding an abandoned run removes only that run folder', async () => {
  const dir = root();
  const sink = new FileSink({ dir: 'out', format: 'jsonl' }, { name: 's', clearance: 'internal', fields: ['a'] }, dir);
  await sink.open({ pipeline: 'pipe', runId: '20260101T000000Z-aaaaaa' }, encryption);
  await sink.write(1, [{ a: 1 }]);
  const next = new FileSink({ dir: 'out', format: 'jsonl' }, { name: 's', clearance: 'internal', fields: ['a'] }, dir);
  await next.open({ pipeline: 'pipe', runId: '20260102T000000Z-bbbbbb' }, encryption);
  assert.equal(await next.discard('20260101T000000Z-aaaaaa'), true);
  assert.deepEqual(readdirSync(join(dir, 'out', 'pipe')), ['20260102T000000Z-bbbbbb']);
});

test('a connector that overrides Sink.write() (to skip the projection) cannot be constructed', async () => {
  const { Sink } = await import('../sink.ts');
  class Sneaky extends Sink {
    override async write(): Promise<never> {
      throw new Error('unreachable');
    }
    protected async _open(): Promise<void> {}
    protected async _write(): Promise<string> {
      return 'x';
    }
    describe(): string {
      return 'sneaky';
    }
  }
  assert.throws(() => new Sneaky({ name: 's', clearance: 'public', fields: [] }), /overrides Sink.write/);
});
