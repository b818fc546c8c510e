// Signed checkpoints of the audit log: a C2SP tlog-checkpoint (origin, tree size, root hash) plus the time, in a
// C2SP signed note with Ed25519 signatures (signed-note.ts; docs/formats/audit-proofs.md).
//
//   sluice.example/audit            origin: the log's name
//   1048576                         tree size, decimal, no leading zeroes
//   X5q0…=                          root hash: standard base64 (RFC 4648 §4) of MTH(D[tree size])
//   time 2025-06-01T12:00:00.000Z   extension line: when the log signed this size
//                                   blank line: the end of the signed text
//   — sluice.example/audit Bq3w…=   signature: em dash, key name, base64(key ID || Ed25519 signature)
//
// tlog-checkpoint allows extension lines after the third (opaque, non-empty) and calls them NOT RECOMMENDED because
// witnesses and monitors do not check them: the time is signed with the rest, but only Sluice's verifiers read it.
import type { KeyObject } from 'node:crypto';
import { HASH_SIZE } from './merkle-hash.ts';
import { decodeBase64, isKeyName, openNote, signNote, type NoteKey } from './signed-note.ts';
import { SluiceError } from '../../errors.ts';

export interface Checkpoint {
  /** The log's name: non-empty, no whitespace or '+' (it doubles as the key name), e.g. "sluice.example/audit". */
  origin: string;
  treeSize: number;
  /** MTH(D[treeSize]), 32 bytes. */
  rootHash: Buffer;
  /** When it was signed: ISO 8601 UTC, as Date.prototype.toISOString writes it (milliseconds optional). */
  time: string;
}

/** A key a verifier trusts; its name is the log's origin unless the log signs under another. */
export type CheckpointKey = NoteKey;

export interface OpenedCheckpoint extends Checkpoint {
  /** The trusted keys whose signatures verified. */
  signedBy: string[];
}

const TIME_PREFIX = 'time ';

/** The signed text of a checkpoint: its four lines, each ending in a newline. */
export function checkpointText(checkpoint: Checkpoint): string {
  const problem = checkpointProblem(checkpoint);
  if (problem !== undefined) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `cannot sign the checkpoint: ${problem}`);
  return `${checkpoint.origin}\n${checkpoint.treeSize}\n${checkpoint.rootHash.toString('base64')}\n${TIME_PREFIX}${checkpoint.time}\n`;
}

/** Signs a checkpoint with an Ed25519 private key, under `keyName` (by default the origin, as tlog-checkpoint says). */
export function signCheckpoint(checkpoint: Checkpoint, privateKey: KeyObject, keyName: string = checkpoint.origin): string {
  return signNote(checkpointText(checkpoint), privateKey, keyName);
}

/**
 * Verifies a signed checkpoint against trusted keys (signed-note rules: unknown signatures are ignored, a bad one by a
 * trusted key rejects it, one must verify), then parses it; with `origin`, it must be of that log. Any failure is
 * SLUICE_AUDIT_VERIFY_FAILED saying which check failed.
 */
export function openCheckpoint(note: string | Uint8Array, trusted: readonly CheckpointKey[], options: { origin?: string } = {}): OpenedCheckpoint {
  // signed-note: the text MUST be ignored unless a trusted key signed it, so the signatures are checked first.
  const { text, signedBy } = openNote(note, trusted, 'the checkpoint');
  const checkpoint = parseCheckpointText(text);
  if (options.origin !== undefined && checkpoint.origin !== options.origin) {
    throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', `the checkpoint is of the log "${checkpoint.origin}", not "${options.origin}"`);
  }
  return { ...checkpoint, signedBy };
}

/** The four lines of a verified checkpoint text. */
function parseCheckpointText(text: string): Checkpoint {
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== 4) malformed(`its text has ${lines.length} lines; a Sluice checkpoint has 4 (origin, tree size, root hash, time)`);
  const [origin, size, root, timeLine] = lines as [string, string, string, string];
  // tlog-checkpoint: ASCII decimal, no leading zeroes.
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) {
    malformed(`the tree size "${size}" is not a decimal number without leading zeroes below 2^53`);
  }
  const rootHash = decodeBase64(root);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) return malformed(`the root hash is not the base64 of ${HASH_SIZE} bytes`);
  if (!timeLine.startsWith(TIME_PREFIX)) malformed(`the fourth line is not "${TIME_PREFIX}<ISO 8601 UTC time>"`);
  const checkpoint: Checkpoint = { origin, treeSize: Number(size), rootHash, time: timeLine.slice(TIME_PREFIX.length) };
  const problem = checkpointProblem(checkpoint);
  if (problem !== undefined) malformed(problem);
  return checkpoint;
}

function checkpointProblem(checkpoint: Checkpoint): string | undefined {
  if (!isKeyName(checkpoint.origin)) return `the origin "${checkpoint.origin}" must be non-empty, without spaces or '+'`;
  if (!Number.isSafeInteger(checkpoint.treeSize) || checkpoint.treeSize < 0) return `the tree size ${checkpoint.treeSize} is not a whole number`;
  if (!(checkpoint.rootHash instanceof Uint8Array) || checkpoint.rootHash.length !== HASH_SIZE) return `the root hash is not ${HASH_SIZE} bytes`;
  if (!isIsoTime(checkpoint.time)) return `the time "${checkpoint.time}" is not an ISO 8601 UTC time such as 2025-06-01T12:00:00.000Z`;
  return undefined;
}

function isIsoTime(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(value)) return false;
  const date = new Date(value);
  // Round trip, so that 2025-02-30 (which Date rolls over into March) is refused.
  return !Number.isNaN(date.getTime()) && date.toISOString() === (value.length === 20 ? value.replace('Z', '.000Z') : value);
}

function malformed(problem: string): never {
  throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', `the checkpoint is malformed: ${problem}`);
}
