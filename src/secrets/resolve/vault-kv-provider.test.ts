// The Vault KV v2 provider against a TEST DOUBLE of Vault's documented KV v2, AppRole and token APIs (no Vault
// runs here): token and AppRole round trips, renewal and re-login on a moved clock, every denial path, a hang
// bounded by the resolver, and a 403 body that echoes the token without the token reaching an error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { VaultKvSecretProvider } from './vault-kv-provider.ts';
import type { VaultKvOptions } from './vault-kv-provider.ts';
import { SecretResolver } from './secret-resolver.ts';
import { parseSecretReference } from '../reference.ts';
import { RedactionRegistry } from '../redaction.ts';
import { SluiceError, isSluiceError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import { selfSignedCertificate } from '../../../test/support/tls-fixture.ts';
import { startVaultKvDouble } from '../../../test/support/vault-kv-double.ts';
import type { VaultKvDouble, VaultKvDoubleOptions } from '../../../test/support/vault-kv-double.ts';

const TOKEN = 'hvs.test-double-static-token-5d2a';
const ROLE_ID = '59d6d1ca-47bb-4e7e-a40b-8be3bc5a0ba8';
const SECRET_ID = 'test-double-secret-id-84896a0c';
const SECRETS: VaultKvDoubleOptions['secrets'] = {
  'secret/app/db': { username: 'sluice', password: 'db-password-from-vault-71c3', port: 5432, tags: ['a'] },
  'kv/team/api': { token: 'api-token-from-vault-9e0b' },
};

const tls = selfSignedCertificate();
const doubles: VaultKvDouble[] = [];
after(async () => {
  for (const d of doubles) await d.close();
});

async function vaultDouble(options: Partial<VaultKvDoubleOptions> = {}): Promise<VaultKvDouble> {
  const d = await startVaultKvDouble(tls, { secrets: SECRETS, tokens: [TOKEN], approle: { roleId: ROLE_ID, secretId: SECRET_ID, tokenTtlSeconds: 60 }, ...options });
  doubles.push(d);
  return d;
}

function provider(vault: VaultKvDouble, options: Partial<VaultKvOptions> = {}): VaultKvSecretProvider {
  return new VaultKvSecretProvider({ address: vault.address, ca: tls.cert, auth: { token: async () => TOKEN }, registry: new RedactionRegistry(), ...options });
}

const approle = (secretId = SECRET_ID): VaultKvOptions['auth'] => ({ approle: { roleId: ROLE_ID, secretId: async () => secretId } });
const read = (p: VaultKvSecretProvider, text: string, signal = new AbortController().signal) => p.resolve(parseSecretReference(text), signal);
const paths = (vault: VaultKvDouble, from = 0) => vault.calls.slice(from).map((c) => `${c.method} ${c.path} ${c.status}`);

function failsWith(code: ErrorCode, reference: string, ...absent: string[]) {
  return (error: unknown) => {
    assert.ok(isSluiceError(error, code), `expected ${code}, got ${String(error)}`);
    assert.ok(error.message.includes(reference), `the message names ${reference}: ${error.message}`);
    for (const text of absent) assert.ok(!error.message.includes(text), `the message must not hold ${text}: ${error.message}`);
    return true;
  };
}

test('vault kv (test double): token auth reads one key of a KV v2 secret through the resolver', async () => {
  const vault = await vaultDouble();
  const resolver = new SecretResolver({ providers: [provider(vault)], registry: new RedactionRegistry() });
  const secret = await resolver.resolve('vault://secret/app/db#password');
  assert.equal(secret.reveal(), 'db-password-from-vault-71c3');
  assert.equal((await resolver.resolve('vault://kv/team/api#token')).reveal(), 'api-token-from-vault-9e0b');
  assert.deepEqual(paths(vault), ['GET /v1/secret/data/app/db 200', 'GET /v1/kv/data/team/api 200']);
  assert.ok(vault.calls.every((c) => c.token === TOKEN));
  await resolver.close();
});

test('vault kv (test double): AppRole logs in once, renews with renew-self past half the lease, and logs in again once the lease is over', async () => {
  let now = 1_000_000;
  const clock = () => now;
  const vault = await vaultDouble({ now: clock });
  const p = provider(vault, { auth: approle(), now: clock });

  assert.equal((await read(p, 'vault://secret/app/db#password')).value, 'db-password-from-vault-71c3');
  now += 10_000;
  await read(p, 'vault://secret/app/db#username');
  assert.deepEqual(paths(vault), ['POST /v1/auth/approle/login 200', 'GET /v1/secret/data/app/db 200', 'GET /v1/secret/data/app/db 200']);
  const [first] = vault.issued();
  assert.ok(vault.calls.slice(1).every((c) => c.token === first), 'the login token is kept and reused');

  now += 25_000; // 35 s into a 60 s lease: more than half has passed
  let mark = vault.calls.length;
  await read(p, 'vault://secret/app/db#password');
  assert.deepEqual(paths(vault, mark), ['POST /v1/auth/token/renew-self 200', 'GET /v1/secret/data/app/db 200']);
  assert.ok(vault.calls.slice(mark).every((c) => c.token === first), 'renew-self keeps the same token');

  now += 61_000; // the renewed lease (granted at 35 s) is over
  mark = vault.calls.length;
  await read(p, 'vault://secret/app/db#password');
  assert.deepEqual(paths(vault, mark), ['POST /v1/auth/approle/login 200', 'GET /v1/secret/data/app/db 200'], 'a new login, not a 403 first');
  assert.equal(vault.issued().length, 2);
  assert.equal(vault.calls.at(-1)?.token, vault.issued()[1]);
});

test('vault kv (test double): AppRole falls back to a login when renew-self is refused', async () => {
  let now = 0;
  const vault = await vaultDouble({ now: () => now });
  const p = provider(vault, { auth: approle(), now: () => now });
  await read(p, 'vault://secret/app/db#password');
  vault.switches.refuseRenewal = true;
  now += 40_000;
  const mark = vault.calls.length;
  assert.equal((await read(p, 'vault://secret/app/db#password')).value, 'db-password-from-vault-71c3');
  assert.deepEqual(paths(vault, mark), ['POST /v1/auth/token/renew-self 400', 'POST /v1/auth/approle/login 200', 'GET /v1/secret/data/app/db 200']);
});

test('vault kv (test double): an AppRole token revoked on the Vault side gets one more login and one retry', async () => {
  const vault = await vaultDouble();
  const p = provider(vault, { auth: approle() });
  await read(p, 'vault://secret/app/db#password');
  vault.revokeIssued();
  const mark = vault.calls.length;
  assert.equal((await read(p, 'vault://secret/app/db#password')).value, 'db-password-from-vault-71c3');
  assert.deepEqual(paths(vault, mark), ['GET /v1/secret/data/app/db 403', 'POST /v1/auth/approle/login 200', 'GET /v1/secret/data/app/db 200']);
});

test('vault kv (test double): a path the AppRole policy denies is SLUICE_SECRET_DENIED after exactly one retry', async () => {
  const vault = await vaultDouble({ forbidden: ['secret/app/db'] });
  const p = provider(vault, { auth: approle() });
  await assert.rejects(read(p, 'vault://secret/app/db#password'), failsWith('SLUICE_SECRET_DENIED', 'vault://secret/app/db#password'));
  assert.deepEqual(paths(vault), ['POST /v1/auth/approle/login 200', 'GET /v1/secret/data/app/db 403', 'POST /v1/auth/approle/login 200', 'GET /v1/secret/data/app/db 403']);
});

test('vault kv (test double): concurrent AppRole reads share one login', async () => {
  const vault = await vaultDouble();
  const p = provider(vault, { auth: approle() });
  const values = await Promise.all([read(p, 'vault://secret/app/db#password'), read(p, 'vault://secret/app/db#username'), read(p, 'vault://kv/team/api#token')]);
  assert.deepEqual(values.map((v) => v.value), ['db-password-from-vault-71c3', 'sluice', 'api-token-from-vault-9e0b']);
  assert.equal(vault.calls.filter((c) => c.path === '/v1/auth/approle/login').length, 1);
});

test('vault kv (test double): a token or secret_id that cannot be resolved fails with its own code, naming both references', async () => {
  const vault = await vaultDouble();
  const missing = async (): Promise<string> => {
    throw new SluiceError('SLUICE_SECRET_NOT_FOUND', 'env://VAULT_TOKEN: the environment variable VAULT_TOKEN is not set (or is empty).');
  };
  for (const auth of [{ token: missing }, { approle: { roleId: ROLE_ID, secretId: missing } }]) {
    await assert.rejects(read(provider(vault, { auth }), 'vault://secret/app/db#password'), (e: unknown) => failsWith('SLUICE_SECRET_NOT_FOUND', 'vault://secret/app/db#password')(e) && (e as Error).message.includes('env://VAULT_TOKEN'));
  }
  assert.equal(vault.calls.length, 0, 'nothing was sent without a credential');
});

test('vault kv (test double): a wrong AppRole secret_id is SLUICE_SECRET_DENIED and the secret_id is not in the message', async () => {
  const vault = await vaultDouble();
  const p = provider(vault, { auth: approle('wrong-secret-id-0000-aaaa') });
  await assert.rejects(read(p, 'vault://secret/app/db#password'), failsWith('SLUICE_SECRET_DENIED', 'vault://secret/app/db#password', 'wrong-secret-id-0000-aaaa', ROLE_ID));
});

test('vault kv (test double): HTTP statuses map to secret error codes that name the reference', async () => {
  const vault = await vaultDouble();
  const cases: { name: string; ref: string; code: ErrorCode; token?: string; sealed?: boolean; message: RegExp; retryable?: boolean }[] = [
    { name: '404: no secret at the path', ref: 'vault://secret/app/missing#password', code: 'SLUICE_SECRET_NOT_FOUND', message: /HTTP 404/ },
    { name: '404: not a KV v2 mount', ref: 'vault://nomount/app/db#password', code: 'SLUICE_SECRET_NOT_FOUND', message: /KV v2/ },
    { name: '403: the token is refused', ref: 'vault://secret/app/db#password', code: 'SLUICE_SECRET_DENIED', token: 'hvs.not-a-valid-token-3b9f', message: /permission denied.*secret\/data\/app\/db/ },
    { name: '503: Vault is sealed', ref: 'vault://secret/app/db#password', code: 'SLUICE_SECRET_UNAVAILABLE', sealed: true, message: /Vault is sealed/, retryable: true },
  ];
  for (const c of cases) {
    vault.switches.sealed = c.sealed ?? false;
    const p = provider(vault, { auth: { token: async () => c.token ?? TOKEN } });
    await assert.rejects(read(p, c.ref), (e: unknown) => failsWith(c.code, c.ref, TOKEN, c.token ?? TOKEN)(e) && isSluiceError(e) && c.message.test(e.message) && e.retryable === (c.retryable ?? false), c.name);
  }
  vault.switches.sealed = false;
});

test('vault kv (test double): a missing key and a value that is not a string are SLUICE_SECRET_NOT_FOUND, and no value is shown', async () => {
  const vault = await vaultDouble();
  const p = provider(vault);
  const values = ['db-password-from-vault-71c3', 'sluice', '5432'];
  await assert.rejects(read(p, 'vault://secret/app/db#passwd'), failsWith('SLUICE_SECRET_NOT_FOUND', 'vault://secret/app/db#passwd', ...values));
  await assert.rejects(read(p, 'vault://secret/app/db#port'), (e: unknown) => failsWith('SLUICE_SECRET_NOT_FOUND', 'vault://secret/app/db#port', ...values)(e) && /a number, not a string/.test((e as Error).message));
  await assert.rejects(read(p, 'vault://secret/app/db#tags'), failsWith('SLUICE_SECRET_NOT_FOUND', 'vault://secret/app/db#tags', ...values));
});

test("vault kv (test double): a '..' segment is refused before any request, by the parser and by the provider (path traversal)", async () => {
  const vault = await vaultDouble();
  assert.throws(() => parseSecretReference('vault://secret/../sys/app#password'), (e) => isSluiceError(e, 'SLUICE_SECRET_REFERENCE'));
  // A reference built by hand, past the parser, is refused as well.
  const forged = { scheme: 'vault' as const, text: 'vault://secret/../sys/app#password', mount: 'secret', path: '../sys/app', key: 'password' };
  await assert.rejects(provider(vault).resolve(forged, new AbortController().signal), (e) => isSluiceError(e, 'SLUICE_SECRET_REFERENCE'));
  assert.equal(vault.calls.length, 0);
});

test('vault kv (test double): plain HTTP is refused at construction; a server whose certificate is not trusted is refused', async () => {
  const vault = await vaultDouble();
  assert.throws(() => new VaultKvSecretProvider({ address: vault.address.replace('https:', 'http:'), auth: { token: async () => TOKEN } }), (e) => isSluiceError(e, 'SLUICE_SECRET_UNAVAILABLE') && /HTTPS only/.test(e.message));
  const untrusting = new VaultKvSecretProvider({ address: vault.address, auth: { token: async () => TOKEN } });
  await assert.rejects(read(untrusting, 'vault://secret/app/db#password'), (e: unknown) => failsWith('SLUICE_SECRET_UNAVAILABLE', 'vault://secret/app/db#password', TOKEN)(e) && /TLS|SELF_SIGNED|certificate/i.test((e as Error).message));
  assert.equal(vault.calls.length, 0, 'nothing was sent to the untrusted server');
});

test('vault kv (test double): an answer larger than the bound is refused', async () => {
  const vault = await vaultDouble({ secrets: { 'secret/big': { blob: 'x'.repeat(64 * 1024) } } });
  await assert.rejects(read(provider(vault, { maxResponseBytes: 16 * 1024 }), 'vault://secret/big#blob'), failsWith('SLUICE_SECRET_UNAVAILABLE', 'vault://secret/big#blob'));
});

test('vault kv (test double): a hanging Vault is bounded by the resolver timeout, and the provider stops on its signal', async () => {
  const vault = await vaultDouble();
  vault.switches.hang = true;
  const resolver = new SecretResolver({ providers: [provider(vault)], timeoutMs: 300, registry: new RedactionRegistry() });
  const started = Date.now();
  await assert.rejects(resolver.resolve('vault://secret/app/db#password'), failsWith('SLUICE_SECRET_UNAVAILABLE', 'vault://secret/app/db#password', TOKEN));
  assert.ok(Date.now() - started < 3000, 'bounded by the timeout');
  // The provider itself honours the signal, and its own per-request timeout, without the resolver's race.
  await assert.rejects(read(provider(vault), 'vault://secret/app/db#password', AbortSignal.timeout(200)), (e: unknown) => failsWith('SLUICE_SECRET_UNAVAILABLE', 'vault://secret/app/db#password')(e) && /stopped/.test((e as Error).message));
  await assert.rejects(read(provider(vault, { timeoutMs: 200 }), 'vault://secret/app/db#password'), (e: unknown) => isSluiceError(e, 'SLUICE_SECRET_UNAVAILABLE') && /within 200 ms/.test(e.message) && e.retryable);
  vault.switches.hang = false;
});

test('vault kv (test double): a 403 body that echoes the token never puts the token into the error', async () => {
  const vault = await vaultDouble({ forbidden: ['kv/team/api'] });
  vault.switches.echoToken = true;
  const wrong = 'hvs.echoed-token-must-not-leak-4411';
  await assert.rejects(read(provider(vault, { auth: { token: async () => wrong } }), 'vault://secret/app/db#password'), (e: unknown) => {
    assert.ok(vault.calls.some((c) => c.status === 403));
    return failsWith('SLUICE_SECRET_DENIED', 'vault://secret/app/db#password', wrong)(e) && !JSON.stringify(e).includes(wrong) && !String((e as Error).stack).includes(wrong);
  });
  // With AppRole, both issued tokens were echoed back in 403 bodies; neither reaches the error.
  await assert.rejects(read(provider(vault, { auth: approle() }), 'vault://kv/team/api#token'), (e: unknown) => failsWith('SLUICE_SECRET_DENIED', 'vault://kv/team/api#token', ...vault.issued(), SECRET_ID)(e));
  assert.equal(vault.issued().length, 2);
});

test('vault kv (test double): a lease_duration shortens the resolver cache, so the value is read again once the lease is over', async () => {
  let now = 5_000_000;
  const vault = await vaultDouble({ leaseSeconds: 30 });
  const resolver = new SecretResolver({ providers: [provider(vault)], ttlMs: 10 * 60_000, now: () => now, registry: new RedactionRegistry() });
  const reads = () => vault.calls.filter((c) => c.path === '/v1/secret/data/app/db').length;
  await resolver.resolve('vault://secret/app/db#password');
  now += 20_000;
  await resolver.resolve('vault://secret/app/db#password');
  assert.equal(reads(), 1, 'within the lease the cached value is used');
  now += 15_000;
  assert.equal((await resolver.resolve('vault://secret/app/db#password')).reveal(), 'db-password-from-vault-71c3');
  assert.equal(reads(), 2, 'after the lease it is read again');
});
