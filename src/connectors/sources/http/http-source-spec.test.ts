// The http source's options: examples parse, and the refusals say why (http://, credentials in plain text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { httpSource } from './http-source.ts';
import { httpSourceSpec } from './http-source-spec.ts';

function problems(options: Record<string, unknown>): string {
  const result = httpSourceSpec.safeParse(options);
  assert.equal(result.success, false, 'the options should be refused');
  return z.prettifyError(result.error);
}

test('every example of the http source parses, with the defaults filled in', () => {
  for (const example of httpSource.examples) httpSourceSpec.parse(example);
  const parsed = httpSourceSpec.parse({ url: 'https://api.example.com/x' });
  assert.equal(parsed.maxPages, 10_000);
  assert.equal(parsed.maxResponseBytes, 64 * 1024 * 1024);
  assert.deepEqual(parsed.timeouts, { connectMs: 10_000, headersMs: 30_000, requestMs: 120_000 });
  assert.deepEqual(parsed.retry, { attempts: 5, initialDelayMs: 500, maxWaitMs: 60_000 });
  assert.equal(parsed.maxRedirects, 5);
});

test('plain-text downgrade: an http:// url (or tokenUrl) is refused with the reason', () => {
  assert.match(problems({ url: 'http://api.example.com/x' }), /http:\/\/ is refused: it sends the data and the credentials in clear text/);
  const oauth2 = { tokenUrl: 'http://auth.example.com/token', clientId: 'c', clientSecret: 'env://S' };
  assert.match(problems({ url: 'https://api.example.com/x', auth: { oauth2 } }), /http:\/\/ is refused/);
  assert.match(problems({ url: 'ftp://api.example.com/x' }), /not supported/);
  assert.match(problems({ url: '/relative' }), /not an absolute URL/);
});

test('credentials in plain text are refused: in the url, in headers, or as a literal in auth', () => {
  assert.match(problems({ url: 'https://user:pw@api.example.com/x' }), /cannot carry credentials/);
  for (const header of ['Authorization', 'cookie', 'X-Api-Key', 'X-Auth-Token', 'client-secret', 'Ocp-Apim-Subscription-Key', 'X-Auth-Key', 'X-Session-Id', 'X-Amz-Security-Token', 'X-Signature', 'Key']) {
    assert.match(problems({ url: 'https://api.example.com/x', headers: { [header]: 'v' } }), /carries a credential: use auth/, header);
  }
  for (const header of ['Accept', 'X-Api-Version', 'X-Request-Id', 'X-Keyword', 'Monkey']) {
    assert.equal(httpSourceSpec.safeParse({ url: 'https://api.example.com/x', headers: { [header]: 'v' } }).success, true, header);
  }
  assert.match(problems({ url: 'https://api.example.com/x', headers: { Host: 'evil' } }), /set by the HTTP client/);
  assert.match(problems({ url: 'https://api.example.com/x', headers: { Accept: 'a\r\nX: y' } }), /line break/);
  assert.match(problems({ url: 'https://api.example.com/x', auth: { bearer: 'eyJhbGciOi.literal.token' } }), /secret reference/);
  assert.match(problems({ url: 'https://api.example.com/x', auth: { basic: { username: 'u', password: 'hunter22' } } }), /secret reference/);
});

test('auth takes exactly one method; allow and allowPrivateAddresses entries are checked', () => {
  assert.match(problems({ url: 'https://api.example.com/x', auth: { bearer: 'env://A', apiKey: { header: 'X-Key', value: 'env://B' } } }), /exactly one/);
  assert.match(problems({ url: 'https://api.example.com/x', auth: {} }), /exactly one/);
  assert.match(problems({ url: 'https://api.example.com/x', auth: { apiKey: { header: 'Host', value: 'env://K' } } }), /set by the HTTP client/);
  assert.match(problems({ url: 'https://api.example.com/x', auth: { basic: { username: 'a:b', password: 'env://P' } } }), /colon/);
  assert.match(problems({ url: 'https://api.example.com/x', allow: ['https://evil.example.com/path'] }), /host or host:port only/);
  assert.match(problems({ url: 'https://api.example.com/x', allowPrivateAddresses: ['localhost'] }), /not an IP address or a CIDR range/);
  assert.match(problems({ url: 'https://api.example.com/x', unknown: 1 }), /unknown|Unrecognized/i);
});
