// The keyring: versions, rotation, and two processes creating the same key at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { LocalKeyProvider } from '../providers/local-provider.ts';
import { Keyring } from './keyring.ts';
import { isSluiceError } from '../../errors.ts';

test('two keyrings on one store ensuring the same key at once end with one version, and both can use it', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-keyring-')), 'state.db');
  const root = randomBytes(32);
  const a = new Keyring(new SqliteStateStore(file), new LocalKeyProvider(Buffer.from(root)));
  const b = new Keyring(new SqliteStateStore(file), new LocalKeyProvider(Buffer.from(root)));
  await Promise.all([a.ensure('default'), b.ensure('default')]);
  assert.equal((await a.list('default')).length, 1);
  assert.ok((await a.primary('default')).material.equals((await b.primary('default')).material));
});

test('create refuses an existing key and bad ids; rotate makes a new primary; material is never stored in clear', async () => {
  const store = new SqliteStateStore(':memory:');
  const keyring = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
  await keyring.create('orders', { rotationDays: 30 });
  await assert.rejects(keyring.create('orders'), (e) => isSluiceError(e, 'SLUICE_USAGE'));
  await assert.rejects(keyring.create('Bad Id'), (e) => isSluiceError(e, 'SLUICE_USAGE'));
  const first = (await keyring.primary('orders')).material;
  assert.equal(await keyring.rotate('orders'), 2);
  const second = await keyring.primary('orders');
  assert.equal(second.version, 2);
  assert.ok(!second.material.equals(first));
  for (const version of await store.listKeyVersions('orders')) {
    assert.ok(!version.wrapped.includes(first) && !version.wrapped.includes(second.material));
    assert.equal(version.rotationDays, 30);
  }
  await assert.rejects(keyring.primary('missing'), (e) => isSluiceError(e, 'SLUICE_KEY_UNKNOWN'));
});

test('a different root key cannot add keys to an existing keyring (it would split the keyring across two roots)', async () => {
  const store = new SqliteStateStore(':memory:');
  const original = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
  await original.ensure('default');
  const impostor = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
  await assert.rejects(impostor.ensure('tokens'), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER') && /SLUICE_MASTER_KEY/.test(e.message));
  await assert.rejects(impostor.rotate('default'), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER'));
  assert.deepEqual((await store.listKeyVersions()).map((v) => v.keyId), ['default']);
});
