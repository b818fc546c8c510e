// The JSON forms of audit proofs that `sluice audit prove` writes and tools/audit-verify.mjs reads, and their check
// against signed checkpoints (docs/formats/audit-proofs.md). Hashes are standard base64, sizes JSON integers.
import { HASH_SIZE, leafHash as hashLeaf } from './merkle-hash.ts';
import { verifyConsistency, verifyInclusion } from './proofs.ts';
import type { Checkpoint } from './checkpoint.ts';
import { SluiceError } from '../../errors.ts';

export const INCLUSION_PROOF_FORMAT = 'sluice-audit-inclusion-proof/v1';
export const CONSISTENCY_PROOF_FORMAT = 'sluice-audit-consistency-proof/v1';

export interface InclusionProofJson {
  format: typeof INCLUSION_PROOF_FORMAT;
  /** The log's origin, as in its checkpoints. */
  origin: string;
  /** 0-based position of the leaf. */
  leafIndex: number;
  /** The tree the proof is for: a checkpoint of exactly this size verifies it. */
  treeSize: number;
  /** base64 of leafHash(leaf). */
  leafHash: string;
  /** base64 of the leaf's data, when the proof carries it; it must hash to leafHash. */
  leaf?: string;
  /** base64 of PATH(leafIndex, D[treeSize]), from the leaf up. */
  path: string[];
}

export interface ConsistencyProofJson {
  format: typeof CONSISTENCY_PROOF_FORMAT;
  origin: string;
  treeSize1: number;
  treeSize2: number;
  /** base64 of PROOF(treeSize1, D[treeSize2]). */
  path: string[];
}

export interface InclusionProof {
  origin: string;
  leafIndex: number;
  treeSize: number;
  leafHash: Buffer;
  leaf?: Buffer;
  path: Buffer[];
}

export interface ConsistencyProof {
  origin: string;
  treeSize1: number;
  treeSize2: number;
  path: Buffer[];
}

/** The JSON of an inclusion proof; with `leaf`, the leaf's data travels with it (and must hash to leafHash). */
export function inclusionProofJson(proof: {
  origin: string;
  leafIndex: number;
  treeSize: number;
  leafHash: Uint8Array;
  path: readonly Uint8Array[];
  leaf?: Uint8Array;
}): InclusionProofJson {
  if (proof.leaf !== undefined && !hashLeaf(proof.leaf).equals(proof.leafHash)) {
    throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `the leaf data given for leaf ${proof.leafIndex} does not hash to its leaf hash`);
  }
  return {
    format: INCLUSION_PROOF_FORMAT,
    origin: proof.origin,
    leafIndex: proof.leafIndex,
    treeSize: proof.treeSize,
    leafHash: base64(proof.leafHash),
    ...(proof.leaf === undefined ? {} : { leaf: base64(proof.leaf) }),
    path: proof.path.map(base64),
  };
}

export function consistencyProofJson(proof: { origin: string; treeSize1: number; treeSize2: number; path: readonly Uint8Array[] }): ConsistencyProofJson {
  return {
    format: CONSISTENCY_PROOF_FORMAT,
    origin: proof.origin,
    treeSize1: proof.treeSize1,
    treeSize2: proof.treeSize2,
    path: proof.path.map(base64),
  };
}

/** Parses inclusion-proof JSON (text or parsed), strictly: unknown members, wrong types or bad base64 are refused. */
export function parseInclusionProofJson(json: unknown): InclusionProof {
  const what = 'the inclusion proof';
  const value = members(json, what, INCLUSION_PROOF_FORMAT, ['format', 'origin', 'leafIndex', 'treeSize', 'leafHash', 'path'], ['leaf']);
  const proof: InclusionProof = {
    origin: text(value, 'origin', what),
    leafIndex: count(value, 'leafIndex', what),
    treeSize: count(value, 'treeSize', what),
    leafHash: hash(value.leafHash, 'leafHash', what),
    path: hashes(value.path, what),
  };
  if (value.leaf !== undefined) {
    const leaf = bytes(value.leaf, 'leaf', what);
    if (!hashLeaf(leaf).equals(proof.leafHash)) malformed(what, 'leaf does not hash to leafHash (SHA-256 of 0x00 || leaf)');
    proof.leaf = leaf;
  }
  return proof;
}

export function parseConsistencyProofJson(json: unknown): ConsistencyProof {
  const what = 'the consistency proof';
  const value = members(json, what, CONSISTENCY_PROOF_FORMAT, ['format', 'origin', 'treeSize1', 'treeSize2', 'path'], []);
  return {
    origin: text(value, 'origin', what),
    treeSize1: count(value, 'treeSize1', what),
    treeSize2: count(value, 'treeSize2', what),
    path: hashes(value.path, what),
  };
}

/**
 * Verifies an inclusion proof against a checkpoint (already opened, so signed by a trusted key): same log, the tree
 * size the proof was made for, and the path leads to the checkpoint's root. SLUICE_AUDIT_VERIFY_FAILED otherwise.
 */
export function verifyInclusionProof(proof: InclusionProof, checkpoint: Checkpoint): void {
  sameLog(proof.origin, checkpoint);
  if (proof.treeSize !== checkpoint.treeSize) {
    fail(`the inclusion proof is for a tree of ${proof.treeSize} leaves, but the checkpoint is of ${checkpoint.treeSize}: ask for a proof at the checkpoint's size`);
  }
  verifyInclusion({ leafIndex: proof.leafIndex, treeSize: proof.treeSize, leafHash: proof.leafHash, path: proof.path, rootHash: checkpoint.rootHash });
}

/** Verifies a consistency proof between two checkpoints of one log: `older` must be a prefix of `newer`. */
export function verifyConsistencyProof(proof: ConsistencyProof, older: Checkpoint, newer: Checkpoint): void {
  sameLog(proof.origin, older);
  sameLog(proof.origin, newer);
  if (proof.treeSize1 !== older.treeSize || proof.treeSize2 !== newer.treeSize) {
    fail(
      `the consistency proof goes from ${proof.treeSize1} to ${proof.treeSize2} leaves, but the checkpoints are of ${older.treeSize} and ${newer.treeSize}: ask for a proof between the checkpoints' sizes`,
    );
  }
  verifyConsistency({ size1: older.treeSize, size2: newer.treeSize, root1: older.rootHash, root2: newer.rootHash, path: proof.path });
}

function sameLog(origin: string, checkpoint: Checkpoint): void {
  if (origin !== checkpoint.origin) fail(`the proof is for the log "${origin}", but the checkpoint is of "${checkpoint.origin}"`);
}

function members(json: unknown, what: string, format: string, required: readonly string[], optional: readonly string[]): Record<string, unknown> {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', `${what} is not JSON`, { cause: error });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) malformed(what, 'it is not a JSON object');
  const record = value as Record<string, unknown>;
  if (record.format !== format) malformed(what, `format is ${JSON.stringify(record.format)}, not "${format}"`);
  const unknown = Object.keys(record).filter((key) => !required.includes(key) && !optional.includes(key));
  if (unknown.length > 0) malformed(what, `unknown member${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  const missing = required.filter((key) => !(key in record));
  if (missing.length > 0) malformed(what, `missing ${missing.join(', ')}`);
  return record;
}

function text(value: Record<string, unknown>, key: string, what: string): string {
  const member = value[key];
  if (typeof member !== 'string' || member.length === 0) malformed(what, `${key} must be a non-empty string`);
  return member;
}

function count(value: Record<string, unknown>, key: string, what: string): number {
  const member = value[key];
  if (typeof member !== 'number' || !Number.isSafeInteger(member) || member < 0) malformed(what, `${key} must be a whole number from 0 to 2^53 - 1`);
  return member;
}

function hashes(member: unknown, what: string): Buffer[] {
  if (!Array.isArray(member)) malformed(what, 'path must be an array of base64 hashes');
  return member.map((h: unknown, i) => hash(h, `path[${i}]`, what));
}

function hash(member: unknown, name: string, what: string): Buffer {
  const decoded = bytes(member, name, what);
  if (decoded.length !== HASH_SIZE) malformed(what, `${name} is ${decoded.length} bytes, not ${HASH_SIZE}`);
  return decoded;
}

/** RFC 4648 §4 base64, padded and canonical. */
function bytes(member: unknown, name: string, what: string): Buffer {
  if (typeof member !== 'string' || member.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(member)) {
    malformed(what, `${name} must be standard base64 with padding`);
  }
  const decoded = Buffer.from(member, 'base64');
  if (decoded.toString('base64') !== member) malformed(what, `${name} is not canonical base64`);
  return decoded;
}

function base64(value: Uint8Array): string {
  return Buffer.from(value).toString('base64');
}

function malformed(what: string, problem: string): never {
  throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', `${what} is malformed: ${problem}`);
}

function fail(message: string): never {
  throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', message);
}
