// The built-in store with a real keyring on SQLite: values round-trip and never sit in the store in clear;
// a tampered byte, a value moved to another name, a denied reader and an unwritable audit log all fail, and
// each attempt is in the audit log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../../crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../../crypto/providers/local-provider.ts';
import { BuiltinSecretStore, SECRETS_KEY_ID, isOverdue } from './builtin-store.ts';
import type { ReadPolicy } from './builtin-store.ts';
import { isSluiceError } from '../../errors.ts';
import { stateOwnerReadPolicy } from '../../auth/local-principal.ts';
import { AuditLog } from '../../audit/audit-log.ts';

const VALUE = 'planted-store-secret-4e9d1';
const actor = { principal: 'os:test(1000)', method: 'os-user' as const };
const allow: ReadPolicy = () => undefined;

function open(file = ':memory:', readPolicy: ReadPolicy = allow, now?: () => Date) {
  const store = new SqliteStateStore(file);
  const keyring = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
  return { store, keyring, secrets: new BuiltinSecretStore({ store, keys: keyring, audit: new AuditLog(store), actor, readPolicy, ...(now ? { now } : {}) }) };
}

test('set, get, rotate, list and rm round-trip; every act is audited with the actor, never the value', async () => {
  const { store, secrets } = open();
  await secrets.set('crm/api-token', VALUE, { maxAgeDays: 90 });
  assert.equal((await secrets.get('crm/api-token')).reveal(), VALUE);
  const rotated = await secrets.rotate('crm/api-token', `${VALUE}-2`);
  assert.equal(rotated.version, 2);
  assert.equal(rotated.maxAgeDays, 90);
  assert.equal((await secrets.get('crm/api-token')).reveal(), `${VALUE}-2`);
  const [listed] = await secrets.list();
  assert.equal(listed?.name, 'crm/api-token');
  assert.ok(listed?.lastReadAt);
  assert.ok(!JSON.stringify(await secrets.list()).includes(VALUE));
  await secrets.remove('crm/api-token');
  await assert.rejects(secrets.get('crm/api-token'), (e) => isSluiceError(e, 'SLUICE_SECRET_NOT_FOUND'));
  const events = await store.queryAuditEvents({});
  assert.deepEqual(events.map((e) => `${e.action}:${e.outcome}`), ['secret.create:success', 'secret.read:success', 'secret.rotate:success', 'secret.read:success', 'secret.delete:success', 'secret.read:failure']);
  assert.ok(events.every((e) => e.actor.principal === 'os:test(1000)' && e.resource === 'secret:crm/api-token'));
  assert.ok(!JSON.stringify(events).includes(VALUE));
});

test('set refuses an existing name; a rotation from a stale version is refused', async () => {
  const { store, secrets } = open();
  await secrets.set('a', 'first-value');
  await assert.rejects(secrets.set('a', 'second-value'), (e) => isSluiceError(e, 'SLUICE_USAGE') && /rotate/.test(e.message));
  const record = await store.getSecret('a');
  await secrets.rotate('a', 'second-value');
  assert.equal(await store.putSecret({ ...record!, version: 2 }, 1), false);
  await assert.rejects(secrets.rotate('absent', 'x-value'), (e) => isSluiceError(e, 'SLUICE_SECRET_NOT_FOUND'));
  await assert.rejects(secrets.set('Bad Name', 'x-value'), (e) => isSluiceError(e, 'SLUICE_USAGE'));
  await assert.rejects(secrets.set('empty', ''), (e) => isSluiceError(e, 'SLUICE_USAGE'));
});

test('a tampered byte of a sealed value fails to decrypt, and the failed read is audited (tamper attack)', async () => {
  const { store, secrets } = open();
  await secrets.set('db/password', VALUE);
  const record = (await store.getSecret('db/password'))!;
  const sealed = Buffer.from(record.sealed);
  sealed[sealed.length - 20]! ^= 1;
  assert.equal(await store.resealSecret('db/password', 1, record.keyVersion, sealed), true);
  await assert.rejects(secrets.get('db/password'), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  assert.deepEqual((await store.queryAuditEvents({ action: 'secret.read' })).map((e) => [e.outcome, e.reason]), [['failure', 'SLUICE_DECRYPT_FAILED']]);
});

test('a sealed value copied under another name, or replayed at another version, does not open (splice attack)', async () => {
  const { store, secrets } = open();
  await secrets.set('admin/password', VALUE);
  await secrets.set('guest/password', 'guest-password-value');
  const admin = (await store.getSecret('admin/password'))!;
  const guest = (await store.getSecret('guest/password'))!;
  await store.resealSecret('guest/password', guest.version, admin.keyVersion, admin.sealed);
  await assert.rejects(secrets.get('guest/password'), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  await secrets.rotate('admin/password', 'new-admin-password');
  await store.resealSecret('admin/password', 2, admin.keyVersion, admin.sealed);
  await assert.rejects(secrets.get('admin/password'), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
});

test('a reader the policy refuses gets SLUICE_SECRET_DENIED, and the denial is audited (wrong user)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-owner-'));
  try {
    const policy = stateOwnerReadPolicy(dir, 4242);
    const { store, secrets } = open(':memory:', policy);
    await secrets.set('x/token', VALUE);
    await assert.rejects(secrets.get('x/token'), (e) => isSluiceError(e, 'SLUICE_SECRET_DENIED') && /4242/.test(e.message) && !e.message.includes(VALUE));
    assert.deepEqual((await store.queryAuditEvents({ action: 'secret.read' })).map((e) => e.outcome), ['denied']);
    assert.equal(stateOwnerReadPolicy(dir, process.getuid!())(actor, 'x'), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a read whose audit event cannot be written fails and hands out no value (fail closed)', async () => {
  const { store, keyring } = open();
  // The same store, except that the audit log cannot be written.
  const failing = new Proxy(store, {
    get: (target, key) => (key === 'appendAuditRows' ? () => Promise.reject(new Error('disk full')) : (Reflect.get(target, key) as (...a: unknown[]) => unknown).bind(target)),
  });
  const writer = new BuiltinSecretStore({ store, keys: keyring, audit: new AuditLog(store), actor, readPolicy: allow });
  await writer.set('y/token', VALUE);
  const reader = new BuiltinSecretStore({ store, keys: keyring, audit: new AuditLog(failing), actor, readPolicy: allow });
  await assert.rejects(reader.get('y/token'), (e) => isSluiceError(e, 'SLUICE_STATE_STORE') && /audit log/.test(e.message));
});

test('the store file never holds a value in clear, after set, rotate and rm (planted secret grep)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
  try {
    const { store, secrets } = open(join(dir, 'state.db'));
    await secrets.set('grep/me', VALUE);
    await secrets.rotate('grep/me', `${VALUE}-rotated`);
    await secrets.get('grep/me');
    await secrets.set('grep/gone', `${VALUE}-removed`);
    await secrets.remove('grep/gone');
    await store.close();
    for (const file of readdirSync(dir)) assert.ok(!readFileSync(join(dir, file)).includes(VALUE), file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('after the secrets key rotates, reseal moves every value to the new version; the old one can be destroyed', async () => {
  const { store, keyring, secrets } = open();
  await secrets.set('a/one', 'value-one-1');
  await secrets.set('a/two', 'value-two-2');
  await keyring.rotate(SECRETS_KEY_ID);
  assert.equal(await store.countSecrets(SECRETS_KEY_ID, 1), 2);
  assert.equal(await secrets.reseal(), 2);
  assert.equal(await secrets.reseal(), 0);
  assert.equal(await store.countSecrets(SECRETS_KEY_ID, 1), 0);
  await store.destroyKeyVersion(SECRETS_KEY_ID, 1);
  assert.equal((await secrets.get('a/two')).reveal(), 'value-two-2');
});

test('a secret past its max age is overdue', async () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const { secrets } = open(':memory:', allow, () => now);
  await secrets.set('old/one', 'value-old-1', { maxAgeDays: 30 });
  await secrets.set('ageless', 'value-ageless');
  now = new Date('2026-02-01T00:00:00Z');
  assert.deepEqual((await secrets.list()).map((s) => [s.name, s.overdue]), [['ageless', false], ['old/one', true]]);
  await secrets.rotate('old/one', 'value-old-2');
  assert.equal((await secrets.list()).find((s) => s.name === 'old/one')?.overdue, false);
  assert.equal(isOverdue({ rotatedAt: '2026-01-01T00:00:00Z', maxAgeDays: 1 }, new Date('2026-01-01T23:00:00Z')), false);
});
