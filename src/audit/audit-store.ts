// Where the audit log lives: the state store (SQLite embedded, PostgreSQL in cluster mode). Rows are only ever
// appended, in sequence, each with its exact bytes, its Merkle leaf hash and the hash chain through it.
import type { AuditAction, AuditEvent, RecordedAuditEvent } from './audit-event.ts';

/** One stored event. `event` is the exact JSON text hashed into `leaf`; seq starts at 1 (leaf index seq − 1). */
export interface AuditRow {
  seq: number;
  time: string;
  action: AuditAction;
  principal: string;
  resource: string;
  outcome: AuditEvent['outcome'];
  event: string;
  /** RFC 9162 leaf hash: SHA-256(0x00 ‖ event). */
  leaf: Buffer;
  /** SHA-256(previous chain ‖ leaf); the chain before seq 1 is 32 zero bytes. */
  chain: Buffer;
}

/**
 * [seq, event text, leaf hash ‖ chain hash (64 bytes) in hexadecimal of either case] as stored (a damaged row may
 * hold other types). Hex, made by the database: a 128-character string costs the reader about a third of what a
 * 64-byte Buffer does, and reading is half of verifying. SQLite's hex() is uppercase, PostgreSQL's encode()
 * lowercase; the verifier decodes both.
 */
export type AuditChainTuple = [seq: number, event: unknown, hashesHex: unknown];

/** A stored Merkle subtree root: the node at `level` (leaves are level 0) and `index` within it. */
export interface AuditNode {
  level: number;
  index: number;
  hash: Buffer;
}

/** A signed checkpoint as stored: its note text is what verifiers are given. */
export interface AuditCheckpointRow {
  treeSize: number;
  root: Buffer;
  time: string;
  note: string;
}

/** A query over the log; every filter optional; time bounds inclusive (ISO 8601); paged by sequence. */
export interface AuditQuery {
  action?: AuditAction;
  principal?: string;
  resource?: string;
  outcome?: AuditEvent['outcome'];
  from?: string;
  to?: string;
  /** Only events after this sequence number (the paging cursor). */
  afterSeq?: number;
  limit?: number;
}

export interface AuditStore {
  /** The number of events and the chain hash of the last one (32 zero bytes when empty). */
  auditHead(): Promise<{ size: number; chain: Buffer }>;
  /**
   * Appends rows (consecutive, starting at expectedSize + 1) and Merkle nodes in one durable transaction, if the
   * log still holds expectedSize events; false when another writer appended first.
   */
  appendAuditRows(expectedSize: number, rows: readonly AuditRow[], nodes: readonly AuditNode[]): Promise<boolean>;
  /** Rows with seq ≥ fromSeq, ascending, at most `limit`. */
  readAuditRows(fromSeq: number, limit: number): Promise<AuditRow[]>;
  /**
   * What verification reads, as [seq, event, hex of leaf ‖ chain] tuples with seq ≥ fromSeq, ascending, at most
   * `limit`: three values and no objects, since reading is most of the cost of verifying a large log.
   */
  readAuditChain(fromSeq: number, limit: number): Promise<AuditChainTuple[]>;
  getAuditNode(level: number, index: number): Promise<Buffer | undefined>;
  putAuditCheckpoint(checkpoint: AuditCheckpointRow): Promise<void>;
  /** Checkpoints, by tree size ascending. */
  listAuditCheckpoints(): Promise<AuditCheckpointRow[]>;
  /** The checkpoint of the largest tree size (what every command's close compares with: one row, not all). */
  latestAuditCheckpoint(): Promise<AuditCheckpointRow | undefined>;
  queryAuditEvents(query: AuditQuery): Promise<RecordedAuditEvent[]>;
}
