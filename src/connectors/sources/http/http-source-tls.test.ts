// TLS of the http source against real HTTPS servers: verification is always on (an untrusted certificate or a
// wrong name is refused), SPKI pins are enforced, and a client certificate from a secret reference does mTLS.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { isSluiceError } from '../../../errors.ts';
import { spkiPin } from '../../../tls/client-tls.ts';
import { selfSignedCertificate } from '../../../../test/support/tls-fixture.ts';
import { caFile, rsaCertificate, sendJson, startHttpsServer } from '../../../../test/support/http-test-server.ts';
import type { HttpsTestServer } from '../../../../test/support/http-test-server.ts';
import { SecretsDouble } from '../../../../test/support/http-secrets.ts';
import { httpSourceFor, readBatches, recordsIn } from '../../../../test/support/http-source-harness.ts';

const tls = selfSignedCertificate();
const client = selfSignedCertificate();
const { dir, ca } = caFile(tls);
writeFileSync(join(dir, 'client.pem'), client.cert);
const servers: HttpsTestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const server = await startHttpsServer(tls, (_r, response) => sendJson(response, [{ ok: true }]));
servers.push(server);

function sourceFor(url: string, tlsOptions: Record<string, unknown> | undefined, secrets = new SecretsDouble()) {
  return httpSourceFor({ url, allowPrivateAddresses: ['127.0.0.1'], ...(tlsOptions ? { tls: tlsOptions } : {}) }, { baseDir: dir, secrets });
}

const tlsFailure = (pattern: RegExp) => (error: unknown) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && !error.retryable && pattern.test(error.message);

test('a certificate the system store does not trust is refused (verification cannot be turned off)', async () => {
  const before = server.requests.length;
  await assert.rejects(readBatches(sourceFor(server.url('/items'), undefined)), tlsFailure(/TLS handshake failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/));
  assert.equal(server.requests.length, before, 'no request was sent');
});

test('a certificate for another name is refused', async () => {
  await assert.rejects(readBatches(sourceFor(server.url('/items'), { ca, servername: 'api.example.com' })), tlsFailure(/ERR_TLS_CERT_ALTNAME_INVALID/));
});

test('SPKI pins: the server\'s key pinned works; a pin mismatch is refused', async () => {
  const rsa = rsaCertificate();
  writeFileSync(join(dir, 'rsa-ca.pem'), rsa.cert);
  const pinned = await startHttpsServer(rsa, (_r, response) => sendJson(response, [{ pinned: true }]));
  servers.push(pinned);
  const pin = spkiPin(new X509Certificate(rsa.cert));
  assert.deepEqual(recordsIn(await readBatches(sourceFor(pinned.url('/items'), { ca: 'rsa-ca.pem', pins: [pin] }))), [{ pinned: true }]);
  const otherPin = spkiPin(new X509Certificate(client.cert));
  await assert.rejects(readBatches(sourceFor(pinned.url('/items'), { ca: 'rsa-ca.pem', pins: [otherPin] })), tlsFailure(/carries none of the pinned public keys/));
  assert.equal(pinned.requests.length, 1, 'the mispinned connection sent no request');
});

test(
  'SPKI pins of an EC server key match',
  async () => {
    const pin = spkiPin(new X509Certificate(tls.cert));
    assert.deepEqual(recordsIn(await readBatches(sourceFor(server.url('/items'), { ca, pins: [pin] }))), [{ ok: true }]);
  },
);

test('mutual TLS: the client certificate with its key from a secret reference is presented; without it the server refuses', async () => {
  let peer: string | undefined;
  const mtls = await startHttpsServer(
    tls,
    (_r, response, raw) => {
      const cn = (raw.socket as TLSSocket).getPeerCertificate().subject?.CN;
      peer = Array.isArray(cn) ? cn[0] : cn;
      sendJson(response, [{ mtls: true }]);
    },
    { requestCert: true, rejectUnauthorized: true, ca: [client.cert] },
  );
  servers.push(mtls);
  const secrets = new SecretsDouble({ 'env://CLIENT_KEY': client.key.toString('utf8') });
  assert.deepEqual(recordsIn(await readBatches(sourceFor(mtls.url('/items'), { ca, cert: 'client.pem', key: 'env://CLIENT_KEY' }, secrets))), [{ mtls: true }]);
  assert.equal(peer, 'localhost');
  assert.deepEqual(secrets.resolved, ['env://CLIENT_KEY']);
  await assert.rejects(readBatches(sourceFor(mtls.url('/items'), { ca })), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED'));
  assert.equal(mtls.requests.length, 1, 'the server answered only the client with a certificate');
});
