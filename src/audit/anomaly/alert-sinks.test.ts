// Alert sinks: the log line, and the webhook against a local HTTPS receiver: https only, TLS 1.2 at least, the
// signature checked by the receiver, bounded retries and timeouts, and no secret in any error.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, request, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { Logger } from 'pino';
import { selfSignedCertificate, type TlsFixture } from '../../../test/support/tls-fixture.ts';
import { Secret } from '../../secrets/secret.ts';
import { LogAlertSink, SIGNATURE_HEADER, WebhookAlertSink, sendAlerts, verifyWebhookSignature, type AlertLogger, type AlertSink } from './alert-sinks.ts';
import type { Alert } from './detector.ts';

// Compile-time: a pino logger is an AlertLogger.
const _pinoIsAnAlertLogger = (logger: Logger): AlertLogger => logger;

const KEY = 'whsec-0123456789abcdef0123456789abcdef';
const secret = new Secret(KEY, 'env://SLUICE_ALERT_WEBHOOK_KEY');

const ALERT: Alert = {
  kind: 'auth-failure-burst',
  source: '203.0.113.66',
  time: '2026-01-26T14:00:18.000Z',
  score: 10,
  threshold: 10,
  message: '10 failed authentications from 203.0.113.66 within 5 minutes, for 10 principals',
  evidence: { failures: 10, distinctPrincipals: 10, windowMinutes: 5 },
};

let tls: TlsFixture;
before(() => {
  tls = selfSignedCertificate();
});

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A local HTTPS receiver answering each request with `answer(n)` (n from 1), or never when it returns 'hang'. */
async function receiver(answer: (n: number, received: Received) => number | 'hang', options: { maxVersion?: 'TLSv1.1'; minVersion?: 'TLSv1.1' } = {}) {
  const received: Received[] = [];
  const server: Server = createServer({ key: tls.key, cert: tls.cert, ...options, ...(options.maxVersion ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got = { headers: req.headers, body: Buffer.concat(chunks) };
      received.push(got);
      const status = answer(received.length, got);
      if (status !== 'hang') res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/hooks/sluice?team=sec`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const fast = { initialDelayMs: 5, maxDelayMs: 20 };

test('webhook settings: only https://, no credentials in the URL, a long enough key, sane bounds (SLUICE_SETTINGS_INVALID)', () => {
  const cases: [string, Partial<ConstructorParameters<typeof WebhookAlertSink>[0]>, string][] = [
    ['http is refused', { url: 'http://alerts.example.com/hook' }, 'http:// is refused'],
    ['other schemes too', { url: 'ftp://alerts.example.com/hook' }, 'ftp:// is refused'],
    ['not a URL', { url: 'alerts.example.com/hook' }, 'not a URL'],
    ['credentials in the URL', { url: 'https://user:pw@alerts.example.com/hook' }, 'user:password@'],
    ['a short key', { secret: new Secret('short', 'env://K') }, 'at least 32 characters'],
    ['no attempts', { attempts: 0 }, 'attempts'],
    ['no timeout', { timeoutMs: 0 }, 'timeoutMs'],
  ];
  for (const [what, patch, detail] of cases) {
    assert.throws(
      () => new WebhookAlertSink({ url: 'https://alerts.example.com/hook', secret, ...patch }),
      (error: Error & { code?: string; details?: readonly string[] }) => error.code === 'SLUICE_SETTINGS_INVALID' && error.details!.some((d) => d.includes(detail)),
      what,
    );
  }
});

test('webhook: posts the alert as JSON, and the receiver verifies the HMAC-SHA256 signature of the body', async () => {
  const hook = await receiver(() => 204);
  try {
    await new WebhookAlertSink({ url: hook.url, secret, ca: tls.cert }).send(ALERT);
    assert.equal(hook.received.length, 1);
    const [got] = hook.received;
    assert.equal(got?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(got.body.toString('utf8')), ALERT);
    const header = got?.headers[SIGNATURE_HEADER] as string;
    // What a receiver does with its copy of the key: the same HMAC over the raw body, compared in constant time.
    assert.equal(header, `sha256=${createHmac('sha256', KEY).update(got.body).digest('hex')}`);
    assert.equal(verifyWebhookSignature(got.body, header, secret), true);
    // Denials: another key, an altered body, a missing or malformed header.
    assert.equal(verifyWebhookSignature(got.body, header, { reveal: () => KEY.replace('0', '1') }), false);
    assert.equal(verifyWebhookSignature(Buffer.from(got.body.toString('utf8').replace('"score":10', '"score":1')), header, secret), false);
    assert.equal(verifyWebhookSignature(got.body, undefined, secret), false);
    assert.equal(verifyWebhookSignature(got.body, 'sha256=00', secret), false);
  } finally {
    await hook.close();
  }
});

test('webhook: a receiver that hangs costs at most attempts × timeout, then a clear, retryable error', async () => {
  const hook = await receiver(() => 'hang');
  try {
    const started = performance.now();
    await assert.rejects(new WebhookAlertSink({ url: hook.url, secret, ca: tls.cert, timeoutMs: 200, attempts: 2, ...fast }).send(ALERT), (error: Error & { code?: string; retryable?: boolean }) => {
      assert.equal(error.code, 'SLUICE_SINK_WRITE_FAILED');
      assert.equal(error.retryable, true);
      assert.match(error.message, /^the alert webhook at 127\.0\.0\.1:\d+ did not answer within 200 ms on each of 2 attempts/);
      return true;
    });
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 350 && elapsed < 2000, `${elapsed} ms`);
    assert.equal(hook.received.length, 2);
  } finally {
    await hook.close();
  }
});

test('webhook: a 500 is retried, then a clear error naming the status and the attempts', async () => {
  const hook = await receiver(() => 500);
  try {
    await assert.rejects(new WebhookAlertSink({ url: hook.url, secret, ca: tls.cert, attempts: 3, ...fast }).send(ALERT), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SLUICE_SINK_WRITE_FAILED');
      assert.match(error.message, /answered HTTP 500 on each of 3 attempts/);
      assert.ok(!error.message.includes('/hooks/sluice') && !error.message.includes('team=sec'), 'no path or query in the error');
      return true;
    });
    assert.equal(hook.received.length, 3);
    assert.ok(hook.received.every((r) => r.body.equals(hook.received[0]!.body)), 'the same signed body each time');
  } finally {
    await hook.close();
  }
});

test('webhook: a 503 then a 200 is delivered on the retry', async () => {
  const hook = await receiver((n) => (n === 1 ? 503 : 200));
  try {
    await new WebhookAlertSink({ url: hook.url, secret, ca: tls.cert, ...fast }).send(ALERT);
    assert.equal(hook.received.length, 2);
  } finally {
    await hook.close();
  }
});

test('webhook: a 4xx (other than 408 and 429) and a redirect are not retried', async () => {
  for (const status of [400, 401, 404, 302]) {
    const hook = await receiver(() => status);
    try {
      await assert.rejects(new WebhookAlertSink({ url: hook.url, secret, ca: tls.cert, ...fast }).send(ALERT), (error: Error & { code?: string; retryable?: boolean }) => {
        assert.equal(error.code, 'SLUICE_SINK_WRITE_FAILED');
        assert.equal(error.retryable, false);
        assert.match(error.message, new RegExp(`answered HTTP ${status}: check the receiver and the sink settings$`));
        return true;
      });
      assert.equal(hook.received.length, 1, `HTTP ${status}`);
    } finally {
      await hook.close();
    }
  }
  const busy = await receiver((n) => (n === 1 ? 429 : 204));
  try {
    await new WebhookAlertSink({ url: busy.url, secret, ca: tls.cert, ...fast }).send(ALERT);
    assert.equal(busy.received.length, 2, '429 is retried');
  } finally {
    await busy.close();
  }
});

test('webhook: a certificate the sink does not trust fails the handshake, once, with what to do', async () => {
  const hook = await receiver(() => 204);
  try {
    await assert.rejects(new WebhookAlertSink({ url: hook.url, secret, ...fast }).send(ALERT), (error: Error & { code?: string; retryable?: boolean }) => {
      assert.equal(error.code, 'SLUICE_SINK_WRITE_FAILED');
      assert.equal(error.retryable, false);
      assert.match(error.message, /failed the TLS handshake \(.+\): give its CA certificate \(ca\)/);
      return true;
    });
    assert.equal(hook.received.length, 0);
  } finally {
    await hook.close();
  }
});

test('webhook: a receiver that offers only TLS 1.1 is refused (TLS 1.2 minimum)', async (t) => {
  const hook = await receiver(() => 204, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' });
  try {
    // First show that this receiver does speak TLS 1.1 to a client that allows it.
    const speaks11 = await new Promise<boolean>((resolve) => {
      const req = request(hook.url, { method: 'POST', ca: tls.cert, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0', agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (!speaks11) {
      t.skip('this OpenSSL build cannot serve TLS 1.1 at all');
      return;
    }
    const before = hook.received.length;
    await assert.rejects(new WebhookAlertSink({ url: hook.url, secret, ca: tls.cert, ...fast }).send(ALERT), (error: Error & { code?: string }) => error.code === 'SLUICE_SINK_WRITE_FAILED' && /TLS handshake/.test(error.message));
    assert.equal(hook.received.length, before);
  } finally {
    await hook.close();
  }
});

test('webhook: the key shows up nowhere: not in errors, not when the sink is printed', async () => {
  const hook = await receiver(() => 500);
  try {
    const sink = new WebhookAlertSink({ url: hook.url, secret, ca: tls.cert, attempts: 1 });
    const error = await sink.send(ALERT).catch((e: unknown) => e);
    const shown = [inspect(error, { depth: 5 }), inspect(sink, { depth: 5 }), JSON.stringify(sink), String(error)].join('\n');
    assert.ok(!shown.includes(KEY));
  } finally {
    await hook.close();
  }
});

test('log sink: one line per alert at the chosen level, the alert under "alert"', async () => {
  const lines: [string, Record<string, unknown>, string][] = [];
  const logger: AlertLogger = {
    info: (object, message) => lines.push(['info', object, message]),
    warn: (object, message) => lines.push(['warn', object, message]),
    error: (object, message) => lines.push(['error', object, message]),
  };
  await new LogAlertSink(logger).send(ALERT);
  await new LogAlertSink(logger, { level: 'error' }).send(ALERT);
  assert.deepEqual(lines, [
    ['warn', { alert: ALERT }, `anomaly: ${ALERT.message}`],
    ['error', { alert: ALERT }, `anomaly: ${ALERT.message}`],
  ]);
});

test('sendAlerts: every alert to every sink, in order; a failing sink neither stops the others nor throws', async () => {
  const delivered: string[] = [];
  const ok: AlertSink = { name: 'ok', send: (a) => (delivered.push(a.time), Promise.resolve()) };
  const broken: AlertSink = { name: 'broken', send: () => Promise.reject(new Error('down')) };
  const second = { ...ALERT, time: '2026-01-26T14:05:00.000Z' };
  const failures = await sendAlerts([ALERT, second], [broken, ok]);
  assert.deepEqual(delivered, [ALERT.time, second.time]);
  assert.deepEqual(
    failures.map((f) => [f.sink, f.alert.time]),
    [
      ['broken', ALERT.time],
      ['broken', second.time],
    ],
  );
});
