import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { createDevCa, issueCertificate, loadDevCa } from './dev-ca.ts';
import { TLS_CIPHERS, TLS_MIN_VERSION } from './cipher-policy.ts';

async function handshake(server: { cert: string; key: string; ca?: string; requestCert?: boolean }, client: ConnectionOptions): Promise<string> {
  const tlsServer = createServer({ cert: server.cert, key: server.key, minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS, ...(server.ca ? { ca: server.ca, requestCert: true, rejectUnauthorized: true } : {}) }, (socket) => socket.end(`hello ${String(socket.getPeerCertificate().subject?.CN ?? 'anonymous')}`));
  tlsServer.listen(0, '127.0.0.1');
  await once(tlsServer, 'listening');
  const port = (tlsServer.address() as { port: number }).port;
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ...client });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
  } finally {
    tlsServer.close();
  }
}

test('a server certificate issued by the dev CA verifies for its IP and host names, and is refused without the CA', async () => {
  const ca = await createDevCa();
  const server = await issueCertificate(ca, 'server', ['localhost', '127.0.0.1']);
  const cert = new X509Certificate(server.cert);
  assert.ok(cert.checkIssued(new X509Certificate(ca.cert)));
  assert.ok(cert.verify(new X509Certificate(ca.cert).publicKey));
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(await handshake(server, { ca: ca.cert, servername: 'localhost' }), 'hello anonymous');
  await assert.rejects(handshake(server, {}), /unable to verify the first certificate|unable to get local issuer/);
});

test('a certificate for another host name is refused (host name verification stays on)', async () => {
  const ca = await createDevCa();
  const server = await issueCertificate(ca, 'server', ['api.example.test']);
  await assert.rejects(handshake(server, { ca: ca.cert, servername: 'localhost' }), /does not match|not in the cert's altnames/);
});

test('a client certificate from the dev CA passes mutual TLS; a client certificate from another CA is refused', async () => {
  const ca = await createDevCa();
  const loaded = await loadDevCa({ cert: ca.cert, key: ca.key });
  const server = await issueCertificate(loaded, 'server', ['localhost']);
  const client = await issueCertificate(loaded, 'client', ['worker-1']);
  assert.equal(await handshake({ ...server, ca: ca.cert }, { ca: ca.cert, servername: 'localhost', cert: client.cert, key: client.key }), 'hello worker-1');
  const rogue = await issueCertificate(await createDevCa('rogue'), 'client', ['worker-1']);
  // Under TLS 1.3 the client learns of the refusal after its side of the handshake: an alert or a closed socket.
  const outcome = await handshake({ ...server, ca: ca.cert }, { ca: ca.cert, servername: 'localhost', cert: rogue.cert, key: rogue.key }).catch((error: Error) => error.message);
  assert.doesNotMatch(outcome, /hello/);
});
