// The shared NATS connection options: server URLs (never with credentials in them), the loopback-only plaintext
// opt-in, one way to authenticate, and the names and subjects the server accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { checkNatsConnection, isLoopbackHost, natsConnectionShape, serverUrlProblem } from './connection-options.ts';
import { consumerNameSchema, publishSubjectSchema, streamNameSchema, subjectFilterSchema } from './names.ts';

const connectionSpec = z
  .strictObject(natsConnectionShape)
  .superRefine((options, context) => checkNatsConnection(options, (path, message) => context.addIssue({ code: 'custom', path, message })));

test('server URLs: nats:// and tls:// with a host and port pass; other schemes, paths and queries are refused', () => {
  const cases: [string, RegExp | undefined][] = [
    ['nats://127.0.0.1:4222', undefined],
    ['tls://nats-1.internal:4222', undefined],
    ['nats://[::1]:4222', undefined],
    ['nats://nats.internal', undefined],
    ['http://127.0.0.1:4222', /uses http:/],
    ['nats://127.0.0.1:4222/path', /path, query or fragment/],
    ['nats://127.0.0.1:4222?x=1', /path, query or fragment/],
    ['127.0.0.1:4222', /uses 127\.0\.0\.1:|not a URL/],
    ['not a url', /not a URL/],
  ];
  for (const [url, problem] of cases) {
    const found = serverUrlProblem(url);
    if (problem === undefined) assert.equal(found, undefined, url);
    else assert.match(found ?? '', problem, url);
  }
});

test('secret planted in URL: a server URL carrying a user, password or token is refused without quoting them (property)', () => {
  // A marker keeps a generated value from matching the message's own words ("token", "secret").
  const credential = fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/).map((text) => `planted${text}`);
  fc.assert(
    fc.property(credential, fc.option(credential, { nil: undefined }), (user, password) => {
      const url = `nats://${user}${password === undefined ? '' : `:${password}`}@127.0.0.1:4222`;
      const problem = serverUrlProblem(url);
      assert.match(problem ?? '', /secret references/);
      assert.ok(!problem?.includes(user) && (password === undefined || !problem?.includes(password)));
      const result = connectionSpec.safeParse({ servers: [url] });
      assert.ok(!result.success);
      assert.ok(!JSON.stringify(result.error.issues.map((i) => i.message)).includes(user));
    }),
  );
});

test('loopback hosts are 127.0.0.0/8, ::1 and localhost; nothing else', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'a.localhost', '[::1]', '::1']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['10.0.0.1', '0.0.0.0', '128.0.0.1', 'localhost.example.com', '[::2]', 'nats.internal', '127.0.0.1.nip.io']) assert.ok(!isLoopbackHost(host), host);
});

test('plaintext is only an explicit opt-in, only to loopback servers, and never beside TLS settings', () => {
  const refused: [object, string][] = [
    [{ servers: ['nats://10.1.2.3:4222'], insecureLoopbackPlaintext: true }, 'servers.0'],
    [{ servers: ['nats://127.0.0.1:4222', 'nats://nats.internal:4222'], insecureLoopbackPlaintext: true }, 'servers.1'],
    [{ servers: ['tls://127.0.0.1:4222'], insecureLoopbackPlaintext: true }, 'servers.0'],
    [{ servers: ['nats://127.0.0.1:4222'], insecureLoopbackPlaintext: true, tls: { ca: 'ca.pem' } }, 'insecureLoopbackPlaintext'],
    [{ servers: [] }, 'servers'],
  ];
  for (const [options, path] of refused) {
    const result = connectionSpec.safeParse(options);
    assert.ok(!result.success, JSON.stringify(options));
    assert.equal(result.error.issues[0]?.path.join('.'), path, JSON.stringify(options));
  }
  // Without the opt-in every server, loopback included, is reached over TLS: nothing to refuse here.
  assert.ok(connectionSpec.safeParse({ servers: ['nats://10.1.2.3:4222', 'nats://127.0.0.1:4222'] }).success);
  assert.equal(connectionSpec.parse({ servers: ['nats://127.0.0.1:4222'] }).insecureLoopbackPlaintext, false);
});

test('credentials: secret references only, one way to authenticate, user and password together', () => {
  const base = { servers: ['tls://nats.internal:4222'] };
  const refused: [object, string][] = [
    [{ ...base, token: 's3cr3t-token-literal' }, 'token'],
    [{ ...base, token: 'env://T', creds: 'file:///run/secrets/x.creds' }, 'token'],
    [{ ...base, user: 'sluice', password: 'env://P', nkeySeed: 'env://S' }, 'token'],
    [{ ...base, user: 'sluice' }, 'password'],
    [{ ...base, password: 'env://P' }, 'user'],
  ];
  for (const [options, path] of refused) {
    const result = connectionSpec.safeParse(options);
    assert.ok(!result.success, JSON.stringify(options));
    assert.equal(result.error.issues[0]?.path.join('.'), path, JSON.stringify(options));
  }
  for (const ok of [{ token: 'env://T' }, { user: 'sluice', password: 'vault://kv/nats#password' }, { nkeySeed: 'file:///run/secrets/seed' }, { creds: 'sluice://nats-creds' }, {}]) {
    assert.ok(connectionSpec.safeParse({ ...base, ...ok }).success, JSON.stringify(ok));
  }
});

test('stream, consumer and subject names: what the server would read as wildcards or separators is refused', () => {
  const valid = (schema: z.ZodType, text: string) => schema.safeParse(text).success;
  for (const name of ['ORDERS', 'orders-v2', 'sluice_orders', 'Ünïcode']) {
    assert.ok(valid(streamNameSchema, name), name);
    assert.ok(valid(consumerNameSchema, name), name);
  }
  for (const name of ['', 'a.b', 'a*', 'a>', 'a b', 'a/b', 'a\\b', 'a\tb', 'a\u0000b', 'x'.repeat(256)]) {
    assert.ok(!valid(streamNameSchema, name), JSON.stringify(name));
    assert.ok(!valid(consumerNameSchema, name), JSON.stringify(name));
  }
  for (const subject of ['orders', 'orders.created', 'a.b.c-d_e']) assert.ok(valid(publishSubjectSchema, subject), subject);
  for (const subject of ['', 'orders.*', 'orders.>', '>', 'a..b', '.a', 'a.', 'a b']) assert.ok(!valid(publishSubjectSchema, subject), subject);
  for (const filter of ['orders', 'orders.*', 'orders.>', '>', '*.created', '*.*.x.>']) assert.ok(valid(subjectFilterSchema, filter), filter);
  for (const filter of ['', 'orders.>.x', 'a..b', 'or*ders', 'a>', 'a b', '>.a']) assert.ok(!valid(subjectFilterSchema, filter), filter);
});

test('subjects built from valid tokens are accepted for publishing and as filters (property)', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
  fc.assert(
    fc.property(fc.array(token, { minLength: 1, maxLength: 6 }), (tokens) => {
      const subject = tokens.join('.');
      assert.ok(publishSubjectSchema.safeParse(subject).success, subject);
      assert.ok(subjectFilterSchema.safeParse(subject).success, subject);
      assert.ok(subjectFilterSchema.safeParse(`${subject}.>`).success);
      assert.ok(!publishSubjectSchema.safeParse(`${subject}.*`).success);
    }),
  );
});
