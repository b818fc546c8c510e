// Signed notes: known answers from Go's reference implementation, and the signed-note rules for unknown, colliding
// and failing signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { noteKeyId, openNote, signNote } from './signed-note.ts';
import { isSluiceError } from '../../errors.ts';

// Known answers from golang.org/x/mod/sumdb/note (example_test.go and note_test.go), Copyright 2019 The Go Authors,
// BSD 3-Clause licence (https://go.dev/LICENSE). Keys are "<name>+<hex key ID>+<base64(0x01 || key)>"; the private
// key is the RFC 8032 seed. Ed25519 is deterministic, so signing must reproduce the note byte for byte.
const PETER_SEED = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_PUBLIC = 'ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_PUBLIC = 'ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIGNATURE = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIGNATURE = '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// RFC 8410 DER prefixes for a raw Ed25519 seed (PKCS #8) and public key (SPKI).
const privateKeyFromSeed = (seed: Buffer) =>
  createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
const publicKeyFromRaw = (raw: Buffer) => createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });
const fromGoKey = (b64: string) => Buffer.from(b64, 'base64').subarray(1);

const peterPrivate = privateKeyFromSeed(fromGoKey(PETER_SEED));
const peter = { name: 'PeterNeumann', publicKey: publicKeyFromRaw(fromGoKey(PETER_PUBLIC)) };
const enoch = { name: 'EnochRoot', publicKey: publicKeyFromRaw(fromGoKey(ENOCH_PUBLIC)) };
const failed = (pattern?: RegExp) => (e: unknown) => isSluiceError(e, 'SLUICE_AUDIT_VERIFY_FAILED') && (pattern === undefined || pattern.test(e.message));

test('Go sumdb/note known answers: key IDs, and signing reproduces the reference note byte for byte', () => {
  assert.equal(noteKeyId('PeterNeumann', peter.publicKey).toString('hex'), 'c74f20a3');
  assert.equal(noteKeyId('PeterNeumann', peterPrivate).toString('hex'), 'c74f20a3');
  assert.equal(noteKeyId('EnochRoot', enoch.publicKey).toString('hex'), 'af0cfe78');
  assert.equal(signNote(TEXT, peterPrivate, 'PeterNeumann'), `${TEXT}\n${PETER_SIGNATURE}`);
});

test('Go sumdb/note known answers: a note signed by two keys opens with either or both trusted', () => {
  const note = `${TEXT}\n${PETER_SIGNATURE}${ENOCH_SIGNATURE}`;
  assert.deepEqual(openNote(note, [peter, enoch]), { text: TEXT, signedBy: ['PeterNeumann', 'EnochRoot'] });
  assert.deepEqual(openNote(note, [enoch]), { text: TEXT, signedBy: ['EnochRoot'] });
  assert.deepEqual(openNote(Buffer.from(note), [peter]), { text: TEXT, signedBy: ['PeterNeumann'] });
});

test('signatures by unknown keys are ignored, but one must verify; the failure names who signed and who is trusted', () => {
  const note = `${TEXT}\n${PETER_SIGNATURE}`;
  assert.throws(() => openNote(note, [enoch]), failed(/not signed by a trusted key: it is signed by PeterNeumann \(key ID c74f20a3\); the trusted keys are EnochRoot \(key ID af0cfe78\)/));
  assert.throws(() => openNote(note, []), failed(/the trusted keys are none/));
  // Same name, another key (so another key ID): an unknown key, not a failed signature.
  const other = generateKeyPairSync('ed25519').publicKey;
  assert.throws(() => openNote(note, [{ name: 'PeterNeumann', publicKey: other }]), failed(/not signed by a trusted key/));
  // Same key under another name: the key ID differs too, so again unknown.
  assert.throws(() => openNote(note, [{ name: 'PeterNeumann2', publicKey: peter.publicKey }]), failed(/not signed by a trusted key/));
});

test('a failing signature by a trusted key rejects the note even when another verifies', () => {
  const altered = `${TEXT.replace('answer', 'Answer')}\n${PETER_SIGNATURE}${ENOCH_SIGNATURE}`;
  assert.throws(() => openNote(altered, [peter]), failed(/signature by PeterNeumann on the note does not verify/));
  // A forged Enoch line that reuses Enoch's key ID with Peter's signature bytes.
  const forged = `${TEXT}\n${PETER_SIGNATURE}\u2014 EnochRoot ${Buffer.concat([noteKeyId('EnochRoot', enoch.publicKey), Buffer.from(PETER_SIGNATURE.split(' ')[2]!, 'base64').subarray(4)]).toString('base64')}\n`;
  assert.throws(() => openNote(forged, [peter, enoch]), failed(/signature by EnochRoot on the note does not verify/));
  assert.deepEqual(openNote(forged, [peter]).signedBy, ['PeterNeumann']);
});

test('malformed notes are refused with the reason', () => {
  const good = `${TEXT}\n${PETER_SIGNATURE}`;
  const cases: Array<[string | Uint8Array, RegExp]> = [
    [good.slice(0, -1), /does not end with a newline/],
    [`${TEXT}${PETER_SIGNATURE}`, /no blank line/],
    [good.replace('\u2014', '-'), /does not start with an em dash/],
    [good.replace('PeterNeumann x08', 'PeterNeumann  x08'), /is not "\u2014 <key name> <base64 signature>"/],
    [good.replace('PeterNeumann', 'Peter+Neumann'), /invalid key name/],
    [good.replace('x08go', 'x08g!'), /not standard base64/],
    [good.replace('nAM=', 'nAN='), /not standard base64/],
    [good.replace('answer', 'ans\u0007wer'), /control character U\+0007/],
    [good.replace('\n', '\r\n'), /control character U\+000d/],
    [`${TEXT}\n\u2014 PeterNeumann AAAA\n`, /too short for a key ID/],
    [Buffer.concat([Buffer.from(good), Buffer.from([0xff])]), /not valid UTF-8/],
    [`${TEXT}\n${PETER_SIGNATURE.repeat(40)}`, /more than 32/],
    [`${'x'.repeat(70 * 1024)}\n\n${PETER_SIGNATURE}`, /more than 65536/],
  ];
  for (const [note, reason] of cases) assert.throws(() => openNote(note, [peter]), failed(reason), reason.source);
});

test('a truncated signature by a trusted key is a precise failure, not a crash', () => {
  const blob = Buffer.from(PETER_SIGNATURE.split(' ')[2]!, 'base64');
  const cut = `${TEXT}\n\u2014 PeterNeumann ${blob.subarray(0, 64).toString('base64')}\n`;
  assert.throws(() => openNote(cut, [peter]), failed(/is 60 bytes, not the 64 of Ed25519/));
});

test('denials when signing: a key that is not an Ed25519 private key, a bad key name, text that is not a note text', () => {
  const params = (e: unknown) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS');
  assert.throws(() => signNote(TEXT, peter.publicKey, 'PeterNeumann'), params);
  assert.throws(() => signNote(TEXT, generateKeyPairSync('x25519').privateKey, 'PeterNeumann'), params);
  assert.throws(() => signNote(TEXT, peterPrivate, 'Peter Neumann'), params);
  assert.throws(() => signNote(TEXT, peterPrivate, ''), params);
  assert.throws(() => signNote('no final newline', peterPrivate, 'PeterNeumann'), params);
  assert.throws(() => signNote('', peterPrivate, 'PeterNeumann'), params);
  assert.throws(() => signNote('tab\there\n', peterPrivate, 'PeterNeumann'), params);
  assert.throws(() => noteKeyId('PeterNeumann', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), params);
});

test('property: any one-character change to a signed note fails with SLUICE_AUDIT_VERIFY_FAILED, never a crash', () => {
  const keys = generateKeyPairSync('ed25519');
  const note = signNote('sluice.example/audit\n42\nsome text\n', keys.privateKey, 'sluice.example/audit');
  const trusted: Array<{ name: string; publicKey: KeyObject }> = [{ name: 'sluice.example/audit', publicKey: keys.publicKey }];
  fc.assert(
    fc.property(fc.nat({ max: note.length - 1 }), fc.oneof(fc.string({ minLength: 1, maxLength: 1 }), fc.constantFrom('\n', '\u2014', ' ', '=', '+', '/')), (at, char) => {
      const changed = note.slice(0, at) + char + note.slice(at + 1);
      if (changed === note) return;
      assert.throws(() => openNote(changed, trusted), failed());
    }),
    { seed: 2019, numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      try {
        openNote(text, trusted);
      } catch (error) {
        assert.ok(failed()(error), String(error));
      }
    }),
    { seed: 8032, numRuns: 500 },
  );
});
