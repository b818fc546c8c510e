// Batches larger than a chunk: the records go through the contract and the steps CHUNK_RECORDS at a time and are
// staged in the sinks as they go, yet each batch is still one object and one checkpoint with every record once.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { z } from 'zod';
import { ComponentRegistry } from '../spec/registry.ts';
import { defineStepComponent } from '../spec/component.ts';
import { validateSpec } from '../spec/validate.ts';
import { fileOnlyLocator } from '../spec/location.ts';
import { planPipeline } from '../plan/plan.ts';
import { runPipeline } from './executor.ts';
import { CHUNK_RECORDS } from './process-batch.ts';
import { SqliteStateStore } from '../store/sqlite/sqlite-state-store.ts';
import { isSluiceError } from '../errors.ts';
import { maskStep } from '../privacy/transforms/mask.ts';
import { Sink } from '../connectors/sink.ts';
import { openObjectBuffer } from '../crypto/envelope/envelope.ts';
import type { DataRecord } from './record.ts';
import { newRecord } from './record.ts';
import {
  collected,
  collectingSink,
  datasets,
  failures,
  memorySource,
  reader,
  received,
  recordBatches,
  recordRefs,
  recordSinkDouble,
  sinkRecords,
  systemError,
} from '../../test/support/memory-components.ts';
import { testEncryption } from '../../test/support/test-keyring.ts';

/** How many records each prepare() of the watching step was given, in order. */
const prepared: number[] = [];
const watchStep = defineStepComponent({
  name: 'watch',
  summary: 'Test double: notes the size of each prepare and passes records on unchanged.',
  spec: z.strictObject({}),
  examples: [{}],
  plan() {},
  create: () => ({
    async prepare(records) {
      prepared.push(records.length);
    },
    apply: (record) => record,
  }),
});

const registry = new ComponentRegistry([memorySource, collectingSink, recordSinkDouble, maskStep, watchStep]);
const silent = pino({ level: 'silent' });
const RECORDS = 2 * CHUNK_RECORDS + 600;

function planFor(sinks: unknown[] = [{ collect: { name: 'out', clearance: 'internal' } }]) {
  const result = validateSpec(
    {
      pipeline: 'chunks',
      source: { memory: { dataset: 'customers' } },
      contract: { fields: { id: { type: 'string', class: 'internal' }, email: { type: 'string', class: 'restricted', pii: 'email' }, age: { type: 'integer', class: 'internal' } } },
      steps: [{ mask: { fields: ['email'], keepLast: 4 } }, { watch: {} }],
      sinks,
      runtime: { batchSize: 10_000, retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 } },
    },
    registry,
    fileOnlyLocator('chunks.yaml'),
    tmpdir(),
  );
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

let encryption: Awaited<ReturnType<typeof testEncryption>>;

beforeEach(async () => {
  encryption = await testEncryption();
  reader.keys = encryption.keys;
  received.length = 0;
  prepared.length = 0;
  collected.clear();
  failures.clear();
  recordBatches.clear();
  recordRefs.clear();
  const customers: unknown[] = Array.from({ length: RECORDS }, (_, i) => ({ id: `c${i + 1}`, email: `user${i + 1}@example.com`, age: 20 + (i % 50) }));
  // One record in the second chunk breaks the contract: it must reach the quarantine as it arrived.
  customers[CHUNK_RECORDS + 500] = { id: 'broken', email: 'broken@example.com', age: 'old' };
  datasets.set('customers', customers);
});

function freshStore() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chunks-'));
  return { dir, store: new SqliteStateStore(join(dir, 'state.db')) };
}

test('a batch of several chunks is one object and one checkpoint holding every good record once, in order', async () => {
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(result.run.totals.batches, 1);
  assert.equal(received.length, 1, 'one sink object');
  const ids = sinkRecords('out').map((r) => r.id);
  const expected = Array.from({ length: RECORDS }, (_, i) => `c${i + 1}`).filter((_, i) => i !== CHUNK_RECORDS + 500);
  assert.deepEqual(ids, expected);
  assert.equal(sinkRecords('out')[0]?.email, '*'.repeat('user1@example'.length) + '.com');
  assert.equal(result.run.totals.recordsOut.out, RECORDS - 1);
  assert.equal(result.run.totals.quarantined, 1);
  // The steps saw the batch a chunk at a time (the broken record never reached them).
  assert.deepEqual(prepared, [CHUNK_RECORDS, CHUNK_RECORDS - 1, 600]);
  await store.close();
});

test('a record rejected in a later chunk is quarantined as it arrived, though the chunks before it were released', async () => {
  const { dir, store } = freshStore();
  await runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  const quarantineDir = join(dir, 'quarantine', 'chunks');
  let text = '';
  for (const run of readdirSync(quarantineDir)) {
    for (const name of readdirSync(join(quarantineDir, run)).sort()) text += (await openObjectBuffer(readFileSync(join(quarantineDir, run, name)), encryption.keys, name)).plaintext.toString('utf8');
  }
  const entries = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { ref: string; record?: unknown });
  assert.equal(entries.length, 1);
  assert.equal(entries[0]?.ref, `memory:${CHUNK_RECORDS + 501}`);
  assert.deepEqual(entries[0]?.record, { id: 'broken', email: 'broken@example.com', age: 'old' });
  await store.close();
});

test('a staged batch whose write fails is written again by the retry with every record once (staging kept until it succeeds)', async () => {
  const { dir, store } = freshStore();
  failures.set('out', [systemError('EBUSY'), systemError('EAGAIN')]);
  const result = await runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(result.run.status, 'succeeded');
  const ids = sinkRecords('out').map((r) => r.id);
  assert.equal(ids.length, RECORDS - 1);
  assert.equal(new Set(ids).size, RECORDS - 1);
  await store.close();
});

test('a record sink gets the staged chunks as one batch, with each record\'s source ref', async () => {
  const { dir, store } = freshStore();
  await runPipeline({ plan: planFor([{ 'collect-records': { name: 'table', clearance: 'confidential' } }]), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  const batches = recordBatches.get('table');
  assert.deepEqual([...(batches?.keys() ?? [])], [1]);
  const records = batches?.get(1) ?? [];
  const refs = recordRefs.get('table')?.get(1) ?? [];
  assert.equal(records.length, RECORDS - 1);
  assert.equal(refs.length, RECORDS - 1);
  assert.equal(refs[CHUNK_RECORDS + 500], `memory:${CHUNK_RECORDS + 502}`, 'refs stay beside their records past the rejected one');
  assert.equal(records[CHUNK_RECORDS + 500]?.id, `c${CHUNK_RECORDS + 502}`);
  await store.close();
});

test('an object staged in pieces holds the same lines as one written from all the records; staging and records for one batch are refused', async () => {
  const sink = collectingSink.create({}, { name: 'direct', clearance: 'internal', fields: ['id', 'n'] }, { baseDir: tmpdir(), pipeline: 'chunks' });
  await sink.open({ pipeline: 'chunks', runId: 'r1' }, encryption);
  const records = Array.from({ length: 2500 }, (_, i) => Object.assign(newRecord(), { id: `x${i}`, n: i, secret: 'not for this sink' }) as DataRecord);
  sink.stage(1, records.slice(0, 1000));
  sink.stage(1, records.slice(1000));
  await sink.write(1, []);
  await sink.write(2, records);
  assert.deepEqual(collected.get('direct')?.get(1), collected.get('direct')?.get(2));
  assert.deepEqual(collected.get('direct')?.get(1)?.[2499], { id: 'x2499', n: 2499 }, 'staged records are projected too');
  sink.stage(3, records.slice(0, 10));
  await assert.rejects(sink.write(3, records.slice(10, 20)), (error) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'));
  await sink.close();
});

test('a write with nothing staged and no records is refused: a retry that outlives its run cannot replace a batch with an empty object', async () => {
  const sink = collectingSink.create({}, { name: 'late', clearance: 'internal', fields: ['id'] }, { baseDir: tmpdir(), pipeline: 'chunks' });
  await sink.open({ pipeline: 'chunks', runId: 'r1' }, encryption);
  sink.stage(1, [Object.assign(newRecord(), { id: 'a' })]);
  // The run fails and its sinks are closed (what was staged is dropped) while one write still waits to retry.
  await sink.close();
  await assert.rejects(sink.write(1, []), (error) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED') && /nothing to write/.test((error as Error).message));
  // An empty chunk stages nothing, so a batch whose records were all quarantined leaves nothing behind either.
  sink.stage(2, []);
  await assert.rejects(sink.write(2, []), /nothing to write/);
  assert.equal(collected.get('late')?.size ?? 0, 0, 'no object was written');
  const table = recordSinkDouble.create({}, { name: 'late-table', clearance: 'internal', fields: ['id'] }, { baseDir: tmpdir(), pipeline: 'chunks' });
  await table.open({ pipeline: 'chunks', runId: 'r1' }, encryption);
  await assert.rejects(table.write(1, []), /nothing to write/);
  await table.close();
});

test('a connector that overrides stage() (to keep records unprojected until the write) cannot be constructed', () => {
  class Sneaky extends Sink {
    override stage(): void {}
    protected async _open(): Promise<void> {}
    protected async _write(): Promise<string> {
      return 'sneaky';
    }
    describe(): string {
      return 'sneaky';
    }
  }
  assert.throws(() => new Sneaky({ name: 's', clearance: 'internal', fields: [] }), /overrides Sink.stage/);
});
