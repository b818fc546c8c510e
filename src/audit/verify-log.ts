// Verifies the stored audit log from its first event: every event's bytes against its leaf hash, the sequence,
// the hash chain, the Merkle root at every stored checkpoint (whose signature must verify with a trusted key), and
// the trusted checkpoints exported outside the writer's reach, which catch a truncated tail or a rollback that
// rewrote the stored checkpoints too.
import { isSluiceError } from '../errors.ts';
import type { AuditChainTuple, AuditStore } from './audit-store.ts';
import { chainHashOf } from './audit-log.ts';
import { seqOfCanonical } from './canonical-event.ts';
import { HASH_SIZE, MerkleAccumulator, emptyRoot, latin1, leafHashOfText } from './merkle/merkle-hash.ts';
import type { Latin1Hash } from './merkle/merkle-hash.ts';
import { openCheckpoint } from './merkle/checkpoint.ts';
import type { CheckpointKey, OpenedCheckpoint } from './merkle/checkpoint.ts';

export interface AuditVerification {
  ok: boolean;
  /** Events read. */
  size: number;
  /** The first sequence number that does not verify, when one can be named. */
  firstBadSeq?: number;
  /** What is wrong, most important first; empty when ok. */
  problems: string[];
  /** Stored and exported checkpoints that matched. */
  checkpointsVerified: number;
}

/**
 * Rows read per query. Small pages: a page of 10,000 rows lives long enough to be copied out of V8's young
 * generation, and reading and verifying ran about a third slower than with 1,000 (250 to 2,000 measured alike).
 */
export const VERIFY_PAGE_ROWS = 1000;

const CHAIN_BREAKS = 'the hash chain breaks here (an event before it was modified, removed or reordered)';

/** Whether the 32 bytes of `bytes` at `at` are the latin1 hash `hash`. */
function equalsAt(hash: Latin1Hash, bytes: Uint8Array, at: number): boolean {
  let difference = 0;
  for (let i = 0; i < HASH_SIZE; i++) difference |= hash.charCodeAt(i) ^ bytes[at + i]!;
  return difference === 0;
}

/**
 * Reads the whole log once. `trusted` are the public keys checkpoints must be signed with; `exported` are
 * checkpoint notes kept outside the writer's reach (`sluice audit checkpoint --export`).
 */
export async function verifyAuditLog(store: AuditStore, trusted: readonly CheckpointKey[], exported: readonly string[] = []): Promise<AuditVerification> {
  const problems: string[] = [];
  let firstBadSeq: number | undefined;
  const bad = (seq: number, problem: string) => {
    firstBadSeq ??= seq;
    problems.push(`event ${seq}: ${problem}`);
  };
  // Checkpoints to compare against, by tree size: the stored ones (signature checked here) and the exported ones.
  const expected = new Map<number, { root: Latin1Hash; what: string }[]>();
  let checkpointsVerified = 0;
  const expect = (checkpoint: OpenedCheckpoint, what: string) => {
    const list = expected.get(checkpoint.treeSize) ?? [];
    list.push({ root: latin1(checkpoint.rootHash), what });
    expected.set(checkpoint.treeSize, list);
  };
  for (const row of await store.listAuditCheckpoints()) {
    try {
      expect(openCheckpoint(row.note, trusted), `the stored checkpoint at size ${row.treeSize}`);
    } catch (error) {
      if (!isSluiceError(error)) throw error;
      problems.push(`the stored checkpoint at size ${row.treeSize} does not verify: ${error.message}`);
      firstBadSeq ??= row.treeSize;
    }
  }
  let largestExported = 0;
  for (const [i, note] of exported.entries()) {
    try {
      const checkpoint = openCheckpoint(note, trusted);
      expect(checkpoint, `exported checkpoint ${i + 1} (size ${checkpoint.treeSize})`);
      largestExported = Math.max(largestExported, checkpoint.treeSize);
    } catch (error) {
      if (!isSluiceError(error)) throw error;
      problems.push(`exported checkpoint ${i + 1} does not verify: ${error.message}`);
    }
  }

  // A checkpoint of the empty tree (size 0) is checked here, against the empty tree's root: the loop below starts
  // at size 1, and a size it never reaches must not hold up the checks after it.
  for (const check of expected.get(0) ?? []) {
    if (check.root === latin1(emptyRoot())) checkpointsVerified++;
    else problems.push(`${check.what} is of the empty log, but its root is not the empty tree's root`);
  }
  const walk = new ChainWalk(expected, bad, (problem, seq) => {
    problems.push(problem);
    firstBadSeq ??= seq;
  });
  for (let from = 1; ; from += VERIFY_PAGE_ROWS) {
    const rows = await store.readAuditChain(from, VERIFY_PAGE_ROWS);
    if (!walk.page(rows)) return { ok: false, size: walk.size, firstBadSeq: firstBadSeq ?? walk.size + 1, problems, checkpointsVerified: checkpointsVerified + walk.checkpointsVerified };
    if (rows.length < VERIFY_PAGE_ROWS) break;
  }
  const size = walk.size;
  checkpointsVerified += walk.checkpointsVerified;
  if (largestExported > size) {
    problems.push(`the log holds ${size} events, but an exported checkpoint covers ${largestExported}: the tail was truncated or the log rolled back`);
    firstBadSeq ??= size + 1;
  }
  return { ok: problems.length === 0, size, ...(firstBadSeq !== undefined ? { firstBadSeq } : {}), problems, checkpointsVerified };
}

/**
 * The walk through the rows, page by page: sequence, leaf, chain and tree, and the checkpoints at the sizes they are
 * at. Speed: the per-row work is a synchronous method called once a page, not the body of the async loop that
 * reads the pages. In that loop V8 reached its fast code late: in new processes, the second and third whole
 * verifications of 200,000 events ran at 150,000-250,000 events/s with the loop, 270,000-300,000 with this method.
 */
class ChainWalk {
  size = 0;
  checkpointsVerified = 0;
  // One scratch buffer holds the chain so far at [0, 32) (32 zero bytes before seq 1) and the row's stored leaf ‖
  // chain, decoded from their hex, at [32, 96): the chain's next input, the chain so far ‖ the stored leaf, is its
  // first 64 bytes. Speed: the stored hashes are compared where they are decoded, and the stored chain moved to the
  // front in place, instead of through strings: each Buffer write or toString is about 55 ns through Node's
  // wrappers, a comparison or a copy of 32 bytes here 15-50.
  readonly #row = Buffer.alloc(3 * HASH_SIZE);
  readonly #chainInput = this.#row.subarray(0, 2 * HASH_SIZE);
  readonly #storedChain = this.#row.subarray(2 * HASH_SIZE);
  readonly #accumulator = new MerkleAccumulator();
  /** The tree sizes from 1 on that some checkpoint is at, ascending: one number compared per row, not a map lookup. */
  readonly #checkSizes: number[];
  #nextCheck = 0;

  /** `bad` records a problem with one event; `mismatch` one with a checkpoint (its text names what it is). */
  constructor(
    private readonly expected: ReadonlyMap<number, readonly { root: Latin1Hash; what: string }[]>,
    private readonly bad: (seq: number, problem: string) => void,
    private readonly mismatch: (problem: string, seq: number) => void,
  ) {
    this.#checkSizes = [...expected.keys()].filter((size) => size > 0).sort((a, b) => a - b);
  }

  /** Verifies the next page of rows; false when a row is missing or out of order, which ends the walk. */
  page(rows: readonly AuditChainTuple[]): boolean {
    const row = this.#row;
    for (const [rowSeq, event, hashesHex] of rows) {
      const seq = this.size + 1;
      if (rowSeq !== seq) {
        this.bad(seq, rowSeq > seq ? `missing: the log jumps from ${seq - 1} to ${rowSeq} (events were deleted)` : `out of order (found ${rowSeq})`);
        return false;
      }
      // A corrupted row (hashes of another size or type, an event that is not text) is a finding, not a crash.
      const intact = typeof hashesHex === 'string' && hashesHex.length === 4 * HASH_SIZE && row.write(hashesHex, HASH_SIZE, 2 * HASH_SIZE, 'hex') === 2 * HASH_SIZE;
      const text = typeof event === 'string' ? event : String(event);
      const leaf = leafHashOfText(text);
      if (seqOfCanonical(text) !== seq) this.bad(seq, 'its text names another sequence number (moved or inserted)');
      if (intact) {
        if (!equalsAt(leaf, row, HASH_SIZE)) this.bad(seq, 'its text does not match its leaf hash (modified)');
        if (!equalsAt(chainHashOf(this.#chainInput), row, 2 * HASH_SIZE)) this.bad(seq, CHAIN_BREAKS);
        // The chain goes on from the stored one, matched or not: a break is reported where it happens, once.
        row.set(this.#storedChain, 0);
      } else {
        this.bad(seq, 'its leaf hash is damaged');
        this.bad(seq, CHAIN_BREAKS);
        // The chain goes on from the leaf recomputed from the text, so the rows after a damaged one still verify.
        row.write(leaf, HASH_SIZE, HASH_SIZE, 'latin1');
        row.write(chainHashOf(this.#chainInput), 0, HASH_SIZE, 'latin1');
      }
      // The tree is built from the leaves recomputed from the text: a rewritten leaf column cannot hide a change.
      this.#accumulator.appendLatin1(leaf);
      this.size = seq;
      if (seq === this.#checkSizes[this.#nextCheck]) this.#checkpoint();
    }
    return true;
  }

  /** Compares the root at the current size with every checkpoint at that size. */
  #checkpoint(): void {
    this.#nextCheck++;
    const root = this.#accumulator.rootLatin1();
    for (const check of this.expected.get(this.size)!) {
      if (root === check.root) this.checkpointsVerified++;
      else this.mismatch(`the log's first ${this.size} events do not match ${check.what}: an event up to ${this.size} was altered and the log rewritten to hide it`, this.size);
    }
  }
}
