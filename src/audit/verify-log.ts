// Verifies the stored audit log from its first event: every event's bytes against its leaf hash, the sequence,
// the hash chain, the Merkle root at every stored checkpoint (whose signature must verify with a trusted key), and
// the trusted checkpoints exported outside the writer's reach, which catch a truncated tail or a rollback that
// rewrote the stored checkpoints too.
import { isSluiceError } from '../errors.ts';
import type { AuditStore } from './audit-store.ts';
import { chainHashLatin1, chainHashOf } from './audit-log.ts';
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

/** The chain before seq 1: 32 zero bytes. */
const CHAIN_START: Latin1Hash = '\u0000'.repeat(HASH_SIZE);

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
  // The tree sizes from 1 on that some checkpoint is at, ascending: the loop compares one number per event, not a
  // map lookup.
  const checkSizes = [...expected.keys()].filter((size) => size > 0).sort((a, b) => a - b);
  let nextCheck = 0;
  // Speed: hashes are latin1 strings here (merkle-hash.ts says why). One scratch buffer holds the chain so far at
  // [0, 32) and the row's stored leaf ‖ chain, decoded from their hex, at [32, 96): the chain's next input, the
  // chain so far ‖ the stored leaf, is then its first 64 bytes, with one write instead of two.
  const row = Buffer.alloc(3 * HASH_SIZE);
  const chainInput = row.subarray(0, 2 * HASH_SIZE);
  const accumulator = new MerkleAccumulator();
  let chain = CHAIN_START;
  let size = 0;
  for (let from = 1; ; from += VERIFY_PAGE_ROWS) {
    const rows = await store.readAuditChain(from, VERIFY_PAGE_ROWS);
    for (const [rowSeq, event, hashesHex] of rows) {
      const seq = size + 1;
      if (rowSeq !== seq) {
        bad(seq, rowSeq > seq ? `missing: the log jumps from ${seq - 1} to ${rowSeq} (events were deleted)` : `out of order (found ${rowSeq})`);
        return { ok: false, size, firstBadSeq: seq, problems, checkpointsVerified };
      }
      // A corrupted row (hashes of another size or type, an event that is not text) is a finding, not a crash.
      const intact = typeof hashesHex === 'string' && hashesHex.length === 4 * HASH_SIZE && row.write(hashesHex, HASH_SIZE, 2 * HASH_SIZE, 'hex') === 2 * HASH_SIZE;
      const storedLeaf = intact ? row.toString('latin1', HASH_SIZE, 2 * HASH_SIZE) : undefined;
      const text = typeof event === 'string' ? event : String(event);
      const leaf = leafHashOfText(text);
      if (seqOfCanonical(text) !== seq) bad(seq, 'its text names another sequence number (moved or inserted)');
      if (storedLeaf !== leaf) bad(seq, storedLeaf !== undefined ? 'its text does not match its leaf hash (modified)' : 'its leaf hash is damaged');
      if (intact) {
        row.write(chain, 0, HASH_SIZE, 'latin1');
        chain = chainHashOf(chainInput);
      } else chain = chainHashLatin1(chain, leaf);
      const storedChain = intact ? row.toString('latin1', 2 * HASH_SIZE) : undefined;
      if (storedChain !== chain) {
        bad(seq, 'the hash chain breaks here (an event before it was modified, removed or reordered)');
        if (storedChain !== undefined) chain = storedChain;
      }
      // The tree is built from the leaves recomputed from the text: a rewritten leaf column cannot hide a change.
      accumulator.appendLatin1(leaf);
      size = seq;
      if (size !== checkSizes[nextCheck]) continue;
      nextCheck++;
      const root = accumulator.rootLatin1();
      for (const check of expected.get(size)!) {
        if (root === check.root) checkpointsVerified++;
        else {
          problems.push(`the log's first ${size} events do not match ${check.what}: an event up to ${size} was altered and the log rewritten to hide it`);
          firstBadSeq ??= size;
        }
      }
    }
    if (rows.length < VERIFY_PAGE_ROWS) break;
  }
  if (largestExported > size) {
    problems.push(`the log holds ${size} events, but an exported checkpoint covers ${largestExported}: the tail was truncated or the log rolled back`);
    firstBadSeq ??= size + 1;
  }
  return { ok: problems.length === 0, size, ...(firstBadSeq !== undefined ? { firstBadSeq } : {}), problems, checkpointsVerified };
}
