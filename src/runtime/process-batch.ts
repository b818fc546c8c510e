// One batch through the contract and the steps: what the embedded runtime and a cluster task both do.
import { isSluiceError, SluiceError } from '../errors.ts';
import type { Plan } from '../plan/plan.ts';
import type { CreateContext, SecretSource } from '../spec/component.ts';
import type { SinkInstance } from '../connectors/sink.ts';
import type { Source, SourceBatch } from '../connectors/source.ts';
import type { compileContract } from './contract-validator.ts';
import type { Quarantine, QuarantineEntry } from './quarantine.ts';
import type { RunTotals, StoredObject } from '../store/state-store.ts';
import type { DataRecord } from './record.ts';
import type { StepInstance } from './step.ts';

/** A batch after the contract and the steps, its good records staged in every sink, ready to be written and committed. */
export interface ProcessedBatch {
  /** How many good records the batch holds (staged in every sink). */
  goodCount: number;
  rejected: QuarantineEntry[];
  unknownFieldsDropped: number;
  protectedFields: Record<string, number>;
  piiFound: Record<string, number>;
  recordsIn: number;
  end: SourceBatch['end'];
}

export interface PreparedStep {
  label: string;
  instance: StepInstance;
}

/** Where a batch's good records go as they are processed: batch `number` of each sink (SinkInstance.stage). */
export interface Staging {
  number: number;
  sinks: readonly SinkInstance[];
}

/**
 * Records per chunk of a batch. A batch (10,000 records by default) goes through the contract, the steps and
 * into the sinks' staging a chunk at a time, so that what a record becomes on its way dies young: holding a whole
 * batch of records (and the next one) until it was written made every young-generation collection copy megabytes
 * of them, and garbage collection took a fifth of a pipeline's time against a fortieth of the floor's
 * (docs/performance.md). Large enough that a step's per-chunk work (a column of tokens sealed together) stays cheap.
 */
export const CHUNK_RECORDS = 1000;

export function addCounts(into: Record<string, number>, from: Record<string, number> | undefined): void {
  if (!from) return;
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

/**
 * The quarantine reason for a step that threw. A Sluice error's message is ours and safe to keep; any other
 * message may quote the record ("Cannot convert 123-45-6789 to a BigInt"), so only its kind is kept.
 */
function stepFailure(label: string, error: unknown): string {
  if (error instanceof SluiceError) return `${label} failed: ${error.message}`;
  const kind = error instanceof Error ? error.name : typeof error;
  return `${label} failed: it threw ${kind} (its message is not kept, as it may quote record values)`;
}

/**
 * Runs a batch through the contract and the steps a chunk of CHUNK_RECORDS at a time, one step at a time over the
 * chunk (so a step can prepare for its records first, e.g. fetch the subject keys it needs), and splits it into
 * good and quarantined: each chunk's good records are staged in every sink as batch `staging.number`, and the
 * batch's raw records are released as it goes (the quarantined keep theirs).
 */
export async function processBatch(
  batch: SourceBatch,
  validate: ReturnType<typeof compileContract>,
  steps: readonly PreparedStep[],
  allowed: ReadonlySet<string>,
  staging: Staging,
): Promise<ProcessedBatch> {
  const rejected: QuarantineEntry[] = batch.malformed.map((m) => ({ ref: m.ref, reason: m.reason, ...(m.raw !== undefined ? { raw: m.raw } : {}) }));
  const total = batch.records.length;
  let goodCount = 0;
  let unknownFieldsDropped = 0;
  for (let from = 0; from < total; from += CHUNK_RECORDS) {
    const to = Math.min(total, from + CHUNK_RECORDS);
    const chunk = await processChunk(batch, from, to, validate, steps, allowed, rejected);
    unknownFieldsDropped += chunk.unknownFieldsDropped;
    goodCount += chunk.records.length;
    if (chunk.records.length > 0) for (const sink of staging.sinks) sink.stage(staging.number, chunk.records, chunk.refs);
    // Nothing reads these raw records again (a rejected one went into the quarantine entry): let them die young.
    batch.records.fill(undefined, from, to);
  }
  const protectedFields: Record<string, number> = {};
  const piiFound: Record<string, number> = {};
  for (const step of steps) {
    addCounts(protectedFields, step.instance.drainCounters?.());
    addCounts(piiFound, step.instance.drainPiiFound?.());
  }
  return { goodCount, rejected, unknownFieldsDropped, protectedFields, piiFound, recordsIn: total + batch.malformed.length, end: batch.end };
}

/** Records `from` to `to` of the batch through the contract and the steps: the good ones, and rejections added to `rejected`. */
async function processChunk(
  batch: SourceBatch,
  from: number,
  to: number,
  validate: ReturnType<typeof compileContract>,
  steps: readonly PreparedStep[],
  allowed: ReadonlySet<string>,
  rejected: QuarantineEntry[],
): Promise<{ records: DataRecord[]; refs: string[]; unknownFieldsDropped: number }> {
  let unknownFieldsDropped = 0;
  // The records still on their way, in three parallel arrays (what arrived, where from, what it is now), kept in
  // place: a step that refuses a record closes the gap, so a chunk allocates no object or array per record and
  // step beyond the records themselves.
  const raws: unknown[] = [];
  const refs: string[] = [];
  const records: DataRecord[] = [];
  for (let i = from; i < to; i++) {
    const raw = batch.records[i];
    const ref = batch.refs[i] ?? `record ${i + 1}`;
    const outcome = validate(raw);
    if (!outcome.ok) rejected.push({ ref, reason: outcome.reason, record: raw });
    else {
      unknownFieldsDropped += outcome.droppedUnknown;
      raws.push(raw);
      refs.push(ref);
      records.push(outcome.record);
    }
  }
  for (const step of steps) {
    // A failing prepare (the state store is down) fails the batch and so the run: it is not a record's fault.
    await step.instance.prepare?.(records.slice());
    let kept = 0;
    for (let i = 0; i < records.length; i++) {
      try {
        records[kept] = step.instance.apply(records[i]!);
        raws[kept] = raws[i];
        refs[kept] = refs[i]!;
        kept++;
      } catch (error) {
        // An erased subject's record is not kept, not even in the quarantine: only that it was refused.
        const keep = !isSluiceError(error, 'SLUICE_SUBJECT_ERASED');
        rejected.push({ ref: refs[i]!, reason: stepFailure(step.label, error), ...(keep ? { record: raws[i] } : {}) });
      }
    }
    records.length = kept;
    raws.length = kept;
    refs.length = kept;
  }
  const good: DataRecord[] = [];
  const goodRefs: string[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    // Deny by default: nothing the plan did not foresee reaches a sink.
    let failure: string | undefined;
    for (const key in record) {
      if (!allowed.has(key)) {
        failure = `field '${key}' appeared after the steps, but the plan does not allow it`;
        break;
      }
    }
    if (failure !== undefined) rejected.push({ ref: refs[i]!, reason: failure, record: raws[i] });
    else {
      good.push(record);
      goodRefs.push(refs[i]!);
    }
  }
  return { records: good, refs: goodRefs, unknownFieldsDropped };
}

/** The plan's components, created for one run (or one task of a cluster run). */
export interface PipelineComponents {
  source: Source;
  steps: PreparedStep[];
  sinks: SinkInstance[];
  /** The fields the plan lets reach a sink: nothing else does. */
  allowed: ReadonlySet<string>;
}

export function createComponents(plan: Plan, context: CreateContext): PipelineComponents {
  const spec = plan.spec;
  const source = spec.source.component.create(spec.source.options, context);
  const steps = spec.steps.map((use) => ({ label: `steps[${String(use.path[1])}] ${use.component.name}`, instance: use.component.create(use.options, context) }));
  const sinks = plan.sinks.map(({ sink, fields }) => sink.component.create(sink.options, { name: sink.name, clearance: sink.clearance, fields: fields.map((f) => f.name) }, context));
  return { source, steps, sinks, allowed: new Set(plan.output.map((f) => f.name)) };
}

/** What a plan's components are created with, the same in an embedded run, on a coordinator and on a worker. */
export function componentContext(plan: Plan, secrets?: SecretSource): CreateContext {
  const spec = plan.spec;
  return {
    baseDir: spec.baseDir,
    pipeline: spec.pipeline,
    ...(spec.contract.subject !== undefined ? { subject: spec.contract.subject } : {}),
    ...(secrets !== undefined ? { secrets } : {}),
  };
}

/** Runs an operation with the spec's retries, naming it in the retry log. */
export type Retrying = <T>(what: string, operation: () => Promise<T>) => Promise<T>;

/**
 * Writes a processed batch to every sink (what was staged for it) and to the quarantine at once (their fsyncs
 * overlap), and returns the objects they wrote. A batch with no good records writes no sink object.
 */
export async function writeBatch(number: number, processed: ProcessedBatch, sinks: readonly SinkInstance[], quarantine: Quarantine, retrying: Retrying): Promise<StoredObject[]> {
  const written = await Promise.all([
    ...(processed.goodCount > 0 ? sinks.map((sink) => retrying(`write sink ${sink.settings.name}`, () => sink.write(number, []))) : []),
    retrying('write quarantine', () => quarantine.write(number, processed.rejected)),
  ]);
  return written.filter((object): object is StoredObject => object !== undefined);
}

/** Adds a written batch's counts to `totals` (all but activeMs). */
export function countBatch(totals: RunTotals, number: number, processed: ProcessedBatch, sinks: readonly SinkInstance[]): void {
  totals.recordsIn += processed.recordsIn;
  totals.quarantined += processed.rejected.length;
  totals.unknownFieldsDropped += processed.unknownFieldsDropped;
  for (const sink of sinks) totals.recordsOut[sink.settings.name] = (totals.recordsOut[sink.settings.name] ?? 0) + processed.goodCount;
  addCounts(totals.protectedFields, processed.protectedFields);
  addCounts(totals.piiFound, processed.piiFound);
  totals.batches = number;
}
