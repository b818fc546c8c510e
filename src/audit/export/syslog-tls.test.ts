// The syslog TLS client against local listeners: frames arrive in order; a collector that stops reading slows the
// sender, and one that never reads fails it in bounded time; untrusted, misnamed, plain-TCP, old-TLS and silent
// collectors are refused with SLUICE_SINK_WRITE_FAILED naming the collector; mutual TLS works, and is required
// when the collector says so; no error carries key material.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import { selfSignedCertificate } from '../../../test/support/tls-fixture.ts';
import type { TlsFixture } from '../../../test/support/tls-fixture.ts';
import { isSluiceError } from '../../errors.ts';
import type { SluiceError } from '../../errors.ts';
import { startCollector } from './collector.fixture.ts';
import { octetCounted } from './formats.ts';
import { SyslogTlsClient, collectorName } from './syslog-tls.ts';

let server: TlsFixture;
let other: TlsFixture;
let client: TlsFixture;
before(() => {
  server = selfSignedCertificate();
  other = selfSignedCertificate();
  client = selfSignedCertificate();
});

async function listen(s: TcpServer): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as AddressInfo).port;
}

function closeServer(s: TcpServer, sockets: Iterable<{ destroy(): void }> = []): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => s.close(() => resolve()));
}

/** Asserts a refusal: the code, the collector named, the words expected, and no key material anywhere in it. */
function refused(error: unknown, port: number, words: RegExp): boolean {
  assert.ok(isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'), String(error));
  assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.match(error.message, words);
  for (const text of [error.message, inspect(error, { depth: 5 })]) assert.ok(!text.includes('PRIVATE KEY'), 'no key material');
  return true;
}

test('frames arrive in order and intact; close waits for the collector', async () => {
  const collector = await startCollector({ key: server.key, cert: server.cert });
  try {
    const c = await SyslogTlsClient.connect({ host: '127.0.0.1', port: collector.port, ca: server.cert });
    assert.equal(c.collector, `127.0.0.1:${collector.port}`);
    const messages = Array.from({ length: 50 }, (_, i) => `<110>1 - h sluice - m${i} - \uFEFF{"n":${i},"é":"🔑"}`);
    for (const m of messages) await c.send(octetCounted(m));
    await c.close();
    await collector.waitFor(50);
    assert.deepEqual(collector.messages.map((b) => b.toString('utf8')), messages);
    await assert.rejects(c.send(octetCounted('late')), (e) => isSluiceError(e, 'SLUICE_SINK_WRITE_FAILED'));
  } finally {
    await collector.close();
  }
});

test('backpressure: while the collector does not read, send waits; everything arrives once it reads again', async () => {
  const sockets: TLSSocket[] = [];
  let received = 0;
  let resumedAt = 0;
  const tls = createTlsServer({ key: server.key, cert: server.cert }, (socket) => {
    sockets.push(socket);
    socket.pause();
    setTimeout(() => {
      resumedAt = Date.now();
      socket.resume();
    }, 400);
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
  });
  const port = await listen(tls);
  try {
    const c = await SyslogTlsClient.connect({ host: '127.0.0.1', port, ca: server.cert });
    const frame = octetCounted('x'.repeat(64 * 1024));
    const frames = 256;
    for (let i = 0; i < frames; i++) await c.send(frame);
    const lastSendAt = Date.now();
    await c.close();
    assert.ok(resumedAt > 0 && lastSendAt >= resumedAt, 'the last send completed only after the collector read again');
    for (let i = 0; i < 100 && received < frames * frame.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(received, frames * frame.length);
  } finally {
    await closeServer(tls, sockets);
  }
});

test('a collector that never reads fails the send within the drain timeout', async () => {
  const sockets: TLSSocket[] = [];
  const tls = createTlsServer({ key: server.key, cert: server.cert }, (socket) => {
    sockets.push(socket);
    socket.pause();
  });
  const port = await listen(tls);
  try {
    const c = await SyslogTlsClient.connect({ host: '127.0.0.1', port, ca: server.cert, drainTimeoutMs: 300 });
    const frame = octetCounted('y'.repeat(256 * 1024));
    const started = Date.now();
    let error: unknown;
    try {
      for (let i = 0; i < 2000; i++) await c.send(frame);
    } catch (e) {
      error = e;
    }
    assert.ok(refused(error, port, /stopped reading for 300 ms/));
    assert.ok(Date.now() - started < 10_000, 'bounded');
    await assert.rejects(c.close(), (e) => isSluiceError(e, 'SLUICE_SINK_WRITE_FAILED'));
  } finally {
    await closeServer(tls, sockets);
  }
});

test('refused: a collector whose certificate the CA given did not issue, or which is for another name', async () => {
  const collector = await startCollector({ key: server.key, cert: server.cert });
  try {
    await assert.rejects(SyslogTlsClient.connect({ host: '127.0.0.1', port: collector.port, ca: other.cert, cert: client.cert, key: client.key }), (e) => refused(e, collector.port, /failed the TLS handshake \(DEPTH_ZERO_SELF_SIGNED_CERT\|UNABLE_TO_VERIFY_LEAF_SIGNATURE|failed the TLS handshake \([A-Z_]+\): check that --ca/));
    await assert.rejects(SyslogTlsClient.connect({ host: '127.0.0.1', port: collector.port, ca: server.cert, servername: 'syslog.example.com' }), (e) => refused(e, collector.port, /ERR_TLS_CERT_ALTNAME_INVALID/));
    assert.equal(collector.connections, 0);
    assert.deepEqual(collector.messages, []);
  } finally {
    await collector.close();
  }
});

test('refused: a plain TCP listener gets a TLS ClientHello and never an event', async () => {
  const received: Buffer[] = [];
  const sockets: Socket[] = [];
  const plain = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      socket.write('550 this is not TLS\r\n');
    });
    socket.on('error', () => undefined);
  });
  const port = await listen(plain);
  try {
    await assert.rejects(SyslogTlsClient.connect({ host: '127.0.0.1', port, ca: server.cert, connectTimeoutMs: 5000 }), (e) => refused(e, port, /TLS handshake|is it a TLS listener/));
    const bytes = Buffer.concat(received);
    assert.equal(bytes[0], 0x16, 'a TLS handshake record, nothing else');
  } finally {
    await closeServer(plain, sockets);
  }
});

test('refused: a collector that only speaks TLS 1.1', async () => {
  const collector = await startCollector({ key: server.key, cert: server.cert, maxVersion: 'TLSv1.1', minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
  try {
    await assert.rejects(SyslogTlsClient.connect({ host: '127.0.0.1', port: collector.port, ca: server.cert }), (e) => refused(e, collector.port, /TLS handshake/));
  } finally {
    await collector.close();
  }
});

test('bounded: a listener that accepts the connection but never answers the handshake; a closed port', async () => {
  const sockets: Socket[] = [];
  const silent = createTcpServer((socket) => sockets.push(socket));
  const port = await listen(silent);
  try {
    const started = Date.now();
    await assert.rejects(SyslogTlsClient.connect({ host: '127.0.0.1', port, ca: server.cert, connectTimeoutMs: 300 }), (e) => refused(e, port, /did not complete the TLS handshake within 300 ms/) && (e as SluiceError).retryable);
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 3000, `took ${took} ms`);
  } finally {
    await closeServer(silent, sockets);
  }
  // The port is free again: nothing listens.
  await assert.rejects(SyslogTlsClient.connect({ host: '127.0.0.1', port, ca: server.cert }), (e) => refused(e, port, /could not be reached \(ECONNREFUSED\)/));
});

test('mutual TLS: the client certificate is presented when given, and its absence is an error when required', async () => {
  const collector = await startCollector({ key: server.key, cert: server.cert, requestCert: true, rejectUnauthorized: true, ca: client.cert });
  try {
    const c = await SyslogTlsClient.connect({ host: '127.0.0.1', port: collector.port, ca: server.cert, cert: client.cert, key: client.key });
    await c.send(octetCounted('<110>1 - - - - - - hello'));
    await c.close();
    await collector.waitFor(1);
    // Without a certificate: refused at the handshake (TLS 1.2) or by an alert right after it (TLS 1.3).
    let error: unknown;
    try {
      const bare = await SyslogTlsClient.connect({ host: '127.0.0.1', port: collector.port, ca: server.cert });
      await bare.send(octetCounted('<110>1 - - - - - - unauthenticated'));
      await bare.close();
    } catch (e) {
      error = e;
    }
    assert.ok(refused(error, collector.port, /refused the client certificate|TLS handshake/));
    // And with a certificate the collector does not trust.
    await assert.rejects(
      (async () => {
        const wrong = await SyslogTlsClient.connect({ host: '127.0.0.1', port: collector.port, ca: server.cert, cert: other.cert, key: other.key });
        await wrong.send(octetCounted('<110>1 - - - - - - wrong'));
        await wrong.close();
      })(),
      (e) => refused(e, collector.port, /refused the client certificate|TLS handshake/),
    );
    assert.deepEqual(collector.messages.map((m) => m.toString()), ['<110>1 - - - - - - hello']);
  } finally {
    await collector.close();
  }
});

test('collector names: IPv6 addresses in brackets', () => {
  assert.equal(collectorName('::1', 6514), '[::1]:6514');
  assert.equal(collectorName('syslog.example.com', 6514), 'syslog.example.com:6514');
});
