// When a Kafka source that does not follow is done: every partition assigned to this consumer has been fetched
// up to the high watermark it had when the source opened. Messages produced later are left for the next run.

/** One partition as ListOffsets (admin.fetchTopicOffsets) and OffsetFetch (admin.fetchOffsets) describe it. */
export interface PartitionOffsets {
  partition: number;
  low: bigint;
  high: bigint;
  /** The group's committed offset; -1 when the group has none. */
  committed: bigint;
}

/**
 * Where the consumer starts reading a partition: the group's committed offset, or, when it has none or it is
 * out of range (deleted by retention), the first or the next message, as kafkajs resets it (fromBeginning).
 */
export function startOffset(p: PartitionOffsets, fromBeginning: boolean): bigint {
  if (p.committed >= p.low && p.committed <= p.high) return p.committed;
  return fromBeginning ? p.low : p.high;
}

export class CatchUp {
  /** Per partition, the high watermark at open: the end of this run. */
  readonly #ends = new Map<number, bigint>();
  /** Per partition, the offset after the last message fetched (or where reading starts). */
  readonly #fetched = new Map<number, bigint>();

  constructor(partitions: readonly PartitionOffsets[], fromBeginning: boolean, resumeFrom: ReadonlyMap<number, bigint>) {
    for (const p of partitions) {
      this.#ends.set(p.partition, p.high);
      const start = startOffset(p, fromBeginning);
      const resumed = resumeFrom.get(p.partition);
      this.#fetched.set(p.partition, resumed !== undefined && resumed > start ? resumed : start);
    }
  }

  /** A fetch brought a partition up to `next` (control records and filtered batches included). */
  fetched(partition: number, next: bigint): void {
    if (next > (this.#fetched.get(partition) ?? -1n)) this.#fetched.set(partition, next);
  }

  /** True once each of the partitions assigned to this consumer has been fetched to its end. */
  done(assigned: readonly number[]): boolean {
    // A partition added after the source opened has no end: it is left for the next run.
    return assigned.every((p) => (this.#fetched.get(p) ?? 0n) >= (this.#ends.get(p) ?? 0n));
  }
}
