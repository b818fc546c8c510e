// The PKCS#11 provider against a real SoftHSM2 token: the root key is generated inside the token and never
// leaves it; material is sealed in the token with associated data; a keyring on it seals and opens objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { createSoftHsmToken, softHsmMissing, SOFTHSM_LIBRARY } from '../../../test/support/softhsm.ts';
import { Pkcs11KeyProvider } from './pkcs11-provider.ts';
import { isSluiceError } from '../../errors.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../keyring/keyring.ts';
import { openObjectBuffer, sealObject } from '../envelope/envelope.ts';

const missing = softHsmMissing();
const PIN = '1234';
const options = { library: SOFTHSM_LIBRARY, tokenLabel: 'sluice-test', keyLabel: 'sluice-root', pin: PIN };
if (!missing) createSoftHsmToken('sluice-test', PIN);

test('pkcs11: the root key is generated in the token; material round-trips; the aad binds it', { skip: missing }, async () => {
  const provider = Pkcs11KeyProvider.open({ ...options, createKey: true });
  try {
    const material = randomBytes(32);
    const blob = await provider.wrap(material, Buffer.from('default\u00001'));
    assert.equal(blob.length, 12 + 32 + 16);
    assert.ok((await provider.unwrap(blob, Buffer.from('default\u00001'))).equals(material));
    await assert.rejects(provider.unwrap(blob, Buffer.from('default\u00002')), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
    const tampered = Buffer.from(blob);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    await assert.rejects(provider.unwrap(tampered, Buffer.from('default\u00001')), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  } finally {
    provider.close();
  }
});

test('pkcs11: reading the root key out of the token is refused (sensitive, non-extractable)', { skip: missing }, () => {
  const provider = Pkcs11KeyProvider.open(options);
  const module = new pkcs11js.PKCS11();
  module.load(SOFTHSM_LIBRARY);
  try {
    const slot = module.C_GetSlotList(true).find((s) => module.C_GetTokenInfo(s).label.trim() === 'sluice-test');
    assert.ok(slot);
    const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    module.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_LABEL, value: 'sluice-root' }]);
    const key = module.C_FindObjects(session);
    module.C_FindObjectsFinal(session);
    assert.ok(key, 'the key is visible to the logged-in user');
    const attributes = module.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }]);
    assert.deepEqual(attributes.map((a) => (a.value)[0]), [1, 0]);
    assert.throws(() => module.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
    module.C_CloseSession(session);
  } finally {
    provider.close();
  }
});

test('pkcs11: a wrong PIN is refused without echoing it; an unknown key label says how to create it', { skip: missing }, () => {
  assert.throws(() => Pkcs11KeyProvider.open({ ...options, pin: '999999' }), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER') && !e.message.includes('999999'));
  assert.throws(() => Pkcs11KeyProvider.open({ ...options, keyLabel: 'no-such-key' }), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER') && e.message.includes('keys init'));
  assert.throws(() => Pkcs11KeyProvider.open({ ...options, tokenLabel: 'no-such-token' }), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER'));
});

test('pkcs11: a keyring on the token seals objects that open again after a new login', { skip: missing }, async () => {
  const store = new SqliteStateStore(':memory:');
  const first = new Keyring(store, Pkcs11KeyProvider.open(options));
  await first.create('default');
  const sealed = await sealObject(Buffer.from('held by the HSM'), { pipeline: 'p' }, first, 'default');
  first.close();
  const second = new Keyring(store, Pkcs11KeyProvider.open(options));
  try {
    assert.equal((await openObjectBuffer(sealed, second, 'obj')).plaintext.toString(), 'held by the HSM');
  } finally {
    second.close();
  }
});

test('pkcs11: two providers of one process on one token both work, and closing one leaves the other usable', { skip: missing }, async () => {
  const first = Pkcs11KeyProvider.open(options);
  const second = Pkcs11KeyProvider.open(options);
  const blob = await first.wrap(randomBytes(32), Buffer.from('aad'));
  first.close();
  assert.equal((await second.unwrap(blob, Buffer.from('aad'))).length, 32);
  second.close();
});
