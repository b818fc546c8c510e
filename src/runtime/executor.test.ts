// The embedded runtime: contract checks, quarantine, retries, checkpoints, resume, refusal of bad plans.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ComponentRegistry } from '../spec/registry.ts';
import { validateSpec } from '../spec/validate.ts';
import { fileOnlyLocator } from '../spec/location.ts';
import { planPipeline } from '../plan/plan.ts';
import { runPipeline } from './executor.ts';
import { SqliteStateStore } from '../store/sqlite/sqlite-state-store.ts';
import { isSluiceError } from '../errors.ts';
import type { StateStore } from '../store/state-store.ts';
import { maskStep } from '../privacy/transforms/mask.ts';
import { customStep, defineStep } from '../steps/custom-step.ts';
import { renameStep } from '../steps/rename.ts';
import { collected, collectingSink, datasets, failures, memorySource, reader, received, sinkRecords, SOURCE_FAILS_HERE, systemError } from '../../test/support/memory-components.ts';
import { testEncryption } from '../../test/support/test-keyring.ts';
import { openObjectBuffer } from '../crypto/envelope/envelope.ts';

const registry = new ComponentRegistry([memorySource, collectingSink, maskStep, renameStep, customStep]);
const silent = pino({ level: 'silent' });

function customers(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({ id: `c${i + 1}`, email: `user${i + 1}@example.com`, age: 20 + (i % 50) }));
}

function specFor(overrides: Record<string, unknown> = {}) {
  const document = {
    pipeline: 'test',
    source: { memory: { dataset: 'customers' } },
    contract: {
      fields: {
        id: { type: 'string', class: 'internal' },
        email: { type: 'string', class: 'restricted', pii: 'email' },
        age: { type: 'integer', class: 'internal' },
      },
    },
    steps: [{ mask: { fields: ['email'], keepLast: 4 } }],
    sinks: [{ collect: { name: 'out', clearance: 'internal' } }],
    runtime: { batchSize: 10, retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 } },
    ...overrides,
  };
  const result = validateSpec(document, registry, fileOnlyLocator('test.yaml'), tmpdir());
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

/** The quarantine's records, decrypted as `sluice cat` would. */
async function quarantineText(dir: string): Promise<string> {
  let text = '';
  for (const name of readdirSync(dir).sort()) text += (await openObjectBuffer(readFileSync(join(dir, name)), encryption.keys, name)).plaintext.toString('utf8');
  return text;
}

function freshStore() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-exec-'));
  return { dir, store: new SqliteStateStore(join(dir, 'state.db')) };
}

let encryption: Awaited<ReturnType<typeof testEncryption>>;

beforeEach(async () => {
  encryption = await testEncryption();
  reader.keys = encryption.keys;
  received.length = 0;
  collected.clear();
  failures.clear();
  datasets.set('customers', customers(35));
});

test('a run writes every valid record once, masked, and commits one checkpoint per batch', async () => {
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  const out = sinkRecords('out');
  assert.equal(out.length, 35);
  assert.equal(out[0]?.email, '*'.repeat('user1@example'.length) + '.com');
  assert.equal(result.run.status, 'succeeded');
  assert.equal(result.run.totals.recordsIn, 35);
  assert.equal(result.run.totals.batches, 4);
  assert.equal(result.run.totals.protectedFields['masked:email'], 35);
  assert.equal((await store.lastCheckpoint(result.run.id))?.batch, 4);
  // What reached the connector is ciphertext: the Sluice header, and no email anywhere.
  assert.equal(received.length, 4);
  assert.ok(received.every((object) => object.subarray(0, 4).toString('latin1') === 'SLCE' && !object.includes('@example.com')));
  await store.close();
});

test('records that break the contract are quarantined with their reason; nothing is dropped silently', async () => {
  const records = customers(12);
  records[2] = { id: 'c3', email: 'x@example.com', age: 'old' };
  records[5] = { id: 'c6', age: 30 };
  records[7] = { id: 'c8', email: 'y@example.com', age: 31, ssn: '078-05-1120' };
  datasets.set('customers', records);
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(sinkRecords('out').length, 9);
  assert.equal(result.run.totals.quarantined, 3);
  const raw = readdirSync(result.quarantineDir).map((name) => readFileSync(join(result.quarantineDir, name)));
  assert.ok(raw.every((bytes) => !bytes.includes('078-05-1120')), 'the quarantine holds no plaintext at rest');
  const lines = (await quarantineText(result.quarantineDir)).trim().split('\n');
  const reasons = lines.map((line) => JSON.parse(line) as { ref: string; reason: string });
  assert.deepEqual(reasons.map((r) => r.ref), ['memory:3', 'memory:6', 'memory:8']);
  assert.match(reasons[0]?.reason ?? '', /age.*integer/);
  assert.match(reasons[1]?.reason ?? '', /email.*missing/);
  assert.match(reasons[2]?.reason ?? '', /ssn.*not in the contract/);
  // Reasons never quote values: the SSN is in the quarantined record, not in the reason.
  assert.ok(!reasons[2]?.reason.includes('078-05-1120'));
  await store.close();
});

test('contract.unknownFields: drop removes undeclared fields and counts them', async () => {
  datasets.set('customers', [{ id: 'c1', email: 'a@example.com', age: 1, extra: 'x', more: 2 }]);
  const plan = specFor({ contract: { unknownFields: 'drop', fields: { id: { type: 'string', class: 'internal' }, email: { type: 'string', class: 'restricted' }, age: { type: 'integer', class: 'internal' } } } });
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan, store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.deepEqual(Object.keys(sinkRecords('out')[0] ?? {}), ['id', 'email', 'age']);
  assert.equal(result.run.totals.unknownFieldsDropped, 2);
  await store.close();
});

test('a plan with error findings is refused before any sink is opened', async () => {
  const plan = specFor({ steps: [] });
  const { dir, store } = freshStore();
  await assert.rejects(runPipeline({ plan, store, stateDir: dir, encryption, specHash: 'h', logger: silent }), (error) => isSluiceError(error, 'SLUICE_PLAN_REJECTED'));
  assert.equal(collected.size, 0);
  assert.deepEqual(await store.listRuns(), []);
  await store.close();
});

test('retryable sink errors are retried with backoff; the run then succeeds', async () => {
  failures.set('out', [systemError('EBUSY'), systemError('EAGAIN')]);
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(result.run.status, 'succeeded');
  assert.equal(sinkRecords('out').length, 35);
  await store.close();
});

test('a failing sink fails the run, keeps committed batches, and a rerun resumes after the last one', async () => {
  // Batches 1 and 2 pass; batch 3 fails with a non-retryable error.
  failures.set('out', [undefined, undefined, systemError('EACCES')]);
  const { dir, store } = freshStore();
  await assert.rejects(runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent }), /EACCES/);
  const [failed] = await store.listRuns();
  assert.equal(failed?.status, 'failed');
  assert.equal((await store.lastCheckpoint(failed?.id ?? ''))?.batch, 2);
  assert.equal(sinkRecords('out').length, 20);

  const resumed = await runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(resumed.run.id, failed?.id);
  assert.equal(resumed.resumedAfterBatch, 2);
  assert.equal(resumed.run.attempts, 2);
  assert.equal(resumed.run.totals.recordsIn, 35);
  const ids = sinkRecords('out').map((r) => r.id);
  assert.equal(ids.length, 35);
  assert.equal(new Set(ids).size, 35);
  await store.close();
});

test('a rerun under a changed spec abandons the interrupted run and starts over', async () => {
  failures.set('out', [undefined, systemError('EACCES')]);
  const { dir, store } = freshStore();
  await assert.rejects(runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h1', logger: silent }));
  const result = await runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h2', logger: silent });
  assert.equal(result.resumedAfterBatch, 0);
  assert.equal(result.abandoned?.reason, 'the spec changed since it was interrupted');
  const statuses = (await store.listRuns()).map((r) => r.status).sort();
  assert.deepEqual(statuses, ['abandoned', 'succeeded']);
  await store.close();
});

test('a run held by another live process is refused (no two writers)', async () => {
  const { dir, store } = freshStore();
  await store.createRun({ id: 'held', pipeline: 'test', specHash: 'h', startedAt: new Date().toISOString(), pid: process.ppid });
  await assert.rejects(runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent }), (error) => isSluiceError(error, 'SLUICE_RUN_LOCKED'));
  await store.close();
});

test('an abort stops after committing the batch in flight; the next run resumes', async () => {
  const { dir, store } = freshStore();
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent, signal: controller.signal }), (error) => isSluiceError(error, 'SLUICE_RUN_INTERRUPTED'));
  assert.equal(sinkRecords('out').length, 10);
  const result = await runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(result.resumedAfterBatch, 1);
  assert.equal(sinkRecords('out').length, 35);
  await store.close();
});

test('a custom step that writes a field it did not declare gets the record quarantined (deny by default)', async () => {
  const sneaky = defineStep({
    name: 'sneaky',
    reads: ['id'],
    writes: { tag: { type: 'string' } },
    apply: (input) => (input.id === 'c2' ? { tag: 'x', leaked: 'oops' } : { tag: 'x' }),
  });
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: specFor({ steps: [{ mask: { fields: ['email'] } }, { custom: sneaky }] }), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(result.run.totals.quarantined, 1);
  assert.ok(sinkRecords('out').every((r) => !('leaked' in r) && r.tag === 'x'));
  await store.close();
});

test('a custom step sees only the fields it declared it reads', async () => {
  let seen: string[] = [];
  const peek = defineStep({
    name: 'peek',
    reads: ['id'],
    writes: { id_length: { type: 'integer' } },
    apply: (input) => {
      seen = Object.keys(input);
      return { id_length: String(input.id).length };
    },
  });
  const { dir, store } = freshStore();
  await runPipeline({ plan: specFor({ steps: [{ mask: { fields: ['email'] } }, { custom: peek }] }), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.deepEqual(seen, ['id']);
  await store.close();
});

test('a step that throws quarantines the record with the step named in the reason, without its message (which may quote values)', async () => {
  const fragile = defineStep({
    name: 'fragile',
    reads: ['age'],
    writes: { decade: { type: 'integer' } },
    apply: (input) => {
      if (input.age === 25) throw new TypeError(`cannot handle ${String(input.age)} for ${String(input.id)}`);
      return { decade: Math.floor(Number(input.age) / 10) };
    },
  });
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: specFor({ steps: [{ mask: { fields: ['email'] } }, { custom: fragile }] }), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(result.run.totals.quarantined, 1);
  const line = await quarantineText(result.quarantineDir);
  assert.match(line, /"reason":"steps\[1\] custom failed: it threw TypeError/);
  assert.ok(!/cannot handle/.test(line), 'the thrown message (which quotes the record) is not in the reason');
  await store.close();
});

test('retention: a successful run removes sink and quarantine folders of runs older than the retention, and no others', async () => {
  const { mkdirSync, writeFileSync, existsSync } = await import('node:fs');
  const { FileSink } = await import('../connectors/sinks/file-sink.ts');
  const { newRunId } = await import('./run-id.ts');
  const root = mkdtempSync(join(tmpdir(), 'sluice-retention-'));
  const old = newRunId(new Date(Date.now() - 3 * 86_400_000));
  const recent = newRunId(new Date(Date.now() - 3_600_000));
  for (const id of [old, recent]) {
    mkdirSync(join(root, 'out', 'test', id), { recursive: true });
    writeFileSync(join(root, 'out', 'test', id, 'part-000001.jsonl'), '{}\n');
  }
  mkdirSync(join(root, 'out', 'test', 'not-a-run'), { recursive: true });
  const sink = new FileSink({ dir: 'out', format: 'jsonl' }, { name: 'out', clearance: 'internal', fields: ['id'] }, root);
  const current = newRunId();
  await sink.open({ pipeline: 'test', runId: current }, encryption);
  assert.deepEqual(await sink.prune(new Date(Date.now() - 2 * 86_400_000), current), [old]);
  assert.equal(existsSync(join(root, 'out', 'test', old)), false);
  assert.equal(existsSync(join(root, 'out', 'test', recent)), true);
  assert.equal(existsSync(join(root, 'out', 'test', current)), true);
  assert.equal(existsSync(join(root, 'out', 'test', 'not-a-run')), true, 'folders that are not run ids are never touched');
});

test('a source that fails mid-run: the batch in flight settles first, and checkpoints match what the sink holds', async () => {
  const records: unknown[] = customers(35);
  records[24] = SOURCE_FAILS_HERE;
  datasets.set('customers', records);
  const { dir, store } = freshStore();
  await assert.rejects(runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent }), (error) => isSluiceError(error, 'SLUICE_INPUT_MALFORMED'));
  const [run] = await store.listRuns();
  assert.equal(run?.status, 'failed');
  assert.equal((await store.lastCheckpoint(run?.id ?? ''))?.batch, 2);
  assert.equal(run?.totals.batches, 2);
  assert.deepEqual([...(collected.get('out')?.keys() ?? [])], [1, 2]);
  await store.close();
});

test('a checkpoint that fails to commit does not count: totals stay at the last committed batch, and resume completes', async () => {
  const { dir, store } = freshStore();
  let commits = 0;
  // Every method is the real store's, except commitCheckpoint, which fails once.
  const flaky = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'commitCheckpoint') {
        return async (checkpoint: Parameters<StateStore['commitCheckpoint']>[0]) => {
          if (++commits === 2) throw new Error('database is locked');
          return target.commitCheckpoint(checkpoint);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

  await assert.rejects(runPipeline({ plan: specFor(), store: flaky, stateDir: dir, encryption, specHash: 'h', logger: silent }), /locked/);
  const [failed] = await store.listRuns();
  assert.equal(failed?.totals.recordsIn, 10);
  assert.equal(failed?.totals.batches, 1);
  const resumed = await runPipeline({ plan: specFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(resumed.run.totals.recordsIn, 35);
  assert.equal(sinkRecords('out').length, 35);
  await store.close();
});

test('retention through a run: quarantine folders of runs older than the retention are removed, and the summary counts them', async () => {
  const { mkdirSync, existsSync } = await import('node:fs');
  const { newRunId } = await import('./run-id.ts');
  const { dir, store } = freshStore();
  const old = newRunId(new Date(Date.now() - 10 * 86_400_000));
  mkdirSync(join(dir, 'quarantine', 'test', old), { recursive: true });
  const result = await runPipeline({ plan: specFor({ retention: '7d' }), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(result.pruned, 1);
  assert.equal(existsSync(join(dir, 'quarantine', 'test', old)), false);
  assert.equal(existsSync(result.quarantineDir), true);
  await store.close();
});

test('a custom step that does not return a declared output gets the record quarantined, so the old value cannot slip through', async () => {
  const lazy = defineStep({ name: 'lazy', reads: ['email'], writes: { email: { type: 'string', protective: 'internal' } }, apply: () => ({}) });
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: specFor({ steps: [{ custom: lazy }] }), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(result.run.totals.quarantined, 35);
  assert.equal(sinkRecords('out').length, 0);
  await store.close();
});

test('a custom step definition cannot be changed after defineStep (plan and run see the same declaration)', () => {
  const reads = ['id'];
  const step = defineStep({ name: 'x', reads, writes: { n: { type: 'integer' } }, apply: () => ({ n: 1 }) });
  reads.push('email');
  assert.deepEqual([...step.reads], ['id']);
  assert.throws(() => (step.reads as string[]).push('email'));
});
