// Checkpoints: the exact text format, round trips, and every tampering (another key, a changed size, root or time, a
// truncated signature, another log) failing with SLUICE_AUDIT_VERIFY_FAILED and a message that says which.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { checkpointText, openCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.ts';
import { leafHash, rootOf } from './merkle-hash.ts';
import { signNote } from './signed-note.ts';
import { isSluiceError } from '../../errors.ts';

const ORIGIN = 'sluice.example/audit';
const logKeys = generateKeyPairSync('ed25519');
const trusted = [{ name: ORIGIN, publicKey: logKeys.publicKey }];
const failed = (pattern?: RegExp) => (e: unknown) => isSluiceError(e, 'SLUICE_AUDIT_VERIFY_FAILED') && (pattern === undefined || pattern.test(e.message));
const rootHash = rootOf([leafHash(Buffer.from('a')), leafHash(Buffer.from('b')), leafHash(Buffer.from('c'))]);
const checkpoint: Checkpoint = { origin: ORIGIN, treeSize: 3, rootHash, time: '2025-06-01T12:00:00.000Z' };

test('the checkpoint text is origin, size, base64 root and the time line; the signature line follows a blank line', () => {
  const note = signCheckpoint(checkpoint, logKeys.privateKey);
  const lines = note.split('\n');
  assert.deepEqual(lines.slice(0, 5), [ORIGIN, '3', rootHash.toString('base64'), 'time 2025-06-01T12:00:00.000Z', '']);
  assert.match(lines[5]!, /^\u2014 sluice\.example\/audit [A-Za-z0-9+/]{91}=$/);
  assert.equal(lines[6], '');
  assert.equal(lines.length, 7);
  assert.equal(note.startsWith(checkpointText(checkpoint)), true);
});

test('round trip: what was signed is what opens, for the empty tree, a large size and a time without milliseconds', () => {
  for (const c of [
    checkpoint,
    { ...checkpoint, treeSize: 0, rootHash: rootOf([]) },
    { ...checkpoint, treeSize: Number.MAX_SAFE_INTEGER },
    { ...checkpoint, time: '2025-06-01T12:00:00Z' },
  ]) {
    const opened = openCheckpoint(signCheckpoint(c, logKeys.privateKey), trusted);
    assert.deepEqual(opened, { ...c, signedBy: [ORIGIN] });
  }
  assert.deepEqual(openCheckpoint(Buffer.from(signCheckpoint(checkpoint, logKeys.privateKey)), trusted, { origin: ORIGIN }).treeSize, 3);
});

test('a checkpoint signed by another key is not trusted, whatever name it signs under', () => {
  const other = generateKeyPairSync('ed25519');
  assert.throws(() => openCheckpoint(signCheckpoint(checkpoint, other.privateKey), trusted), failed(/the checkpoint is not signed by a trusted key/));
  assert.throws(() => openCheckpoint(signCheckpoint(checkpoint, other.privateKey, 'mallory.example/log'), trusted), failed(/signed by mallory\.example\/log/));
});

test('a changed size, root or time breaks the signature', () => {
  const note = signCheckpoint(checkpoint, logKeys.privateKey);
  const otherRoot = rootOf([leafHash(Buffer.from('x'))]).toString('base64');
  for (const changed of [
    note.replace('\n3\n', '\n4\n'),
    note.replace('\n3\n', '\n2\n'),
    note.replace(rootHash.toString('base64'), otherRoot),
    note.replace('2025-06-01T12', '2025-06-01T13'),
    note.replace(ORIGIN + '\n', 'sluice.example/other\n'),
  ]) {
    assert.notEqual(changed, note);
    assert.throws(() => openCheckpoint(changed, trusted), failed(/the signature by sluice\.example\/audit on the checkpoint does not verify/));
  }
});

test('a truncated signature is a precise failure', () => {
  const note = signCheckpoint(checkpoint, logKeys.privateKey);
  const [body, line] = [note.slice(0, note.lastIndexOf('\u2014')), note.slice(note.lastIndexOf('\u2014'))];
  const blob = Buffer.from(line.trim().split(' ')[2]!, 'base64');
  const cut = (bytes: number) => `${body}\u2014 ${ORIGIN} ${blob.subarray(0, bytes).toString('base64')}\n`;
  assert.throws(() => openCheckpoint(cut(67), trusted), failed(/is 63 bytes, not the 64 of Ed25519/));
  assert.throws(() => openCheckpoint(cut(4), trusted), failed(/too short for a key ID/));
  // Cut in the middle of a base64 quantum: not base64 at all.
  assert.throws(() => openCheckpoint(note.slice(0, -3) + '\n', trusted), failed(/not standard base64/));
  // The signature line gone: only the text and the blank line are left.
  assert.throws(() => openCheckpoint(body, trusted), failed(/malformed/));
});

test('a checkpoint of another log is refused when the origin is given', () => {
  const note = signCheckpoint({ ...checkpoint, origin: 'sluice.example/other' }, logKeys.privateKey, ORIGIN);
  assert.equal(openCheckpoint(note, trusted).origin, 'sluice.example/other');
  assert.throws(() => openCheckpoint(note, trusted, { origin: ORIGIN }), failed(/of the log "sluice\.example\/other", not "sluice\.example\/audit"/));
});

test('a signed text that is not a Sluice checkpoint is refused with the reason', () => {
  const root = rootHash.toString('base64');
  const cases: Array<[string, RegExp]> = [
    [`${ORIGIN}\n3\n${root}\n`, /has 3 lines; a Sluice checkpoint has 4/],
    [`${ORIGIN}\n3\n${root}\ntime 2025-06-01T12:00:00.000Z\nextra\n`, /has 5 lines/],
    [`${ORIGIN}\n03\n${root}\ntime 2025-06-01T12:00:00.000Z\n`, /tree size "03" is not a decimal number without leading zeroes/],
    [`${ORIGIN}\n-3\n${root}\ntime 2025-06-01T12:00:00.000Z\n`, /tree size "-3"/],
    [`${ORIGIN}\n9007199254740992\n${root}\ntime 2025-06-01T12:00:00.000Z\n`, /below 2\^53/],
    [`${ORIGIN}\n3\n${root.slice(0, -4)}\ntime 2025-06-01T12:00:00.000Z\n`, /root hash is not the base64 of 32 bytes/],
    [`${ORIGIN}\n3\n${rootHash.toString('hex')}\ntime 2025-06-01T12:00:00.000Z\n`, /root hash is not the base64 of 32 bytes/],
    [`${ORIGIN}\n3\n${root}\nat 2025-06-01T12:00:00.000Z\n`, /fourth line is not "time <ISO 8601 UTC time>"/],
    [`${ORIGIN}\n3\n${root}\ntime 2025-02-30T12:00:00.000Z\n`, /is not an ISO 8601 UTC time/],
    [`${ORIGIN}\n3\n${root}\ntime 2025-06-01 12:00:00\n`, /is not an ISO 8601 UTC time/],
    [`\n3\n${root}\ntime 2025-06-01T12:00:00.000Z\n`, /origin "" must be non-empty/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => openCheckpoint(signNote(text, logKeys.privateKey, ORIGIN), trusted), failed(reason), reason.source);
  }
});

test('denials when signing: wrong key type, and fields that would not parse back', () => {
  const params = (e: unknown) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS');
  assert.throws(() => signCheckpoint(checkpoint, logKeys.publicKey), params);
  assert.throws(() => signCheckpoint(checkpoint, generateKeyPairSync('ed448').privateKey), params);
  assert.throws(() => signCheckpoint({ ...checkpoint, origin: 'has space' }, logKeys.privateKey), params);
  assert.throws(() => signCheckpoint({ ...checkpoint, origin: 'line\nbreak' }, logKeys.privateKey), params);
  assert.throws(() => signCheckpoint({ ...checkpoint, treeSize: -1 }, logKeys.privateKey), params);
  assert.throws(() => signCheckpoint({ ...checkpoint, treeSize: 2 ** 53 }, logKeys.privateKey), params);
  assert.throws(() => signCheckpoint({ ...checkpoint, rootHash: Buffer.alloc(31) }, logKeys.privateKey), params);
  assert.throws(() => signCheckpoint({ ...checkpoint, time: 'yesterday' }, logKeys.privateKey), params);
  assert.throws(() => signCheckpoint({ ...checkpoint, time: '2025-06-01T12:00:00+02:00' }, logKeys.privateKey), params);
});

test('property: random checkpoints round trip, and any one-byte change to the signed note fails cleanly', () => {
  fc.assert(
    fc.property(
      fc.record({
        origin: fc.stringMatching(/^[a-z0-9./_-]{1,40}$/),
        treeSize: fc.nat(),
        root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        time: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
      }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      ({ origin, treeSize, root, time }, at, xor) => {
        const c: Checkpoint = { origin, treeSize, rootHash: Buffer.from(root), time: time.toISOString() };
        const note = Buffer.from(signCheckpoint(c, logKeys.privateKey, ORIGIN));
        assert.deepEqual(openCheckpoint(note, trusted), { ...c, signedBy: [ORIGIN] });
        const changed = Buffer.from(note);
        const k = at % changed.length;
        changed[k] = changed[k]! ^ xor;
        assert.throws(() => openCheckpoint(changed, trusted), failed());
      },
    ),
    { seed: 9162, numRuns: 300 },
  );
});
