// Verifies the stored audit log from its first event: every event's bytes against its leaf hash, the sequence,
// the hash chain, the Merkle root at every stored checkpoint (whose signature must verify with a trusted key), and
// the trusted checkpoints exported outside the writer's reach, which catch a truncated tail or a rollback that
// rewrote the stored checkpoints too.
import { isSluiceError } from '../errors.ts';
import type { AuditStore } from './audit-store.ts';
import { chainHash } from './audit-log.ts';
import { seqOfCanonical } from './canonical-event.ts';
import { MerkleAccumulator, leafHash } from './merkle/merkle-hash.ts';
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

const PAGE = 10_000;

const isHash = (value: unknown): value is Buffer => Buffer.isBuffer(value) && value.length === 32;

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
  const expected = new Map<number, { root: Buffer; what: string }[]>();
  let checkpointsVerified = 0;
  const expect = (checkpoint: OpenedCheckpoint, what: string) => {
    const list = expected.get(checkpoint.treeSize) ?? [];
    list.push({ root: checkpoint.rootHash, what });
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

  const accumulator = new MerkleAccumulator();
  let chain: Buffer = Buffer.alloc(32);
  let size = 0;
  for (let from = 1; ; from += PAGE) {
    const rows = await store.readAuditChain(from, PAGE);
    for (const [rowSeq, event, hashes] of rows) {
      const intact = Buffer.isBuffer(hashes) && hashes.length === 64;
      const rowLeaf = intact ? hashes.subarray(0, 32) : undefined;
      const rowChain = intact ? hashes.subarray(32) : undefined;
      const seq = size + 1;
      if (rowSeq !== seq) {
        bad(seq, rowSeq > seq ? `missing: the log jumps from ${seq - 1} to ${rowSeq} (events were deleted)` : `out of order (found ${rowSeq})`);
        return { ok: false, size, firstBadSeq: seq, problems, checkpointsVerified };
      }
      // A corrupted row (a leaf or chain of another size or type, an event that is not text) is a finding, not a crash.
      const text = typeof event === 'string' ? event : String(event);
      const leaf = leafHash(Buffer.from(text, 'utf8'));
      const storedLeaf = isHash(rowLeaf) ? rowLeaf : undefined;
      if (seqOfCanonical(text) !== seq) bad(seq, 'its text names another sequence number (moved or inserted)');
      if (!storedLeaf?.equals(leaf)) bad(seq, storedLeaf ? 'its text does not match its leaf hash (modified)' : 'its leaf hash is damaged');
      chain = chainHash(chain, storedLeaf ?? leaf);
      if (!isHash(rowChain) || !chain.equals(rowChain)) {
        bad(seq, 'the hash chain breaks here (an event before it was modified, removed or reordered)');
        if (isHash(rowChain)) chain = Buffer.from(rowChain);
      }
      // The tree is built from the leaves recomputed from the text: a rewritten leaf column cannot hide a change.
      accumulator.append(leaf);
      size = seq;
      for (const check of expected.get(size) ?? []) {
        if (accumulator.root().equals(check.root)) checkpointsVerified++;
        else {
          problems.push(`the log's first ${size} events do not match ${check.what}: an event up to ${size} was altered and the log rewritten to hide it`);
          firstBadSeq ??= size;
        }
      }
    }
    if (rows.length < PAGE) break;
  }
  if (largestExported > size) {
    problems.push(`the log holds ${size} events, but an exported checkpoint covers ${largestExported}: the tail was truncated or the log rolled back`);
    firstBadSeq ??= size + 1;
  }
  return { ok: problems.length === 0, size, ...(firstBadSeq !== undefined ? { firstBadSeq } : {}), problems, checkpointsVerified };
}
