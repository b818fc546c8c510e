// The runtime's contract with streams and record sinks: acknowledgements only after the commit, following
// until shutdown, incremental starts, and the planner's cap on record sinks' clearance.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ComponentRegistry } from '../spec/registry.ts';
import { validateSpec } from '../spec/validate.ts';
import { fileOnlyLocator } from '../spec/location.ts';
import { planPipeline } from '../plan/plan.ts';
import { runPipeline } from './executor.ts';
import { SqliteStateStore } from '../store/sqlite/sqlite-state-store.ts';
import { isSluiceError, SluiceError } from '../errors.ts';
import { maskStep } from '../privacy/transforms/mask.ts';
import { datasets, failures, memorySource, recordBatches, recordRefs, recordSinkDouble, stream, streamSourceDouble } from '../../test/support/memory-components.ts';
import { testEncryption } from '../../test/support/test-keyring.ts';
import { RecordSink } from '../connectors/sink.ts';

const registry = new ComponentRegistry([streamSourceDouble, recordSinkDouble, maskStep]);
const silent = pino({ level: 'silent' });

function planFor(sink: Record<string, unknown> = { 'collect-records': { name: 'table', clearance: 'internal' } }) {
  const document = {
    pipeline: 'stream-test',
    source: { 'memory-stream': {} },
    contract: { fields: { id: { type: 'string', class: 'internal' }, email: { type: 'string', class: 'restricted', pii: 'email' } } },
    steps: [{ mask: { fields: ['email'], keepLast: 4 } }],
    sinks: [sink],
    runtime: { batchSize: 10, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 2 } },
  };
  const result = validateSpec(document, registry, fileOnlyLocator('stream.yaml'), tmpdir());
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

function messages(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ id: `m${from + i}`, email: `user${from + i}@example.com` }));
}

function freshStore() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-stream-'));
  return { dir, store: new SqliteStateStore(join(dir, 'state.db')) };
}

let encryption: Awaited<ReturnType<typeof testEncryption>>;
beforeEach(async () => {
  encryption = await testEncryption();
  Object.assign(stream, { records: messages(1, 25), acks: [], opens: [], incremental: false });
  recordBatches.clear();
  failures.clear();
});

test('a stream is acknowledged batch by batch, in order, only after each batch is committed', async () => {
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.deepEqual(stream.acks, [{ index: 10 }, { index: 20 }, { index: 25 }]);
  assert.equal(result.run.totals.recordsIn, 25);
  // Each acknowledgement matches a committed checkpoint.
  assert.deepEqual((await store.lastCheckpoint(result.run.id))?.position, { index: 25 });
  await store.close();
});

test('a batch whose sink write fails is never acknowledged, so the server redelivers it', async () => {
  const { dir, store } = freshStore();
  failures.set('table', [undefined, new SluiceError('SLUICE_SINK_WRITE_FAILED', 'table is down')]);
  await assert.rejects(runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent }), (error) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'));
  assert.deepEqual(stream.acks, [{ index: 10 }]);
  await store.close();
});

test('a record sink receives only the fields the plan lets reach it, as protected by the steps', async () => {
  const { dir, store } = freshStore();
  stream.records = [{ id: 'm1', email: 'someone@example.com' }];
  await runPipeline({ plan: planFor({ 'collect-records': { name: 'table', clearance: 'internal', fields: ['email'] } }), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.deepEqual(recordBatches.get('table')?.get(1)?.map((r) => ({ ...r })), [{ email: '***************.com' }]);
  await store.close();
});

test('a record sink is told where each record came from (the source refs), so replays de-duplicate on them', async () => {
  const { dir, store } = freshStore();
  stream.records = [{ id: 'm1', email: 'a@example.com' }, { id: 'bad' }, { id: 'm3', email: 'c@example.com' }];
  await runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  // The record the contract refused is quarantined; the refs stay parallel to the records that reached the sink.
  assert.deepEqual(recordRefs.get('table')?.get(1), ['stream:1', 'stream:3']);
  assert.deepEqual(recordBatches.get('table')?.get(1)?.map((r) => r.id), ['m1', 'm3']);
  await store.close();
});

test('following: the run keeps consuming new messages until its signal aborts, then ends as succeeded', async () => {
  const { dir, store } = freshStore();
  const controller = new AbortController();
  const running = runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent, follow: true, signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 50));
  stream.records.push(...messages(26, 5));
  await new Promise((resolve) => setTimeout(resolve, 50));
  controller.abort();
  const result = await running;
  assert.equal(result.run.status, 'succeeded');
  assert.equal(result.run.totals.recordsIn, 30);
  assert.deepEqual(stream.opens, [{ from: undefined, follow: true }]);
  assert.deepEqual(stream.acks.at(-1), { index: 30 });
  await store.close();
});

test('a run whose source stops early because the run was signalled ends interrupted (resumable), never as succeeded', async () => {
  const { dir, store } = freshStore();
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent, signal: controller.signal }), (error) => isSluiceError(error, 'SLUICE_RUN_INTERRUPTED'));
  const [run] = await store.listRuns({ pipeline: 'stream-test' });
  assert.equal(run?.status, 'failed');
  await store.close();
});

test('--follow with a source that cannot follow (a file, an API) is refused before anything is read', async () => {
  const { dir, store } = freshStore();
  datasets.set('finite', [{ id: 'x', email: 'x@example.com' }]);
  const result = validateSpec(
    { pipeline: 'finite', source: { memory: { dataset: 'finite' } }, contract: { fields: { id: { type: 'string', class: 'internal' }, email: { type: 'string', class: 'restricted' } } }, steps: [{ mask: { fields: ['email'] } }], sinks: [{ 'collect-records': { name: 'table', clearance: 'internal' } }] },
    new ComponentRegistry([memorySource, recordSinkDouble, maskStep]),
    fileOnlyLocator('finite.yaml'),
    tmpdir(),
  );
  assert.ok(result.spec);
  await assert.rejects(runPipeline({ plan: planPipeline(result.spec), store, stateDir: dir, encryption, specHash: 'h', logger: silent, follow: true }), (error) => isSluiceError(error, 'SLUICE_USAGE') && /cannot follow/.test(error.message));
  assert.equal(recordBatches.get('table'), undefined);
  await store.close();
});

test('an incremental source starts a new run where the last successful run ended, past runs that read nothing', async () => {
  const { dir, store } = freshStore();
  stream.incremental = true;
  await runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent, fresh: true });
  await runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent, fresh: true });
  stream.records.push(...messages(26, 3));
  const third = await runPipeline({ plan: planFor(), store, stateDir: dir, encryption, specHash: 'h', logger: silent, fresh: true });
  assert.deepEqual(stream.opens.map((o) => o.from), [undefined, { index: 25 }, { index: 25 }]);
  assert.equal(third.run.totals.recordsIn, 3);
  await store.close();
});

test('the planner refuses a restricted clearance on a record sink (SLC107): restricted data must arrive tokenized or encrypted', () => {
  const plan = planFor({ 'collect-records': { name: 'table', clearance: 'restricted' } });
  const finding = plan.findings.find((f) => f.rule === 'SLC107');
  assert.ok(finding);
  assert.equal(finding.severity, 'error');
  assert.match(finding.message, /sink 'table'/);
});

test('a record sink built by hand with a restricted clearance is refused at construction (defense in depth)', () => {
  class Hand extends RecordSink {
    protected async _open(): Promise<void> {}
    protected async _write(): Promise<void> {}
    describe(): string {
      return 'hand';
    }
  }
  assert.throws(() => new Hand({ name: 'x', clearance: 'restricted', fields: ['a'] }), (error) => isSluiceError(error, 'SLUICE_PLAN_REJECTED'));
});

test('a record sink connector that overrides write() (to skip the projection) cannot be constructed', () => {
  class Sneaky extends RecordSink {
    override async write(): Promise<undefined> {
      return undefined;
    }
    protected async _open(): Promise<void> {}
    protected async _write(): Promise<void> {}
    describe(): string {
      return 'sneaky';
    }
  }
  assert.throws(() => new Sneaky({ name: 's', clearance: 'internal', fields: [] }), /overrides RecordSink.write/);
});
