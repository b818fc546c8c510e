// Between kafkajs, which pushes fetched messages, and the runtime, which pulls batches: a bounded buffer that
// pauses the consumer when about two batches wait and resumes it when they drain, and that drops messages the
// run already has (redelivered after a rebalance, or before the checkpoint a resumed run starts from).

/** A message as fetched, kept raw until the runtime pulls it. */
export interface FetchedMessage {
  partition: number;
  offset: bigint;
  value: Buffer | null;
}

/** Pauses and resumes fetching (kafkajs's consumer.pause/resume on the topic). */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

export class FetchBuffer {
  readonly #flow: FlowControl;
  readonly #chunks: FetchedMessage[][] = [];
  #count = 0;
  #paused = false;
  /** Pause at this many buffered messages; set by the reader once the batch size is known. */
  #high = Number.POSITIVE_INFINITY;
  /** Per partition, the offset after the last message taken by the runtime. */
  readonly #taken: Map<number, bigint>;
  /** Per partition, the offset after the last message buffered or taken: anything below it is a duplicate. */
  readonly #frontier: Map<number, bigint>;

  /** `start`: per partition, the offset the run already has everything below (a resumed run's checkpoint). */
  constructor(flow: FlowControl, start: ReadonlyMap<number, bigint>) {
    this.#flow = flow;
    this.#taken = new Map(start);
    this.#frontier = new Map(start);
  }

  get count(): number {
    return this.#count;
  }

  /** Per partition, the offset after the last message taken: what a batch's end position holds. */
  get taken(): ReadonlyMap<number, bigint> {
    return this.#taken;
  }

  /** Sets the batch size: fetching pauses at two batches' worth and resumes at one. */
  limit(batchSize: number): void {
    this.#high = 2 * batchSize;
  }

  /**
   * Adds what one fetch brought for a partition, minus what the run already has. Returns the number of
   * messages dropped as duplicates.
   */
  push(partition: number, messages: readonly { offset: string; value: Buffer | null }[]): number {
    const floor = this.#frontier.get(partition);
    const chunk: FetchedMessage[] = [];
    for (const message of messages) {
      const offset = BigInt(message.offset);
      if (floor !== undefined && offset < floor) continue;
      chunk.push({ partition, offset, value: message.value });
    }
    const last = chunk.at(-1);
    if (last) {
      this.#chunks.push(chunk);
      this.#count += chunk.length;
      this.#frontier.set(partition, last.offset + 1n);
      if (this.#count >= this.#high && !this.#paused) {
        this.#paused = true;
        this.#flow.pause();
      }
    }
    return messages.length - chunk.length;
  }

  /** Takes up to `max` messages in the order they were fetched. */
  take(max: number): FetchedMessage[] {
    const out: FetchedMessage[] = [];
    while (out.length < max && this.#chunks.length > 0) {
      const chunk = this.#chunks[0] as FetchedMessage[];
      const room = max - out.length;
      if (chunk.length <= room) {
        out.push(...chunk);
        this.#chunks.shift();
      } else {
        out.push(...chunk.splice(0, room));
      }
    }
    this.#count -= out.length;
    for (const message of out) this.#taken.set(message.partition, message.offset + 1n);
    if (this.#paused && this.#count * 2 <= this.#high) {
      this.#paused = false;
      this.#flow.resume();
    }
    return out;
  }

  /**
   * Forgets what was buffered but not taken. After a rebalance kafkajs fetches every partition again from its
   * committed offset, so those messages come again (here, or to the member that now owns the partition).
   */
  reset(): void {
    this.#chunks.length = 0;
    this.#count = 0;
    this.#frontier.clear();
    for (const [partition, offset] of this.#taken) this.#frontier.set(partition, offset);
    if (this.#paused) {
      this.#paused = false;
      this.#flow.resume();
    }
  }
}
