// The runtime side of a step: a function over records, with optional counters for the run summary.
import type { DataRecord } from './record.ts';

/** A step ready to run. `apply` may change the record in place and returns the record to pass on. */
export interface StepInstance {
  apply(record: DataRecord): DataRecord;
  /** Counters for the summary, e.g. { 'masked:card_number': 1000 }. Read after each batch, then reset. */
  drainCounters?(): Record<string, number>;
}
