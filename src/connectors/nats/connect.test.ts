// connectNats against private nats-servers: TLS verified against tls.ca (an untrusted certificate, a wrong pin
// and a server without TLS are refused), mutual TLS with the key from a secret reference, and plaintext only
// by the loopback opt-in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { isSluiceError } from '../../errors.ts';
import { SecretResolver } from '../../secrets/resolve/secret-resolver.ts';
import { EnvSecretProvider } from '../../secrets/resolve/env-provider.ts';
import { RedactionRegistry } from '../../secrets/redaction.ts';
import { spkiPin } from '../../tls/client-tls.ts';
import { selfSignedCertificate } from '../../../test/support/tls-fixture.ts';
import type { TlsFixture } from '../../../test/support/tls-fixture.ts';
import { natsServerMissing, startPrivateNats } from '../../../test/support/nats-server.ts';
import type { PrivateNats } from '../../../test/support/nats-server.ts';
import { z } from 'zod';
import { natsConnectionShape } from './connection-options.ts';
import type { NatsConnectionOptions } from './connection-options.ts';
import { connectNats } from './connect.ts';

const skip = natsServerMissing();
let certificate: TlsFixture;
let dir: string;
let tlsServer: PrivateNats | undefined;

before(async () => {
  if (skip) return;
  certificate = selfSignedCertificate();
  dir = mkdtempSync(join(tmpdir(), 'sluice-nats-tls-'));
  writeFileSync(join(dir, 'ca.pem'), certificate.cert);
  tlsServer = await startPrivateNats({ tls: certificate });
});
after(async () => {
  await tlsServer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const options = (extra: Record<string, unknown>): NatsConnectionOptions => z.strictObject(natsConnectionShape).parse(extra);
const context = (secrets?: Record<string, string>) => ({
  baseDir: dir,
  pipeline: 'p',
  ...(secrets ? { secrets: new SecretResolver({ providers: [new EnvSecretProvider(secrets)], registry: new RedactionRegistry() }) } : {}),
});

test('TLS: a server certificate trusted through tls.ca is accepted, and the connection is encrypted', { skip }, async () => {
  const server = tlsServer as PrivateNats;
  const connection = await connectNats(options({ servers: [server.url], tls: { ca: 'ca.pem' } }), context(), 'SLUICE_SOURCE_FAILED');
  try {
    assert.equal(connection.info?.tls_required, true);
    await connection.flush();
  } finally {
    await connection.close();
  }
});

test('TLS: a certificate the client does not trust is refused (man in the middle), not retried', { skip }, async () => {
  const server = tlsServer as PrivateNats;
  const error = await connectNats(options({ servers: [server.url] }), context(), 'SLUICE_SOURCE_FAILED').then(() => assert.fail('an untrusted certificate was accepted'), (e: unknown) => e);
  assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'), String(error));
  assert.match(error.message, /TLS failed/);
  assert.equal(error.retryable, false);
});

test('TLS: a certificate that verifies but carries none of the pinned keys is refused (pinning)', { skip }, async () => {
  const server = tlsServer as PrivateNats;
  const otherPin = spkiPin(new X509Certificate(selfSignedCertificate().cert));
  assert.notEqual(otherPin, spkiPin(new X509Certificate(certificate.cert)));
  const error = await connectNats(options({ servers: [server.url], tls: { ca: 'ca.pem', pins: [otherPin] } }), context(), 'SLUICE_SOURCE_FAILED').then(
    () => assert.fail('a certificate without the pinned key was accepted'),
    (e: unknown) => e,
  );
  assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'), String(error));
  assert.match(error.message, /pinned/);
  // With its own pin the same server is accepted.
  const pinned = await connectNats(options({ servers: [server.url], tls: { ca: 'ca.pem', pins: [spkiPin(new X509Certificate(certificate.cert))] } }), context(), 'SLUICE_SOURCE_FAILED');
  await pinned.close();
});

test('plaintext: the loopback opt-in cannot reach a server that requires TLS', { skip }, async () => {
  const server = tlsServer as PrivateNats;
  const url = server.url.replace('tls://', 'nats://');
  await assert.rejects(
    connectNats(options({ servers: [url], insecureLoopbackPlaintext: true }), context(), 'SLUICE_SOURCE_FAILED'),
    (e) => isSluiceError(e, 'SLUICE_SOURCE_FAILED') && /requires TLS/.test(e.message) && !e.retryable,
  );
});

test('mutual TLS: the client certificate is presented with its key from a secret reference; without it the server refuses', { skip }, async () => {
  const server = await startPrivateNats({ tls: { ...certificate, verifyClients: true } });
  try {
    writeFileSync(join(dir, 'client.pem'), certificate.cert);
    const key = certificate.key.toString('utf8');
    const connection = await connectNats(options({ servers: [server.url], tls: { ca: 'ca.pem', cert: 'client.pem', key: 'env://NATS_CLIENT_KEY' } }), context({ NATS_CLIENT_KEY: key }), 'SLUICE_SINK_WRITE_FAILED');
    await connection.flush();
    await connection.close();
    const error = await connectNats(options({ servers: [server.url], tls: { ca: 'ca.pem' } }), context(), 'SLUICE_SINK_WRITE_FAILED').then(() => assert.fail('a client without a certificate got in'), (e: unknown) => e);
    assert.ok(isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'), String(error));
    assert.ok(!error.message.includes('PRIVATE KEY'));
  } finally {
    await server.close();
  }
});

test('a server that is not running is a retryable failure naming the server', { skip }, async () => {
  const server = await startPrivateNats();
  const url = server.url;
  await server.close();
  const error = await connectNats(options({ servers: [url], insecureLoopbackPlaintext: true }), context(), 'SLUICE_SOURCE_FAILED').then(() => assert.fail('connected to nothing'), (e: unknown) => e);
  assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'), String(error));
  assert.equal(error.retryable, true);
  assert.ok(error.message.includes(url));
});
