// Runs pipelines with NATS components in tests: specs planned against a small registry, a fresh state store
// per run, and a record sink double that lets a test look at the stream while a batch is being written.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { pino } from 'pino';
import { ComponentRegistry } from '../../src/spec/registry.ts';
import { validateSpec } from '../../src/spec/validate.ts';
import { fileOnlyLocator } from '../../src/spec/location.ts';
import { planPipeline } from '../../src/plan/plan.ts';
import type { Plan } from '../../src/plan/plan.ts';
import { defineSink } from '../../src/spec/component.ts';
import type { AnyComponent } from '../../src/spec/component.ts';
import { RecordSink } from '../../src/connectors/sink.ts';
import type { RecordBatch, SinkRunInfo } from '../../src/connectors/sink.ts';
import type { DataRecord } from '../../src/runtime/record.ts';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { openObjectBuffer } from '../../src/crypto/envelope/envelope.ts';
import type { KeySource } from '../../src/crypto/envelope/envelope.ts';

export const silentLogger = pino({ level: 'silent' });

/**
 * What the probe sink holds, by run and batch number (a rewrite of a batch of the same run replaces it, as a
 * de-duplicating sink would), and a hook run before each write.
 */
export const probe = {
  batches: new Map<string, DataRecord[]>(),
  /** Runs before a batch is stored; a throw fails the write. */
  beforeWrite: undefined as ((batch: RecordBatch) => Promise<void>) | undefined,
  reset(): void {
    this.batches.clear();
    this.beforeWrite = undefined;
  },
  /** Every record held, in the order batches were first written. */
  records(): DataRecord[] {
    return [...this.batches.values()].flat();
  },
};

class ProbeSink extends RecordSink {
  protected async _open(_run: SinkRunInfo): Promise<void> {}
  protected async _write(batch: RecordBatch): Promise<void> {
    await probe.beforeWrite?.(batch);
    probe.batches.set(`${batch.run.runId}#${batch.batch}`, batch.records.map((r) => ({ ...r })));
  }
  describe(): string {
    return 'probe';
  }
}

/** Test double: a record sink that keeps batches in `probe` and calls its hook first. */
export const probeSink = defineSink({
  name: 'probe',
  summary: 'Test double: a record sink that keeps what it is given and lets a test act before each write.',
  holds: 'records',
  spec: z.strictObject({}),
  examples: [{}],
  create: (_options, settings) => new ProbeSink(settings),
});

/** The contract the NATS tests use: an id, and an email masked on the way. */
export const CONTRACT = { fields: { id: { type: 'string', class: 'internal' }, email: { type: 'string', class: 'restricted', pii: 'email' } } };

/** A plan for a pipeline document (contract, mask step and retry settings filled in when missing). */
export function planFor(components: readonly AnyComponent[], document: Record<string, unknown>): Plan {
  const full = {
    contract: CONTRACT,
    steps: [{ mask: { fields: ['email'], keepLast: 4 } }],
    runtime: { batchSize: 10, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 2 } },
    ...document,
  };
  const result = validateSpec(full, new ComponentRegistry(components), fileOnlyLocator('nats.yaml'), tmpdir());
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

const storeDirs: string[] = [];

/** A state store in a folder of its own; removeStores() deletes them all (call it in after()). */
export function freshStore(): { dir: string; store: SqliteStateStore } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-nats-run-'));
  storeDirs.push(dir);
  return { dir, store: new SqliteStateStore(join(dir, 'state.db')) };
}

export async function removeStores(): Promise<void> {
  for (const dir of storeDirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** The decrypted text of every quarantine object in `dir`. */
export async function quarantineText(dir: string, keys: KeySource): Promise<string> {
  let text = '';
  for (const name of readdirSync(dir).sort()) text += (await openObjectBuffer(readFileSync(join(dir, name)), keys, name)).plaintext.toString('utf8');
  return text;
}

/** Waits until `check` holds, polling; fails with `what` after `ms` (a generous bound, not a timing assertion). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `count` records m<from>…, each with an email. */
export function people(from: number, count: number): { id: string; email: string }[] {
  return Array.from({ length: count }, (_, i) => ({ id: `m${from + i}`, email: `user${from + i}@example.com` }));
}
