// The reader of a NATS source: pulls batches from a durable consumer and holds every message until the batch
// it belongs to is committed, and only then acknowledges it. Messages pulled but not committed are nak'ed when
// the reader closes (redelivered at once) or, after a crash, redelivered when their ack wait runs out: a
// message leaves the consumer only once it is in every sink and the checkpoint.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Consumer, ConsumerInfo, JsMsg } from '@nats-io/jetstream';
import { SluiceError } from '../../errors.ts';
import type { MalformedRecord, SourceBatch, SourcePosition, SourceReader } from '../source.ts';
import { closeNats } from './connect.ts';
import { parseMessage } from './message-record.ts';
import { encodeSequences } from './sequence-ranges.ts';
import { DEFAULT_MAX_BATCH_BYTES } from '../batch-bytes.ts';
import { natsFailure } from './nats-errors.ts';
import { BoundedMap } from '../../bounded-map.ts';

export interface PullReaderSettings {
  stream: string;
  durable: string;
  /** The servers, for messages. */
  servers: string;
  follow: boolean;
  signal: AbortSignal | undefined;
  /** How long one pull waits for messages: a following reader yields a short batch after it. */
  maxWaitMs: number;
  ackWaitMs: number;
  /** The consumer's limit of delivered, unacknowledged messages: a pull never asks for more than is left of it. */
  maxAckPending: number;
  /** The secret references the connection authenticated with, for failure messages. */
  credentials: readonly string[];
  /**
   * The stream sequences of the last batch the run committed (from its checkpoint). Its acknowledgements may
   * have been lost in a crash right after the commit; if the server delivers them again, they are acknowledged
   * and not read twice.
   */
  committedBefore?: readonly number[];
  /** The most payload bytes one batch holds (default 64 MiB): memory stays bounded whatever the message size. */
  maxBatchBytes?: number;
}


/** A message pulled and not yet acknowledged, and when the server last heard of it (its ack wait runs from there). */
interface Held {
  message: JsMsg;
  since: number;
}

/** A batch handed to the runtime and not yet committed: its messages, by stream sequence. */
interface Outstanding {
  end: SourcePosition;
  sequences: number[];
}

/** How many committed stream sequences are remembered, to ack a redelivery of one again rather than read it twice. */
const RECENT_LIMIT = 65_536;
/** How long transient failures (about a second apart) are retried before the run fails: the reconnect window. */
const RETRY_WINDOW_MS = 120_000;
const ACK = new TextEncoder().encode('+ACK');
/** How long the server has to confirm a batch's acknowledgements before they are sent again. */
const ACK_TIMEOUT_MS = 5000;

/** The reply subject a message is acknowledged on (`$JS.ACK.…`): acknowledgements are sent there directly, and again after a reconnect. */
function replyOf(message: JsMsg): string | undefined {
  const reply = (message as JsMsg & { reply?: unknown }).reply;
  return typeof reply === 'string' && reply !== '' ? reply : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class PullReader implements SourceReader {
  readonly #connection: NatsConnection;
  readonly #consumer: Consumer;
  readonly #settings: PullReaderSettings;
  /** Every message pulled and not yet acknowledged, by stream sequence. */
  readonly #held = new Map<number, Held>();
  /** Batches handed out and not yet committed, oldest first. */
  readonly #outstanding: Outstanding[] = [];
  /** Stream sequences committed lately, oldest first. */
  readonly #recent = new BoundedMap<number, true>(RECENT_LIMIT);
  readonly #keepAlive: NodeJS.Timeout;
  #acknowledged = 0;
  /** The largest payload pulled so far: how many messages fit in what is left of a batch's byte budget. */
  #largestSeen: number | undefined;
  /** Disconnects seen: acknowledgements sent across one may have been lost. */
  #disconnects = 0;
  #ended = false;
  #closing = false;
  /** The pull under way, if any. */
  #pulling: Promise<unknown> | undefined;

  constructor(connection: NatsConnection, consumer: Consumer, settings: PullReaderSettings) {
    this.#connection = connection;
    this.#consumer = consumer;
    this.#settings = settings;
    for (const sequence of settings.committedBefore ?? []) this.#remember(sequence);
    // Held messages are reported in progress before their ack wait runs out (a slow sink, a long batch), so
    // the server does not deliver them again while they wait for the commit.
    this.#keepAlive = setInterval(() => this.#touch(), Math.max(250, Math.floor(settings.ackWaitMs / 3)));
    this.#keepAlive.unref();
    void (async () => {
      for await (const status of connection.status()) if (status.type === 'disconnect') this.#disconnects++;
    })().catch(() => undefined);
  }

  async *batches(batchSize: number): AsyncGenerator<SourceBatch, void, undefined> {
    while (!this.#ended && !this.#settings.signal?.aborted) {
      const batch = await this.#fill(batchSize);
      if (batch) yield batch;
    }
  }

  /** Acknowledges the messages of the oldest batch handed out (the runtime commits in order), once the server confirms. */
  async committed(end: SourcePosition): Promise<void> {
    const batch = this.#outstanding.shift();
    if (!batch || (batch.end !== end && batch.end.seq !== end.seq)) {
      // Acknowledging another batch's messages would drop them from the stream: refuse rather than guess.
      throw new SluiceError('SLUICE_SOURCE_FAILED', `stream '${this.#settings.stream}': a commit arrived for a batch this reader did not hand out (seq ${String(end.seq)}); nothing was acknowledged`);
    }
    const acked: JsMsg[] = [];
    for (const sequence of batch.sequences) {
      const held = this.#held.get(sequence);
      if (!held) continue;
      acked.push(held.message);
      this.#held.delete(sequence);
      this.#remember(sequence);
    }
    await this.#acknowledge(acked);
    this.#acknowledged += acked.length;
  }

  progress(): { done: number; total?: number } {
    return { done: this.#acknowledged };
  }

  /**
   * Naks what was pulled and not committed, so the server delivers it again at once, then closes. A pull still
   * under way (the run failed while the next batch was being pulled) is let finish, within its wait, and what
   * it brings is nak'ed too: stopping it early would leave the server delivering into a closed inbox.
   */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#keepAlive);
    const pulling = this.#pulling;
    if (pulling) await Promise.race([pulling.catch(() => undefined), sleep(this.#settings.maxWaitMs + 2000)]);
    for (const held of this.#held.values()) held.message.nak();
    this.#held.clear();
    this.#outstanding.length = 0;
    await closeNats(this.#connection);
  }

  /** The next batch: up to `size` messages, fewer when the wait runs out (following) or the stream is drained. */
  async #fill(size: number): Promise<SourceBatch | undefined> {
    const { follow, signal } = this.#settings;
    const taken: JsMsg[] = [];
    /** Messages the consumer has not delivered yet, as the last delivery (or the consumer's info) said. */
    let undelivered: number | undefined;
    // The client cannot bound a pull by both count and bytes, so a pull asks for no more messages than fit in
    // what is left of the batch's byte budget at the largest size seen so far (the server's largest message size
    // until one was seen; never under 4 KiB). The batch ends once the next message might not fit.
    const budget = Math.max(this.#settings.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES, this.#connection.info?.max_payload ?? 0);
    let bytes = 0;
    while (taken.length < size && !signal?.aborted && !this.#closing) {
      const perMessage = Math.max(this.#largestSeen ?? this.#connection.info?.max_payload ?? 1024 * 1024, 4096);
      const fits = Math.floor((budget - bytes) / perMessage);
      if (taken.length > 0 && fits < 1) break;
      let want = Math.min(size - taken.length, Math.max(1, fits));
      if (!follow) {
        if (undelivered === 0 && taken.length > 0) break;
        if (undelivered === undefined || undelivered === 0) {
          const info = await this.#retrying(() => this.#consumer.info(), 'read the consumer state');
          if (info === undefined) break;
          if (this.#drained(info)) {
            this.#ended = true;
            break;
          }
          undelivered = info.num_pending;
        }
        // With nothing new, the pull waits for messages another reader left unacknowledged to come back.
        if (undelivered > 0) want = Math.min(want, undelivered);
      }
      // Asking for more than the server may deliver would only wait out maxWait for the rest; at the limit, only
      // a commit (its acknowledgements) lets the server deliver more.
      const room = this.#settings.maxAckPending - this.#held.size;
      if (room <= 0 && taken.length > 0) break;
      want = Math.max(1, Math.min(want, room));
      const pulled = await this.#retrying(() => (this.#pulling = this.#pull(want, taken)), 'pull messages');
      if (pulled === undefined) break;
      bytes = 0;
      for (const message of taken) {
        bytes += message.data.length;
        this.#largestSeen = Math.max(this.#largestSeen ?? 0, message.data.length);
      }
      // Nothing came (another reader took them, or none are due): ask the consumer again rather than trust the count.
      undelivered = pulled.received > 0 ? pulled.undelivered : undefined;
      // Following, a short batch now beats a long wait for a full one. Either way, a pull that brought nothing
      // while messages are held ends the batch: the server may be holding back until they are acknowledged
      // (maxAckPending reached), and only committing them lets it go on.
      if (taken.length > 0 && (pulled.received === 0 || (follow && pulled.received < want))) break;
    }
    if (taken.length === 0) return undefined;
    return this.#batch(taken);
  }

  /**
   * Whether a run that does not follow has read everything: nothing undelivered, and nothing delivered and
   * unacknowledged except what this reader holds (else a crashed reader's messages come back after their ack wait).
   */
  #drained(info: ConsumerInfo): boolean {
    return info.num_pending === 0 && info.num_ack_pending <= this.#held.size;
  }

  /** One pull of up to `want` messages, waiting at most maxWait; new ones are appended to `taken`. */
  async #pull(want: number, taken: JsMsg[]): Promise<{ received: number; undelivered: number | undefined }> {
    const messages = await this.#consumer.fetch({ max_messages: want, expires: this.#settings.maxWaitMs });
    let received = 0;
    let undelivered: number | undefined;
    for await (const message of messages) {
      received++;
      undelivered = message.info.pending;
      if (this.#take(message)) taken.push(message);
    }
    return { received, undelivered };
  }

  /** Holds a delivered message; false when it is a redelivery of one already held or committed. */
  #take(message: JsMsg): boolean {
    if (this.#closing) {
      message.nak();
      return false;
    }
    const sequence = message.seq;
    const held = this.#held.get(sequence);
    if (held) {
      // Its ack wait ran out while it waited for a commit: keep the newest delivery, read it once.
      held.message = message;
      held.since = Date.now();
      return false;
    }
    if (this.#recent.has(sequence)) {
      // Committed already, but the acknowledgement was lost (a reconnect): acknowledge again, do not read twice.
      message.ack();
      return false;
    }
    this.#held.set(sequence, { message, since: Date.now() });
    return true;
  }

  #batch(taken: JsMsg[]): SourceBatch {
    const { stream } = this.#settings;
    const records: unknown[] = [];
    const refs: string[] = [];
    const malformed: MalformedRecord[] = [];
    for (const message of taken) {
      const ref = `nats:${stream}#${message.seq}`;
      const parsed = parseMessage(message.data);
      if ('record' in parsed) {
        records.push(parsed.record);
        refs.push(ref);
      } else {
        // Quarantined with its batch, and so acknowledged with it: the quarantine holds it from then on.
        malformed.push({ ref, reason: parsed.reason, ...(parsed.raw !== undefined ? { raw: parsed.raw } : {}) });
      }
    }
    const last = taken[taken.length - 1] as JsMsg;
    const sequences = taken.map((m) => m.seq);
    // The batch's sequences go into its checkpoint: a run resumed after a crash between the commit and the
    // acknowledgements knows which redeliveries it already holds.
    const end: SourcePosition = { stream, seq: last.seq, committed: encodeSequences(sequences) };
    this.#outstanding.push({ end, sequences });
    return { records, refs, malformed, end };
  }

  /**
   * Runs a pull or an info request, retrying transient failures about once a second while the client
   * reconnects; undefined when the run was aborted meanwhile. A closed connection or a lasting failure throws.
   */
  async #retrying<T>(operation: () => Promise<T>, what: string): Promise<T | undefined> {
    const { stream, durable, servers, signal } = this.#settings;
    const deadline = Date.now() + RETRY_WINDOW_MS;
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        const failure = natsFailure(error, { code: 'SLUICE_SOURCE_FAILED', action: `${what} of consumer '${durable}' on stream '${stream}' at ${servers}`, credentials: this.#settings.credentials });
        if (!failure.error.retryable || this.#connection.isClosed() || Date.now() > deadline) throw failure.error;
        await sleep(1000, signal);
        if (signal?.aborted) return undefined;
      }
    }
  }

  /**
   * Acknowledges the messages and makes sure the server has them. When the connection drops meanwhile they may
   * be lost, so they are all sent again once it is back (acknowledging twice is harmless; a lost
   * acknowledgement would have the message read twice).
   */
  async #acknowledge(messages: readonly JsMsg[]): Promise<void> {
    if (messages.length === 0) return;
    const deadline = Date.now() + RETRY_WINDOW_MS;
    for (;;) {
      const disconnects = this.#disconnects;
      try {
        await this.#sendAcknowledgements(messages);
        if (this.#disconnects === disconnects) return;
      } catch {
        // Retried below, while the client reconnects.
      }
      if (this.#connection.isClosed() || Date.now() > deadline) {
        throw new SluiceError(
          'SLUICE_SOURCE_FAILED',
          `the acknowledgements of ${messages.length} committed messages of stream '${this.#settings.stream}' may not have reached NATS at ${this.#settings.servers} (the connection is gone); ` +
            'the server will deliver them again after their ack wait, so they may be read twice',
          { retryable: true },
        );
      }
      await sleep(1000);
    }
  }

  /**
   * Publishes an acknowledgement for each message but the last, and sends the last as a request: the server
   * answers it once it has processed it, and so every acknowledgement before it (one connection, in order).
   * The consumer's state read next then counts none of them as pending.
   */
  async #sendAcknowledgements(messages: readonly JsMsg[]): Promise<void> {
    const connection = this.#connection;
    for (let i = 0; i < messages.length - 1; i++) {
      const reply = replyOf(messages[i] as JsMsg);
      if (reply !== undefined) connection.publish(reply, ACK);
      else messages[i]?.ack();
    }
    const last = messages[messages.length - 1] as JsMsg;
    const reply = replyOf(last);
    if (reply !== undefined) await connection.request(reply, ACK, { timeout: ACK_TIMEOUT_MS });
    else {
      last.ack();
      await connection.flush();
    }
  }

  #remember(sequence: number): void {
    this.#recent.set(sequence, true);
  }

  /** Reports messages held for a third of their ack wait as in progress, which restarts their ack wait. */
  #touch(): void {
    const now = Date.now();
    const due = this.#settings.ackWaitMs / 3;
    for (const held of this.#held.values()) {
      if (now - held.since < due) continue;
      held.message.working();
      held.since = now;
    }
  }
}
