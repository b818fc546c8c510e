// The resolver with the env and file providers, for real: values come back as Secrets and are registered for
// redaction; a world-readable file, a missing variable, an unknown scheme and a hanging provider each fail
// with an error naming the reference (never the value) within the time bound; caching respects TTL and lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretResolver } from './secret-resolver.ts';
import { EnvSecretProvider } from './env-provider.ts';
import { FileSecretProvider } from './file-provider.ts';
import { RedactionRegistry } from '../redaction.ts';
import type { SecretProvider } from './secret-provider.ts';
import { isSluiceError } from '../../errors.ts';
import { Secret } from '../secret.ts';

const VALUE = 'planted-env-secret-0b7e';

test('env://: the value comes back as a Secret and is registered for redaction', async () => {
  const registry = new RedactionRegistry();
  const resolver = new SecretResolver({ providers: [new EnvSecretProvider({ CRM_TOKEN: VALUE })], registry });
  const secret = await resolver.resolve('env://CRM_TOKEN');
  assert.ok(secret instanceof Secret);
  assert.equal(secret.reveal(), VALUE);
  assert.equal(registry.scrub(`echo ${VALUE}`), 'echo [REDACTED]');
});

test('env://: a missing variable is SLUICE_SECRET_NOT_FOUND naming the reference', async () => {
  const resolver = new SecretResolver({ providers: [new EnvSecretProvider({})], registry: new RedactionRegistry() });
  await assert.rejects(resolver.resolve('env://MISSING'), (e) => isSluiceError(e, 'SLUICE_SECRET_NOT_FOUND') && e.message.includes('env://MISSING'));
});

test('an unknown scheme is a reference error; a scheme with no provider configured is unavailable', async () => {
  const resolver = new SecretResolver({ providers: [], registry: new RedactionRegistry() });
  await assert.rejects(resolver.resolve('ldap://x'), (e) => isSluiceError(e, 'SLUICE_SECRET_REFERENCE'));
  await assert.rejects(resolver.resolve('vault://secret/x#k'), (e) => isSluiceError(e, 'SLUICE_SECRET_UNAVAILABLE') && e.message.includes('vault://secret/x#k'));
});

test('file://: a mounted secret is read without its trailing newline; a world-readable one is refused (mode attack)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-secret-'));
  try {
    const path = join(dir, 'db-password');
    await writeFile(path, `${VALUE}\n`, { mode: 0o600 });
    const resolver = new SecretResolver({ providers: [new FileSecretProvider()], registry: new RedactionRegistry(), ttlMs: 0 });
    assert.equal((await resolver.resolve(`file://${path}`)).reveal(), VALUE);
    await chmod(path, 0o644);
    await assert.rejects(resolver.resolve(`file://${path}`), (e) => isSluiceError(e, 'SLUICE_SECRET_DENIED') && /0644/.test(e.message) && /chmod o-r/.test(e.message) && !e.message.includes(VALUE));
    await assert.rejects(resolver.resolve(`file://${join(dir, 'absent')}`), (e) => isSluiceError(e, 'SLUICE_SECRET_NOT_FOUND'));
    await assert.rejects(resolver.resolve(`file://${dir}`), (e) => isSluiceError(e, 'SLUICE_SECRET_NOT_FOUND') && /not a regular file/.test(e.message));
    await writeFile(join(dir, 'empty'), '', { mode: 0o600 });
    await assert.rejects(resolver.resolve(`file://${join(dir, 'empty')}`), (e) => isSluiceError(e, 'SLUICE_SECRET_NOT_FOUND') && /empty/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A provider that counts reads and answers what it is told. */
function scripted(answer: (n: number) => Promise<{ value: string; leaseSeconds?: number }>): SecretProvider & { reads: number } {
  const provider = {
    scheme: 'sluice' as const,
    reads: 0,
    resolve: () => answer(++provider.reads),
  };
  return provider;
}

test('a hanging provider fails within the timeout, naming the reference', async () => {
  const provider = scripted(() => new Promise(() => undefined));
  const resolver = new SecretResolver({ providers: [provider], registry: new RedactionRegistry(), timeoutMs: 100 });
  const started = Date.now();
  await assert.rejects(resolver.resolve('sluice://hangs'), (e) => isSluiceError(e, 'SLUICE_SECRET_UNAVAILABLE') && e.message.includes('sluice://hangs') && e.retryable);
  assert.ok(Date.now() - started < 5000);
});

test('values are cached for the TTL, or for a shorter lease; concurrent resolves share one read', async () => {
  let now = 0;
  const provider = scripted(async (n) => ({ value: `value-number-${n}`, ...(n >= 2 ? { leaseSeconds: 10 } : {}) }));
  const resolver = new SecretResolver({ providers: [provider], registry: new RedactionRegistry(), ttlMs: 60_000, now: () => now });
  const [a, b] = await Promise.all([resolver.resolve('sluice://x'), resolver.resolve('sluice://x')]);
  assert.equal(provider.reads, 1);
  assert.equal(a, b);
  now = 59_000;
  assert.equal((await resolver.resolve('sluice://x')).reveal(), 'value-number-1');
  now = 61_000;
  assert.equal((await resolver.resolve('sluice://x')).reveal(), 'value-number-2');
  now = 70_000;
  assert.equal((await resolver.resolve('sluice://x')).reveal(), 'value-number-2');
  now = 71_001;
  assert.equal((await resolver.resolve('sluice://x')).reveal(), 'value-number-3');
  resolver.invalidate('sluice://x');
  assert.equal((await resolver.resolve('sluice://x')).reveal(), 'value-number-4');
});

test('an expired lease that cannot be renewed says so; a driver error quoting a registered secret is scrubbed (echo attack)', async () => {
  let now = 0;
  const registry = new RedactionRegistry();
  registry.register('other-planted-credential');
  const provider = scripted(async (n) => {
    if (n === 1) return { value: 'leased-value-abc', leaseSeconds: 1 };
    throw new Error('connect failed for user:other-planted-credential@host');
  });
  const resolver = new SecretResolver({ providers: [provider], registry, now: () => now });
  await resolver.resolve('sluice://leased');
  now = 5_000;
  await assert.rejects(resolver.resolve('sluice://leased'), (e) => isSluiceError(e, 'SLUICE_SECRET_UNAVAILABLE') && /lease expired/.test(e.message) && !e.message.includes('other-planted-credential'));
});

test('a value too short to scrub is reported, so the caller can warn', async () => {
  const short: string[] = [];
  const resolver = new SecretResolver({ providers: [new EnvSecretProvider({ PIN: '1234' })], registry: new RedactionRegistry(), onShortValue: (ref) => short.push(ref) });
  await resolver.resolve('env://PIN');
  assert.deepEqual(short, ['env://PIN']);
});
