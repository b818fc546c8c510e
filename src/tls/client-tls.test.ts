import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto, X509Certificate } from 'node:crypto';
import { connect, createServer } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { createDevCa, issueCertificate } from './dev-ca.ts';
import { loadClientTls, spkiPin } from './client-tls.ts';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Connects with the spec's tls options to a server presenting `chain`; resolves 'connected' or the error. */
async function attempt(chain: string, key: string, options: { ca: string; pins: string[] }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pins-'));
  writeFileSync(join(dir, 'ca.pem'), options.ca);
  const server = createServer({ cert: chain, key }, (socket) => socket.end('data'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const tls = await loadClientTls({ ca: 'ca.pem', pins: options.pins }, dir, undefined);
  try {
    return await new Promise<string>((resolve) => {
      const socket = connect({ ...tls, host: '127.0.0.1', port, servername: 'localhost' }, () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: Error) => resolve(error.message));
    });
  } finally {
    server.close();
  }
}

test('pins: the leaf key or the issuing CA key is accepted; a key in neither is refused', async () => {
  const ca = await createDevCa('Pin CA');
  const leaf = await issueCertificate(ca, 'server', ['localhost']);
  const caPin = spkiPin(new X509Certificate(ca.cert));
  const leafPin = spkiPin(new X509Certificate(leaf.cert));
  const other = spkiPin(new X509Certificate((await createDevCa('Other')).cert));
  assert.equal(await attempt(leaf.cert, leaf.key, { ca: ca.cert, pins: [leafPin] }), 'connected');
  assert.equal(await attempt(leaf.cert, leaf.key, { ca: ca.cert, pins: [caPin] }), 'connected');
  assert.match(await attempt(leaf.cert, leaf.key, { ca: ca.cert, pins: [other] }), /none of the pinned public keys/);
});

test('pins: a forged certificate that copies the issuer\'s name and key identifier but carries the pinned key does not satisfy the pin (pin bypass by an appended chain certificate)', async () => {
  // The attacker holds a valid certificate for the host from a trusted CA, and knows the pinned public key.
  const ca = await createDevCa('Trusted CA');
  const leaf = await issueCertificate(ca, 'server', ['localhost']);
  const pinned = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const pin = `sha256/${Buffer.from(await webcrypto.subtle.digest('SHA-256', await webcrypto.subtle.exportKey('spki', pinned.publicKey))).toString('base64')}`;
  const caCert = new x509.X509Certificate(ca.cert);
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  assert.ok(caKeyId);
  // Subject equal to the real issuer and the same key identifier, so a name-and-identifier walk links it.
  const forged = await x509.X509CertificateGenerator.createSelfSigned({
    name: caCert.subject,
    keys: pinned,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.SubjectKeyIdentifierExtension(caKeyId)],
  });
  assert.match(await attempt(leaf.cert, leaf.key, { ca: ca.cert, pins: [pin] }), /none of the pinned public keys/, 'control: no forged certificate');
  assert.match(await attempt(`${leaf.cert.trimEnd()}\n${forged.toString('pem')}\n`, leaf.key, { ca: ca.cert, pins: [pin] }), /none of the pinned public keys/);
});
