// C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures: the envelope of audit checkpoints. A note is
// text ending in a newline, a blank line, and signature lines "— <key name> <base64(key ID || signature)>".
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { SluiceError } from '../../errors.ts';

/** A key a verifier trusts: its note key name and its Ed25519 public key. */
export interface NoteKey {
  name: string;
  publicKey: KeyObject;
}

export interface OpenedNote {
  /** The signed text, final newline included. */
  text: string;
  /** The trusted keys whose signatures verified. */
  signedBy: string[];
}

// signed-note: signature type 0x01 is Ed25519 over the note text, and the key ID hashes the type byte in.
const ED25519_TYPE = 0x01;
const KEY_ID_SIZE = 4;
const ED25519_SIGNATURE_SIZE = 64;
const EM_DASH = '\u2014';
// signed-note: verifiers SHOULD bound the signatures (and MUST accept 16) or the note size; 64 KiB holds 16 ML-DSA ones.
const MAX_NOTE_BYTES = 64 * 1024;
const MAX_SIGNATURES = 32;

/** key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4] (signed-note, Ed25519 signatures). */
export function noteKeyId(name: string, key: KeyObject): Buffer {
  if (!isKeyName(name)) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `the key name "${name}" must be non-empty, without spaces or '+'`);
  const raw = rawEd25519PublicKey(key.type === 'private' ? createPublicKey(key) : key);
  return createHash('sha256').update(name, 'utf8').update(Uint8Array.of(0x0a, ED25519_TYPE)).update(raw).digest().subarray(0, KEY_ID_SIZE);
}

/** Signs `text` (non-empty, ending in a newline, no control characters but newline) into a one-signature note. */
export function signNote(text: string, privateKey: KeyObject, keyName: string): string {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'notes are signed with an Ed25519 private key');
  }
  const problem = textProblem(text);
  if (problem !== undefined || text.length === 0) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `cannot sign the note: ${problem ?? 'it is empty'}`);
  const signature = sign(null, Buffer.from(text, 'utf8'), privateKey);
  return `${text}\n${EM_DASH} ${keyName} ${Buffer.concat([noteKeyId(keyName, privateKey), signature]).toString('base64')}\n`;
}

/**
 * Verifies a note against trusted keys. As signed-note requires: signatures by unknown keys (name and key ID not both
 * those of a trusted key) are ignored; a signature by a trusted key that fails rejects the note; at least one must
 * verify. Failures are SLUICE_AUDIT_VERIFY_FAILED, worded for `what` ("the checkpoint").
 */
export function openNote(note: string | Uint8Array, trusted: readonly NoteKey[], what = 'the note'): OpenedNote {
  const malformed = (problem: string): never => {
    throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', `${what} is malformed: ${problem}`);
  };
  const fail = (message: string): never => {
    throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', message);
  };
  const all = typeof note === 'string' ? note : decodeUtf8(note, malformed);
  const size = Buffer.byteLength(all, 'utf8');
  if (size > MAX_NOTE_BYTES) malformed(`it is ${size} bytes, more than ${MAX_NOTE_BYTES}`);
  const problem = textProblem(all);
  if (problem !== undefined) malformed(problem);
  // The text is separated from the signatures by the last empty line.
  const split = all.lastIndexOf('\n\n');
  if (split < 0) malformed('there is no blank line between the text and the signatures');
  const text = all.slice(0, split + 1);
  const lines = all.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) malformed(`it has ${lines.length} signature lines, more than ${MAX_SIGNATURES}`);
  const signatures = lines.map((line, i) => parseSignatureLine(line, `signature line ${i + 1}`, malformed));

  const keys = trusted.map((key) => ({ ...key, id: noteKeyId(key.name, key.publicKey) }));
  const data = Buffer.from(text, 'utf8');
  const signedBy: string[] = [];
  for (const signature of signatures) {
    const key = keys.find((k) => k.name === signature.name && k.id.equals(signature.id));
    if (key === undefined) continue;
    if (signature.signature.length !== ED25519_SIGNATURE_SIZE) {
      fail(`the signature by ${key.name} on ${what} is ${signature.signature.length} bytes, not the ${ED25519_SIGNATURE_SIZE} of Ed25519: it was cut or padded`);
    }
    if (!verify(null, data, key.publicKey, signature.signature)) {
      fail(`the signature by ${key.name} on ${what} does not verify: the text was changed after signing, or the signature is damaged`);
    }
    signedBy.push(key.name);
  }
  if (signedBy.length === 0) {
    const list = (entries: ReadonlyArray<{ name: string; id: Buffer }>) => entries.map((e) => `${e.name} (key ID ${e.id.toString('hex')})`).join(', ');
    fail(`${what} is not signed by a trusted key: it is signed by ${list(signatures)}; the trusted keys are ${list(keys) || 'none'}`);
  }
  return { text, signedBy };
}

/** signed-note key names: non-empty, no Unicode spaces, no '+'. */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

/** RFC 4648 §4 base64, padded and canonical (Buffer.from alone accepts anything), or undefined. */
export function decodeBase64(value: string): Buffer | undefined {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes : undefined;
}

/** signed-note: no ASCII control characters but newline, and a final newline. */
function textProblem(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return `it contains the control character U+${code.toString(16).padStart(4, '0')} at offset ${i}`;
  }
  return text.length === 0 || text.endsWith('\n') ? undefined : 'it does not end with a newline';
}

interface SignatureLine {
  name: string;
  id: Buffer;
  signature: Buffer;
}

/** "— <key name> <base64(key ID || signature)>". */
function parseSignatureLine(line: string, where: string, malformed: (problem: string) => never): SignatureLine {
  if (!line.startsWith(`${EM_DASH} `)) malformed(`${where} does not start with an em dash (U+2014) and a space`);
  const parts = line.slice(2).split(' ');
  if (parts.length !== 2) malformed(`${where} is not "${EM_DASH} <key name> <base64 signature>"`);
  const [name, encoded] = parts as [string, string];
  if (!isKeyName(name)) malformed(`${where} has an invalid key name (empty, or with spaces or '+')`);
  const blob = decodeBase64(encoded);
  if (blob === undefined) return malformed(`${where}: the signature is not standard base64 with padding`);
  if (blob.length <= KEY_ID_SIZE) malformed(`${where}: the signature is ${blob.length} bytes, too short for a key ID and a signature`);
  return { name, id: blob.subarray(0, KEY_ID_SIZE), signature: blob.subarray(KEY_ID_SIZE) };
}

function decodeUtf8(bytes: Uint8Array, malformed: (problem: string) => never): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return malformed('it is not valid UTF-8');
  }
}

function rawEd25519PublicKey(key: KeyObject): Buffer {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
    throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'a note key must be an Ed25519 key');
  }
  // RFC 8037 §2: an OKP JWK's "x" is the RFC 8032 encoding of the public key, 32 bytes.
  return Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url');
}
