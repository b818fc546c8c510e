// The local root key: where it comes from, and the refusals that keep it private.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLocalRootKey, loadLocalRootKey, LocalKeyProvider, parseRootKey } from './local-provider.ts';
import { isSluiceError } from '../../errors.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'sluice-root-'));

test('a created root key file is 0600, holds 32 random bytes, and is never replaced', async () => {
  const file = join(dir(), 'master.key');
  await createLocalRootKey(file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal((await loadLocalRootKey(file, {})).length, 32);
  await assert.rejects(createLocalRootKey(file), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER'));
});

test('a root key file readable by group or others is refused, naming the fix', async () => {
  const file = join(dir(), 'master.key');
  await createLocalRootKey(file);
  for (const mode of [0o640, 0o604, 0o644]) {
    chmodSync(file, mode);
    await assert.rejects(loadLocalRootKey(file, {}), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER') && /chmod 600/.test(e.message));
  }
});

test('SLUICE_MASTER_KEY overrides the file, in hex or base64; anything else is refused without echoing it', async () => {
  const key = randomBytes(32);
  assert.ok((await loadLocalRootKey('/nonexistent', { SLUICE_MASTER_KEY: key.toString('hex') })).equals(key));
  assert.ok((await loadLocalRootKey('/nonexistent', { SLUICE_MASTER_KEY: key.toString('base64') })).equals(key));
  const short = 'c2VjcmV0LXRvby1zaG9ydA==';
  assert.throws(() => parseRootKey(short, 'SLUICE_MASTER_KEY'), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER') && !e.message.includes(short));
});

test('wrapping binds its associated data: a blob unwraps only with the same aad and root key', async () => {
  const root = randomBytes(32);
  const provider = new LocalKeyProvider(Buffer.from(root));
  const material = randomBytes(32);
  const blob = await provider.wrap(material, Buffer.from('k\u00001'));
  assert.ok((await provider.unwrap(blob, Buffer.from('k\u00001'))).equals(material));
  await assert.rejects(provider.unwrap(blob, Buffer.from('k\u00002')), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  await assert.rejects(new LocalKeyProvider(randomBytes(32)).unwrap(blob, Buffer.from('k\u00001')), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  assert.ok(!blob.includes(material), 'the blob does not hold the material in clear');
});
