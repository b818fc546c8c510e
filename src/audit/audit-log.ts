// The audit log writer: events appended in sequence with their RFC 9162 leaf hash and a hash chain, the stored
// subtree roots of the Merkle tree, and signed checkpoints every N events or T seconds and on close. Appends that
// arrive together are committed together (group commit): one durable transaction for the lot, and each append
// resolves only after it, so an acknowledged event survives a crash. A failed write rejects every append in it:
// callers fail the act they were recording (fail closed).
import { createHash, hash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SluiceError } from '../errors.ts';
import type { AuditEvent } from './audit-event.ts';
import type { AuditCheckpointRow, AuditNode, AuditRow, AuditStore } from './audit-store.ts';
import { canonicalEvent } from './canonical-event.ts';
import { HASH_SIZE, MerkleAccumulator, leafHash, rootOf } from './merkle/merkle-hash.ts';
import type { Latin1Hash } from './merkle/merkle-hash.ts';
import type { AccumulatorState } from './merkle/merkle-hash.ts';
import { STORED_FROM_LEVEL, recordStoredSubtrees } from './merkle/subtree-store.ts';
import { signCheckpoint } from './merkle/checkpoint.ts';

/** What records events: the audit log, or a test double. */
export interface AuditRecorder {
  /** Appends an event durably and returns its sequence number; rejects if it could not be written. */
  append(event: AuditEvent): Promise<number>;
}

/** The key checkpoints are signed with. */
export interface CheckpointSigner {
  /** The log's name in checkpoints (the signed-note key name). */
  origin: string;
  privateKey: KeyObject;
}

export interface AuditLogOptions {
  /** Sign a checkpoint after this many events (default 1000)… */
  checkpointEvery?: number;
  /** …or when the last one is this old and events came since (default 60 s). */
  checkpointIntervalMs?: number;
  now?: () => Date;
}

// Speed: appending and verifying compute one chain hash per event. createHash().update().update().digest() costs
// about 4.5 µs on Node 20; crypto.hash over one 64-byte scratch buffer, to a latin1 string and back (as merkle-hash.ts
// does for nodes), about 1.4 µs. It is synchronous, so one scratch buffer serves every call.
const chainInput = Buffer.alloc(2 * HASH_SIZE);

/** The chain hash after `leaf`: SHA-256(previous ‖ leaf). */
export function chainHash(previous: Uint8Array, leaf: Uint8Array): Buffer {
  if (previous.length !== HASH_SIZE || leaf.length !== HASH_SIZE) return createHash('sha256').update(previous).update(leaf).digest();
  chainInput.set(previous, 0);
  chainInput.set(leaf, HASH_SIZE);
  return Buffer.from(chainHashOf(chainInput), 'latin1');
}

/** chainHash of previous ‖ leaf already side by side in `input` (64 bytes), as a latin1 string: the verifier's hot path. */
export function chainHashOf(input: Uint8Array): Latin1Hash {
  if (input.length !== 2 * HASH_SIZE) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `a chain input is ${2 * HASH_SIZE} bytes`);
  return hash('sha256', input, 'binary');
}

/**
 * The accumulator of a log of `size` leaves, rebuilt from the stored subtree roots (one per set bit of the size
 * at level ≥ STORED_FROM_LEVEL) and the leaves of the last partial block.
 */
export async function restoreAccumulator(store: AuditStore, size: number, onSubtree?: (level: number, index: number, hash: Buffer) => void): Promise<MerkleAccumulator> {
  const hashes: Buffer[] = [];
  let start = 0;
  for (let level = Math.floor(Math.log2(Math.max(size, 1))); level >= 0; level--) {
    const width = 2 ** level;
    if (size - start < width) continue;
    let hash = level >= STORED_FROM_LEVEL ? await store.getAuditNode(level, start / width) : undefined;
    if (!hash) {
      const rows = await store.readAuditRows(start + 1, width);
      if (rows.length !== width) throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', `the audit log lacks events ${start + 1}–${start + width}`);
      hash = rootOf(rows.map((r) => r.leaf));
    }
    hashes.push(hash);
    start += width;
  }
  return MerkleAccumulator.restore({ size, hashes }, onSubtree ? { onSubtree } : {});
}

interface Pending {
  event: AuditEvent;
  resolve: (seq: number) => void;
  reject: (error: unknown) => void;
}

export class AuditLog implements AuditRecorder {
  readonly #store: AuditStore;
  readonly #options: AuditLogOptions;
  #signer: (() => Promise<CheckpointSigner>) | undefined;
  /** Whether the signing key is at hand: a lazy one is derived during the first append, while its keyring is open. */
  #signerReady = false;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #lastCheckpoint: { size: number; at: number } | undefined;
  /** The tree as this writer last left it: reused while no other process appended. */
  #tree: { size: number; state: AccumulatorState } | undefined;

  constructor(store: AuditStore, options: AuditLogOptions = {}) {
    this.#store = store;
    this.#options = options;
  }

  /**
   * From now on, checkpoints are signed with this key (set once the keyring is open). A function is called only
   * when the first checkpoint is signed, so commands that record nothing never derive the key (with a remote key
   * provider, deriving it costs a round trip).
   */
  setSigner(signer: CheckpointSigner | (() => Promise<CheckpointSigner>)): void {
    let derived: Promise<CheckpointSigner> | undefined;
    this.#signerReady = typeof signer !== 'function';
    this.#signer =
      typeof signer === 'function'
        ? () =>
            (derived ??= signer().then((ready) => {
              this.#signerReady = true;
              return ready;
            }))
        : () => Promise.resolve(signer);
  }

  append(event: AuditEvent): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      // Appends made in the same turn of the event loop share one transaction.
      if (this.#queue.length === 1 && !this.#flushing) setImmediate(() => void this.flush());
    });
  }

  /** Writes every queued event now. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#flushing = this.#write(batch).finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0) setImmediate(() => void this.flush());
    });
    await this.#flushing;
  }

  /** Signs a checkpoint of the log as it is now (after flushing); undefined without a signer or events. */
  async checkpoint(): Promise<AuditCheckpointRow | undefined> {
    await this.flush();
    return this.#sign();
  }

  /** Signs the head as it is in the store (no flush: the writer calls it between batches). */
  async #sign(): Promise<AuditCheckpointRow | undefined> {
    if (!this.#signer) return undefined;
    const head = await this.#store.auditHead();
    if (head.size === 0) return undefined;
    // The tree this writer left at that size, as #write reuses it; else rebuilt from the store (up to 255 rows).
    const accumulator = this.#tree?.size === head.size ? MerkleAccumulator.restore(this.#tree.state) : await restoreAccumulator(this.#store, head.size);
    const time = this.#now().toISOString();
    const rootHash = accumulator.root();
    const signer = await this.#signer();
    const note = signCheckpoint({ origin: signer.origin, treeSize: head.size, rootHash, time }, signer.privateKey);
    const row = { treeSize: head.size, root: rootHash, time, note };
    await this.#store.putAuditCheckpoint(row);
    this.#lastCheckpoint = { size: head.size, at: Date.now() };
    return row;
  }

  /** Flushes, and signs a checkpoint if events came since the last one (on shutdown). */
  async close(): Promise<void> {
    await this.flush();
    const head = await this.#store.auditHead();
    // A lazy key not derived yet means this writer appended nothing, and its keyring may be closed by now: the next
    // writer that appends covers what others left unsigned.
    if (this.#signer && this.#signerReady && head.size > 0 && head.size !== this.#lastCheckpoint?.size) {
      const stored = await this.#store.latestAuditCheckpoint();
      if (stored?.treeSize !== head.size) await this.checkpoint();
    }
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  async #write(batch: Pending[]): Promise<void> {
    // Derive a lazy signing key now, before the appends resolve: their callers still hold the keyring open. A
    // failure shows when a checkpoint is signed; it does not fail the events.
    await this.#signer?.().catch(() => undefined);
    try {
      let size = 0;
      // Another process may append between our read of the head and our transaction: then read it again.
      for (let attempt = 0; ; attempt++) {
        const head = await this.#store.auditHead();
        const nodes: AuditNode[] = [];
        const onSubtree = recordStoredSubtrees((level, index, hash) => nodes.push({ level, index, hash }));
        const accumulator = this.#tree?.size === head.size ? MerkleAccumulator.restore(this.#tree.state, { onSubtree }) : await restoreAccumulator(this.#store, head.size, onSubtree);
        const rows: AuditRow[] = [];
        let chain = head.chain;
        for (const [i, { event }] of batch.entries()) {
          const seq = head.size + i + 1;
          const text = canonicalEvent(seq, event);
          const leaf = leafHash(Buffer.from(text, 'utf8'));
          chain = chainHash(chain, leaf);
          accumulator.append(leaf);
          rows.push({ seq, time: event.time, action: event.action, principal: event.actor.principal, resource: event.resource, outcome: event.outcome, event: text, leaf, chain });
        }
        if (await this.#store.appendAuditRows(head.size, rows, nodes)) {
          size = head.size;
          this.#tree = { size: accumulator.size, state: accumulator.state() };
          break;
        }
        this.#tree = undefined;
        if (attempt >= 20) throw new SluiceError('SLUICE_STATE_STORE', 'the audit log is being appended to by other processes too fast to join');
      }
      batch.forEach((pending, i) => pending.resolve(size + i + 1));
    } catch (error) {
      const failure = error instanceof SluiceError ? error : new SluiceError('SLUICE_STATE_STORE', `the audit log cannot be written: ${(error as Error).message}`, { cause: error });
      for (const pending of batch) pending.reject(failure);
      return;
    }
    await this.#maybeCheckpoint();
  }

  async #maybeCheckpoint(): Promise<void> {
    if (!this.#signer) return;
    const head = await this.#store.auditHead();
    this.#lastCheckpoint ??= { size: (await this.#store.latestAuditCheckpoint())?.treeSize ?? 0, at: Date.now() };
    const due = head.size - this.#lastCheckpoint.size >= (this.#options.checkpointEvery ?? 1000) || (head.size > this.#lastCheckpoint.size && Date.now() - this.#lastCheckpoint.at >= (this.#options.checkpointIntervalMs ?? 60_000));
    // A checkpoint that fails does not fail the events already written: the next one covers them.
    if (due) await this.#sign().catch(() => undefined);
  }
}
