// The runtime side of a step: a function over records, with optional counters for the run summary.
import type { DataRecord } from './record.ts';
import type { KeySource } from '../crypto/envelope/envelope.ts';
import type { SubjectKeyStore } from '../crypto/subjects/subject-key-store.ts';

/** What a step may need before it runs: the keyring, for steps that use keys (tokenize, encrypt). */
export interface StepOpenContext {
  keys: KeySource;
  /** Per-subject keys, for steps that encrypt per data subject. */
  subjects: SubjectKeyStore;
}

/** A step ready to run. `apply` may change the record in place and returns the record to pass on. */
export interface StepInstance {
  /** Called once before the first record (fetch keys and the like). */
  open?(context: StepOpenContext): Promise<void>;
  /** Called with a batch's records (as they reach this step) before `apply` runs on each of them. */
  prepare?(records: readonly DataRecord[]): Promise<void>;
  apply(record: DataRecord): DataRecord;
  /** Counters for the summary, e.g. { 'masked:card_number': 1000 }. Read after each batch, then reset. */
  drainCounters?(): Record<string, number>;
  /** PII found by type, e.g. { EMAIL: 12 }, for the summary (the scan step). Read after each batch, then reset. */
  drainPiiFound?(): Record<string, number>;
}
