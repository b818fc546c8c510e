// The Vault Transit provider against a TEST DOUBLE of Vault's documented Transit API (no Vault runs here):
// round trips with associated data, a bad token, a tampered ciphertext, plain HTTP and an untrusted server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { VaultTransitKeyProvider } from './vault-transit-provider.ts';
import { isSluiceError } from '../../errors.ts';
import { selfSignedCertificate } from '../../../test/support/tls-fixture.ts';
import { startVaultTransitDouble } from '../../../test/support/vault-transit-double.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../keyring/keyring.ts';
import { openObjectBuffer, sealObject } from '../envelope/envelope.ts';

const TOKEN = 'hvs.test-double-token-7c1f';
const tls = selfSignedCertificate();
const vault = await startVaultTransitDouble(tls, TOKEN);
after(() => vault.close());
const provider = (token = TOKEN) => new VaultTransitKeyProvider({ address: vault.address, mount: 'transit', keyName: 'sluice', token, ca: tls.cert });

test('vault transit (test double): material round-trips; the associated data binds it', async () => {
  const material = randomBytes(32);
  const blob = await provider().wrap(material, Buffer.from('default\u00001'));
  assert.match(blob.toString(), /^vault:v1:/);
  assert.ok((await provider().unwrap(blob, Buffer.from('default\u00001'))).equals(material));
  await assert.rejects(provider().unwrap(blob, Buffer.from('default\u00002')), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  assert.ok(vault.calls.every((c) => c.path.startsWith('/v1/transit/')));
});

test('vault transit (test double): a wrong token is refused, and the token never appears in the error', async () => {
  await assert.rejects(provider('hvs.wrong-token-0000').wrap(randomBytes(32), Buffer.alloc(0)), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER') && /HTTP 403/.test(e.message) && !e.message.includes('hvs.'));
});

test('vault transit (test double): plain HTTP is refused; a server whose certificate is not trusted is refused', async () => {
  assert.throws(() => new VaultTransitKeyProvider({ address: vault.address.replace('https:', 'http:'), mount: 'transit', keyName: 'sluice', token: TOKEN }), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER'));
  const untrusting = new VaultTransitKeyProvider({ address: vault.address, mount: 'transit', keyName: 'sluice', token: TOKEN });
  await assert.rejects(untrusting.wrap(randomBytes(32), Buffer.alloc(0)), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER') && /SELF_SIGNED|certificate/i.test(e.message));
});

test('vault transit (test double): a keyring on it seals and opens objects', async () => {
  const keyring = new Keyring(new SqliteStateStore(':memory:'), provider());
  await keyring.create('default');
  const sealed = await sealObject(Buffer.from('held by vault'), { pipeline: 'p' }, keyring, 'default');
  const fresh = new Keyring(new SqliteStateStore(':memory:'), provider());
  await assert.rejects(openObjectBuffer(sealed, fresh, 'obj'), (e) => isSluiceError(e, 'SLUICE_KEY_UNKNOWN'));
  assert.equal((await openObjectBuffer(sealed, keyring, 'obj')).plaintext.toString(), 'held by vault');
});
