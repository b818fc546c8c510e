// The kafkajs client Sluice builds: the SASL password resolved from its reference, TLS checked against a local
// TLS listener (not a broker: the mock speaks neither TLS nor SASL), plaintext refused off this machine, and
// failures mapped without leaking the password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Kafka } from 'kafkajs';
import { isSluiceError } from '../../errors.ts';
import { Secret } from '../../secrets/secret.ts';
import type { CreateContext, SecretSource } from '../../spec/component.ts';
import { guardedSocketFactory, kafkaConfig, PLAINTEXT_REFUSED } from './kafka-client.ts';
import { kafkaFailure } from './kafka-failure.ts';
import type { KafkaConnectionOptions } from './kafka-options.ts';
import { selfSignedCertificate } from '../../../test/support/tls-fixture.ts';

/** A secret source that hands out `values` and notes what was resolved and invalidated. */
function secretsOf(values: Record<string, string>) {
  const log = { resolved: [] as string[], invalidated: [] as string[] };
  const source: SecretSource = {
    resolve: async (ref) => {
      log.resolved.push(ref);
      const value = values[ref];
      if (value === undefined) throw new Error(`no ${ref}`);
      return new Secret(value, ref);
    },
    invalidate: (ref) => log.invalidated.push(ref),
  };
  return { source, log };
}

const SASL: KafkaConnectionOptions = { brokers: ['localhost:9092'], sasl: { mechanism: 'scram-sha-512', username: 'sluice', password: 'env://KAFKA_PASSWORD' } };

test('the SASL password is resolved from its reference when the client is built, and handed only to kafkajs', async () => {
  const { source, log } = secretsOf({ 'env://KAFKA_PASSWORD': 'pw-from-the-vault' });
  const config = await kafkaConfig(SASL, { baseDir: tmpdir(), pipeline: 'p', secrets: source });
  assert.deepEqual(log.resolved, ['env://KAFKA_PASSWORD']);
  assert.deepEqual(config.sasl, { mechanism: 'scram-sha-512', username: 'sluice', password: 'pw-from-the-vault' });
  assert.equal(config.clientId, 'sluice-p');
  assert.equal(config.logLevel, kafkajs.logLevel.NOTHING, 'kafkajs logs nothing of its own (its logs could carry broker replies)');
});

test('without a secret resolver, a SASL password reference is refused rather than sent empty', async () => {
  await assert.rejects(kafkaConfig(SASL, { baseDir: tmpdir(), pipeline: 'p' }), (error) => isSluiceError(error, 'SLUICE_SECRET_UNAVAILABLE'));
});

test('an authentication refusal (simulated kafkajs error: the mock has no SASL) invalidates the cached password, is not retried, and names the reference, never the password or the broker\'s reply', () => {
  const { source, log } = secretsOf({});
  // Its type declares no parameters; at run time it takes the message, as kafkajs itself calls it.
  const Refusal = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
  const refusal = new Refusal('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
  const error = kafkaFailure('SLUICE_SOURCE_FAILED', 'cannot read kafka topic orders at localhost:9092', refusal, { connection: SASL, secrets: source });
  assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'));
  assert.equal(error.retryable, false);
  assert.deepEqual(log.invalidated, ['env://KAFKA_PASSWORD']);
  assert.match(error.message, /env:\/\/KAFKA_PASSWORD/);
  assert.match(error.message, /'sluice'/);
  assert.doesNotMatch(error.message, /invalid credentials/);
});

test('failures: ACL denials and TLS verification failures are final; brokers down or moving are retryable', () => {
  const connection: KafkaConnectionOptions = { brokers: ['localhost:9092'] };
  const denied = kafkaFailure('SLUICE_SINK_WRITE_FAILED', 'w', new kafkajs.KafkaJSProtocolError({ type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false, message: 'Not authorized' } as never), { connection });
  assert.equal(denied.retryable, false);
  assert.match(denied.message, /ACL/);
  const tls = kafkaFailure('SLUICE_SINK_WRITE_FAILED', 'w', new kafkajs.KafkaJSConnectionError('Connection error: self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), { connection });
  assert.equal(tls.retryable, false);
  assert.match(tls.message, /tls\.ca/);
  const down = new kafkajs.KafkaJSNumberOfRetriesExceeded(new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { code: 'ECONNREFUSED' }), { retryCount: 5, retryTime: 100 });
  const retryable = kafkaFailure('SLUICE_SINK_WRITE_FAILED', 'w', down, { connection });
  assert.equal(retryable.retryable, true);
  assert.match(retryable.message, /ECONNREFUSED/);
});

test('a broker the cluster advertises off this machine is refused plaintext before any byte is sent (metadata redirect to an eavesdropper)', async () => {
  const factory = guardedSocketFactory(false);
  const args = (host: string, port: number) => ({ host, port, ssl: null as never, onConnect: () => undefined });
  assert.throws(() => factory(args('10.20.30.40', 9092)), new RegExp(PLAINTEXT_REFUSED));
  assert.throws(() => factory(args('kafka-2.example.com', 9092)), new RegExp(PLAINTEXT_REFUSED));
  const mapped = kafkaFailure('SLUICE_SOURCE_FAILED', 'r', new kafkajs.KafkaJSConnectionError(`Failed to connect: ${PLAINTEXT_REFUSED} to 10.20.30.40:9092`), { connection: { brokers: ['localhost:9092'] } });
  assert.ok(isSluiceError(mapped, 'SLUICE_EGRESS_DENIED'));
  assert.equal(mapped.retryable, false);
  // Loopback is this machine: allowed.
  const server = createNetServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = factory(args('127.0.0.1', (server.address() as AddressInfo).port));
  await once(socket, 'connect');
  socket.destroy();
  server.close();
  // With the opt-in, anything goes (and the spec says INSECURE).
  const open = guardedSocketFactory(true)(args('192.0.2.1', 9));
  open.on('error', () => undefined);
  open.destroy();
});

/** A TLS listener on 127.0.0.1 (not Kafka) that notes each completed handshake, then hangs up. */
async function tlsListener(fixture: ReturnType<typeof selfSignedCertificate>) {
  const sessions: { protocol: string | null; clientCert: boolean }[] = [];
  const server = createTlsServer({ key: fixture.key, cert: fixture.cert, requestCert: true, rejectUnauthorized: false }, (socket: TLSSocket) => {
    sessions.push({ protocol: socket.getProtocol(), clientCert: Object.keys(socket.getPeerCertificate()).length > 0 });
    socket.destroy();
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, sessions, broker: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Connects a kafkajs producer built from Sluice's config, without kafkajs's own retries (they only slow the test). */
async function connectWith(options: KafkaConnectionOptions, context: CreateContext): Promise<unknown> {
  const producer = new Kafka({ ...(await kafkaConfig(options, context)), retry: { retries: 0 } }).producer();
  try {
    await producer.connect();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

test('kafka TLS (local TLS listener, not a broker): a certificate that does not chain to a trusted CA is refused, and the failure is final (a man in the middle with his own certificate)', async () => {
  const fixture = selfSignedCertificate();
  const listener = await tlsListener(fixture);
  try {
    const options: KafkaConnectionOptions = { brokers: [listener.broker], tls: {} };
    const error = await connectWith(options, { baseDir: tmpdir(), pipeline: 'p' });
    const mapped = kafkaFailure('SLUICE_SINK_WRITE_FAILED', 'w', error, { connection: options });
    assert.equal(mapped.retryable, false);
    assert.match(mapped.message, /did not verify/);
    assert.deepEqual(listener.sessions, [], 'no session was completed');
  } finally {
    listener.server.close();
  }
});

test('kafka TLS (local TLS listener, not a broker): with the CA from tls.ca the handshake completes at TLS 1.2 or later, and the mTLS client key comes from its secret reference', async () => {
  const fixture = selfSignedCertificate();
  const listener = await tlsListener(fixture);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-tls-'));
  writeFileSync(join(dir, 'ca.pem'), fixture.cert);
  writeFileSync(join(dir, 'client.pem'), fixture.cert);
  const { source, log } = secretsOf({ 'env://KAFKA_CLIENT_KEY': fixture.key.toString('utf8') });
  try {
    const options: KafkaConnectionOptions = { brokers: [listener.broker], tls: { ca: 'ca.pem', cert: 'client.pem', key: 'env://KAFKA_CLIENT_KEY' } };
    await connectWith(options, { baseDir: dir, pipeline: 'p', secrets: source });
    assert.equal(listener.sessions.length, 1);
    assert.match(listener.sessions[0]?.protocol ?? '', /^TLSv1\.[23]$/);
    assert.equal(listener.sessions[0]?.clientCert, true);
    assert.deepEqual(log.resolved, ['env://KAFKA_CLIENT_KEY']);
  } finally {
    listener.server.close();
  }
});
