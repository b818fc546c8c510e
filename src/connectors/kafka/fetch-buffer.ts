// Between kafkajs, which pushes fetched messages, and the runtime, which pulls batches: a bounded buffer that
// pauses the consumer when about two batches wait and resumes it when they drain, and that drops messages the
// run already has (redelivered after a rebalance, or before the checkpoint a resumed run starts from).
import { DEFAULT_MAX_BATCH_BYTES } from '../batch-bytes.ts';

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


function sizeOf(message: FetchedMessage): number {
  return message.value?.length ?? 0;
}

export class FetchBuffer {
  readonly #flow: FlowControl;
  readonly #chunks: FetchedMessage[][] = [];
  /**
   * Where the first chunk's next message is. Messages are read by index, not shift(): past about 16,000
   * elements V8 cannot trim an array's front and shift() copies the rest (55 µs a message at 50,000 here), and a
   * fetch of small messages can bring that many.
   */
  #head = 0;
  #count = 0;
  /** Payload bytes buffered; fetching pauses at two batches' worth, as for the count. */
  #bytes = 0;
  readonly #maxBatchBytes: number;
  #paused = false;
  /** Pause at this many buffered messages; set by the reader once the batch size is known. */
  #high = Number.POSITIVE_INFINITY;
  /** Per partition, the offset after the last message taken by the runtime. */
  readonly #taken: Map<number, bigint>;
  /** Per partition, the offset after the last message buffered or taken: anything below it is a duplicate. */
  readonly #frontier: Map<number, bigint>;

  /** `start`: per partition, the offset the run already has everything below (a resumed run's checkpoint). */
  constructor(flow: FlowControl, start: ReadonlyMap<number, bigint>, maxBatchBytes = DEFAULT_MAX_BATCH_BYTES) {
    this.#flow = flow;
    this.#maxBatchBytes = maxBatchBytes;
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
      for (const message of chunk) this.#bytes += sizeOf(message);
      this.#frontier.set(partition, last.offset + 1n);
      if ((this.#count >= this.#high || this.#bytes >= 2 * this.#maxBatchBytes) && !this.#paused) {
        this.#paused = true;
        this.#flow.pause();
      }
    }
    return messages.length - chunk.length;
  }

  /** Takes up to `max` messages, and at most the batch's byte budget (always one), in the order they were fetched. */
  take(max: number): FetchedMessage[] {
    const out: FetchedMessage[] = [];
    let bytes = 0;
    while (out.length < max && this.#chunks.length > 0) {
      const chunk = this.#chunks[0] as FetchedMessage[];
      const next = chunk[this.#head] as FetchedMessage;
      if (out.length > 0 && bytes + sizeOf(next) > this.#maxBatchBytes) break;
      out.push(next);
      bytes += sizeOf(next);
      if (++this.#head === chunk.length) {
        // The queue of chunks stays short (about two batches): its shift() is cheap.
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#count -= out.length;
    this.#bytes -= bytes;
    for (const message of out) this.#taken.set(message.partition, message.offset + 1n);
    if (this.#paused && this.#count * 2 <= this.#high && this.#bytes <= this.#maxBatchBytes) {
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
    this.#head = 0;
    this.#count = 0;
    this.#bytes = 0;
    this.#frontier.clear();
    for (const [partition, offset] of this.#taken) this.#frontier.set(partition, offset);
    if (this.#paused) {
      this.#paused = false;
      this.#flow.resume();
    }
  }
}
