#!/usr/bin/env node
// Offline verifier for Sluice audit proofs (docs/formats/audit-proofs.md): checks an inclusion or a consistency proof
// against signed checkpoints with nothing but the log's Ed25519 public key. Plain JavaScript on node:crypto, with no
// code from Sluice, so it can be read in one sitting and run anywhere Node 20 runs.
//
//   node tools/audit-verify.mjs --key log.pub.pem --checkpoint cp.txt inclusion-proof.json
//   node tools/audit-verify.mjs --key log.pub.pem --checkpoint old.txt --checkpoint new.txt consistency-proof.json
//
// --key-name NAME: the name the log signs under (default: the checkpoint's origin).
// Exit status: 0 verified; 1 did not verify (including a malformed proof or checkpoint); 2 usage or unreadable file.
import { Buffer } from 'node:buffer';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};

// RFC 9162 §2.1.1: leaves are SHA-256(0x00 || data), interior nodes SHA-256(0x01 || left || right).
const sha256 = (...parts) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const leafHash = (data) => sha256(Buffer.of(0), data);
const nodeHash = (left, right) => sha256(Buffer.of(1), left, right);
const lsb = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

/** RFC 4648 §4 base64 with padding, canonical. */
function base64(value, what, size) {
  const bytes = typeof value === 'string' && value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? Buffer.from(value, 'base64') : undefined;
  if (bytes === undefined || bytes.toString('base64') !== value) fail(`${what} is not standard base64`);
  if (size !== undefined && bytes.length !== size) fail(`${what} is ${bytes.length} bytes, not ${size}`);
  return bytes;
}

function count(value, what) {
  if (!Number.isSafeInteger(value) || value < 0) fail(`${what} is not a whole number`);
  return value;
}

/** A C2SP signed note holding a checkpoint: origin, tree size, root hash, "time …"; signed by the trusted key. */
function openCheckpoint(note, publicKey, keyName, file) {
  const control = [...note].some((c) => c < ' ' && c !== '\n');
  if (control || !note.endsWith('\n')) fail(`${file}: not a signed note (control characters, or no final newline)`);
  const split = note.lastIndexOf('\n\n');
  if (split < 0) fail(`${file}: no blank line between the checkpoint and its signatures`);
  const text = note.slice(0, split + 1);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== 4) fail(`${file}: a checkpoint has 4 lines (origin, size, root, time), this one ${lines.length}`);
  const [origin, size, root, time] = lines;
  const name = keyName ?? origin;
  // signed-note: key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4].
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const keyId = sha256(Buffer.from(name, 'utf8'), Buffer.of(0x0a, 0x01), raw).subarray(0, 4);
  let verified = false;
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const match = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (match === null) fail(`${file}: "${line}" is not a signature line`);
    const blob = base64(match[2], `${file}: the signature by ${match[1]}`);
    // Signatures by other keys (other name or key ID) are ignored, as signed-note requires.
    if (match[1] !== name || blob.length < 4 || !blob.subarray(0, 4).equals(keyId)) continue;
    if (blob.length !== 68 || !verify(null, Buffer.from(text, 'utf8'), publicKey, blob.subarray(4))) {
      fail(`${file}: the signature by ${name} does not verify: the checkpoint was changed, or it was signed by another key`);
    }
    verified = true;
  }
  if (!verified) fail(`${file}: no signature by ${name} with this public key (key ID ${keyId.toString('hex')})`);
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) fail(`${file}: the tree size "${size}" is not a decimal number`);
  if (!time.startsWith('time ')) fail(`${file}: the fourth line is not "time <ISO 8601 time>"`);
  return { origin, treeSize: Number(size), rootHash: base64(root, `${file}: the root hash`, 32), time: time.slice(5), file };
}

/** RFC 9162 §2.1.3.2, step by step. */
function verifyInclusion(leafIndex, treeSize, hash, path, rootHash) {
  if (leafIndex >= treeSize) fail(`leaf ${leafIndex} is not in a tree of ${treeSize} leaves`);
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = hash;
  for (const p of path) {
    if (sn === 0) fail(`the inclusion path is too long for leaf ${leafIndex} in a tree of ${treeSize}`);
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!lsb(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) fail(`the inclusion path is too short for leaf ${leafIndex} in a tree of ${treeSize}`);
  if (!r.equals(rootHash)) fail(`the inclusion proof of leaf ${leafIndex} does not lead to the checkpoint's root hash`);
}

/** RFC 9162 §2.1.4.2, step by step, after the trivial cases (equal sizes, the empty tree). */
function verifyConsistency(size1, size2, root1, root2, path) {
  if (size1 > size2) fail(`the first checkpoint (${size1}) is larger than the second (${size2})`);
  if (size1 === 0 && !root1.equals(sha256())) fail('the first checkpoint is of the empty tree but its root is not SHA-256 of nothing');
  if (size1 === size2 || size1 === 0) {
    if (path.length !== 0) fail('the consistency path must be empty for these sizes');
    if (size1 === size2 && !root1.equals(root2)) fail(`two checkpoints of ${size1} leaves with different roots: the log shows two histories`);
    return;
  }
  if (path.length === 0) fail('the consistency path is empty');
  // Step 2: if first is an exact power of 2, prepend first_hash.
  let power = 1;
  while (power < size1) power *= 2;
  const full = power === size1 ? [root1, ...path] : path;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (lsb(fn)) [fn, sn] = [half(fn), half(sn)];
  let fr = full[0];
  let sr = full[0];
  for (const c of full.slice(1)) {
    if (sn === 0) fail(`the consistency path is too long for ${size1} to ${size2} leaves`);
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!lsb(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) fail(`the consistency path is too short for ${size1} to ${size2} leaves`);
  if (!fr.equals(root1)) fail(`the consistency proof does not lead to the root of the checkpoint of ${size1} leaves`);
  if (!sr.equals(root2)) fail(`the consistency proof does not lead to the root of the checkpoint of ${size2} leaves: the log was rewritten`);
}

/** The proof's members, exactly: unknown or missing ones make it malformed. */
function members(proof, format, required, optional = []) {
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof)) fail('the proof is not a JSON object');
  if (proof.format !== format) fail(`the proof's format is ${JSON.stringify(proof.format)}, not "${format}"`);
  for (const key of Object.keys(proof)) if (!required.includes(key) && !optional.includes(key)) fail(`the proof has an unknown member "${key}"`);
  for (const key of required) if (!(key in proof)) fail(`the proof has no "${key}"`);
  if (!Array.isArray(proof.path)) fail('the proof\'s path is not an array');
  return { ...proof, path: proof.path.map((h, i) => base64(h, `path[${i}]`, 32)) };
}

function sameLog(proof, checkpoint) {
  if (proof.origin !== checkpoint.origin) fail(`the proof is for the log "${proof.origin}", ${checkpoint.file} is of "${checkpoint.origin}"`);
}

function checkInclusion(json, checkpoints) {
  const proof = members(json, 'sluice-audit-inclusion-proof/v1', ['format', 'origin', 'leafIndex', 'treeSize', 'leafHash', 'path'], ['leaf']);
  if (checkpoints.length !== 1) fail('an inclusion proof is checked against one checkpoint');
  const [checkpoint] = checkpoints;
  sameLog(proof, checkpoint);
  const leafIndex = count(proof.leafIndex, 'leafIndex');
  const treeSize = count(proof.treeSize, 'treeSize');
  const hash = base64(proof.leafHash, 'leafHash', 32);
  if (proof.leaf !== undefined && !leafHash(base64(proof.leaf, 'leaf')).equals(hash)) fail('the leaf does not hash to leafHash');
  if (treeSize !== checkpoint.treeSize) fail(`the proof is for a tree of ${treeSize} leaves, the checkpoint is of ${checkpoint.treeSize}`);
  verifyInclusion(leafIndex, treeSize, hash, proof.path, checkpoint.rootHash);
  return `leaf ${leafIndex} is in ${checkpoint.origin} at tree size ${treeSize} (checkpoint of ${checkpoint.time})`;
}

function checkConsistency(json, checkpoints) {
  const proof = members(json, 'sluice-audit-consistency-proof/v1', ['format', 'origin', 'treeSize1', 'treeSize2', 'path']);
  if (checkpoints.length !== 2) fail('a consistency proof is checked against two checkpoints');
  const [older, newer] = [...checkpoints].sort((a, b) => a.treeSize - b.treeSize);
  sameLog(proof, older);
  sameLog(proof, newer);
  const size1 = count(proof.treeSize1, 'treeSize1');
  const size2 = count(proof.treeSize2, 'treeSize2');
  if (size1 !== older.treeSize || size2 !== newer.treeSize) {
    fail(`the proof goes from ${size1} to ${size2} leaves, the checkpoints are of ${older.treeSize} and ${newer.treeSize}`);
  }
  verifyConsistency(size1, size2, older.rootHash, newer.rootHash, proof.path);
  return `${newer.origin} at ${size2} leaves (${newer.time}) extends its checkpoint at ${size1} (${older.time})`;
}

function main() {
  let args;
  try {
    args = parseArgs({ options: { key: { type: 'string' }, 'key-name': { type: 'string' }, checkpoint: { type: 'string', multiple: true } }, allowPositionals: true });
  } catch (error) {
    return usage(error.message);
  }
  const { values, positionals } = args;
  if (values.key === undefined || values.checkpoint === undefined || positionals.length !== 1) return usage('give --key, one or two --checkpoint, and one proof file');
  let publicKey;
  let files;
  try {
    publicKey = createPublicKey(readFileSync(values.key, 'utf8'));
    files = [positionals[0], ...values.checkpoint].map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  } catch (error) {
    return usage(`cannot read the inputs: ${error.message}`);
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') return usage(`${values.key} is not an Ed25519 public key`);
  try {
    const [proofFile, ...checkpointFiles] = files;
    const checkpoints = checkpointFiles.map(({ file, text }) => openCheckpoint(text, publicKey, values['key-name'], file));
    let json;
    try {
      json = JSON.parse(proofFile.text);
    } catch {
      fail(`${proofFile.file} is not JSON`);
    }
    const what = json?.format === 'sluice-audit-consistency-proof/v1' ? checkConsistency(json, checkpoints) : checkInclusion(json, checkpoints);
    console.log(`verified: ${what}`);
    return 0;
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    console.error(`NOT VERIFIED: ${error.message}`);
    return 1;
  }
}

function usage(problem) {
  console.error(`audit-verify: ${problem}\nusage: node tools/audit-verify.mjs --key PUBLIC.pem [--key-name NAME] --checkpoint FILE [--checkpoint FILE] PROOF.json`);
  return 2;
}

process.exitCode = main();
