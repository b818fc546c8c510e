// Subject keys: erasure holds across key rotation and for subjects not seen yet; destroy counts subject keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../keyring/keyring.ts';
import { LocalKeyProvider } from '../providers/local-provider.ts';
import { eraseSubject, openSubjectValue, rewrapSubjectKeys, SubjectSealer } from './subject-keys.ts';
import { isSluiceError } from '../../errors.ts';

async function setup() {
  const store = new SqliteStateStore(':memory:');
  const keyring = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
  await keyring.ensure('subjects');
  return { store, keyring };
}

async function sealFor(store: SqliteStateStore, keyring: Keyring, subject: string, value: string): Promise<string> {
  const sealer = new SubjectSealer(store, keyring, 'subjects');
  await sealer.open();
  await sealer.prepare([subject]);
  try {
    return sealer.seal(subject, value);
  } finally {
    sealer.close();
  }
}

test('an erased subject stays erased after the key rotates: no new key is made for them', async () => {
  const { store, keyring } = await setup();
  const before = await sealFor(store, keyring, 'alice', 'alice@example.com');
  assert.equal((await eraseSubject('alice', store, keyring, 'subjects')).keysDestroyed, 1);
  await keyring.rotate('subjects');
  await assert.rejects(sealFor(store, keyring, 'alice', 'alice@new.example'), (e) => isSluiceError(e, 'SLUICE_SUBJECT_ERASED'));
  await assert.rejects(openSubjectValue(before, store, keyring, 'subjects'), (e) => isSluiceError(e, 'SLUICE_SUBJECT_ERASED'));
  // Others are untouched, and after rotation a subject keeps the key it had.
  const bob = await sealFor(store, keyring, 'bob', 'bob@example.com');
  assert.equal(await openSubjectValue(bob, store, keyring, 'subjects'), 'bob@example.com');
});

test('a subject erased before their first record gets a tombstone: later records are refused', async () => {
  const { store, keyring } = await setup();
  const receipt = await eraseSubject('carol', store, keyring, 'subjects');
  assert.equal(receipt.keysDestroyed, 0);
  assert.equal(receipt.subjectRefs.length, 1);
  await assert.rejects(sealFor(store, keyring, 'carol', 'carol@example.com'), (e) => isSluiceError(e, 'SLUICE_SUBJECT_ERASED'));
});

test('subject keys count as dependents of their key version (destroy must not shred them silently)', async () => {
  const { store, keyring } = await setup();
  await sealFor(store, keyring, 'dave', 'dave@example.com');
  assert.equal(await store.countSubjectKeys('subjects', 1), 2, 'the subject key and the reference key');
  await keyring.rotate('subjects');
  assert.equal(await store.countSubjectKeys('subjects', 2), 0);
});

test('rewrap moves subject keys and the reference key to the primary version; the old version can then go', async () => {
  const { store, keyring } = await setup();
  const values = await Promise.all(['erin', 'frank'].map((s) => sealFor(store, keyring, s, `${s}@example.com`)));
  await eraseSubject('frank', store, keyring, 'subjects');
  await keyring.rotate('subjects');
  assert.equal(await rewrapSubjectKeys(store, keyring, 'subjects'), 2, 'the reference key and erin (frank stays erased)');
  assert.equal(await store.countSubjectKeys('subjects', 1), 0);
  await store.destroyKeyVersion('subjects', 1);
  assert.equal(await openSubjectValue(values[0] ?? '', store, keyring, 'subjects'), 'erin@example.com');
  await assert.rejects(openSubjectValue(values[1] ?? '', store, keyring, 'subjects'), (e) => isSluiceError(e, 'SLUICE_SUBJECT_ERASED'));
  // The same subject keeps the same reference after the rewrap: erin's key is found, not recreated.
  assert.equal(await openSubjectValue(await sealFor(store, keyring, 'erin', 'again'), store, keyring, 'subjects'), 'again');
  assert.equal(await rewrapSubjectKeys(store, keyring, 'subjects'), 0);
});
