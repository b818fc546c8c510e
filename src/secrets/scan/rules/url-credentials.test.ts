// Connection-string passwords, curl credentials and HTTP Basic credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanSecrets } from '../scan.ts';
import { isBasicCredential } from './url-credentials.ts';

const values = (text: string, rule: string): string[] => scanSecrets(text).filter((m) => m.rule === rule).map((m) => text.slice(m.start, m.end));

test('url passwords: the password of a URL with userinfo, whatever the scheme', () => {
  const cases: [string, string][] = [
    ['postgres://app:Tr0ub4dor-3xq@db.internal:5432/app', 'Tr0ub4dor-3xq'],
    ['mongodb+srv://admin:h7Gq2pLz9Ww@cluster0.mongodb.net/test?retryWrites=true', 'h7Gq2pLz9Ww'],
    ['amqp://guest:Zq8vN1xk@rabbit:5672/', 'Zq8vN1xk'],
    ['REDIS_URL=redis://:p4ssW0rdRx9@cache:6379/0', 'p4ssW0rdRx9'],
    ['see https://cafeb4b3:d3adb33f@enterprise.contribsys.com/ for the gems', 'd3adb33f'],
  ];
  for (const [text, password] of cases) assert.deepEqual(values(text, 'url-password'), [password], text);
});

test('url passwords: no password, a placeholder, a template or a reference is not one', () => {
  for (const text of [
    'https://user@example.com/',
    'https://example.com:8443/path@v2',
    'postgres://user:password@localhost/db',
    'postgres://user:${DB_PASSWORD}@localhost/db',
    'https://abc:xyz@example.com',
    'mysql://root:<password>@127.0.0.1:3306',
    'redis://:$REDIS_PASS@cache:6379',
    'http://[::1]:8080/',
  ]) {
    assert.deepEqual(values(text, 'url-password'), [], text);
  }
});

test('curl: -u and --user credentials, quoted or not, across continued lines', () => {
  const cases: [string, string][] = [
    ['curl --cacert ca.crt -u elastic:P@ssw0rd$1 https://localhost:9200', 'elastic:P@ssw0rd$1'],
    ["curl -s --user 'api:d2LkV78zLx!t' https://api.example.com", "'api:d2LkV78zLx!t'"],
    ['curl -u "d2LkV78zLx!t:" https://localhost:9200', '"d2LkV78zLx!t:"'],
    ["curl -X POST \\\n  -H 'Content-type: text/plain' \\\n  -u developer:yqDVtkqPECriaLRi", 'developer:yqDVtkqPECriaLRi'],
  ];
  for (const [text, arg] of cases) assert.deepEqual(values(text, 'curl-user-password'), [arg], text);
});

test('curl: placeholders, templates and commands other than curl are left alone', () => {
  for (const text of [
    "curl -i -u 'test:test'",
    'curl -u <user:password> https://test.com/endpoint',
    'curl -u "${_username}:${_password}"',
    'curl --user "$GITHUB_USERNAME:$GITHUB_PASSWORD" "$GITHUB_URL"',
    'curl http://127.0.0.1:5000/file --user user:pass --digest',
    'curl -u username:token',
    'ssh -u admin:Zq8vN1xkLp host',
    'curl https://example.com\nls -u admin:Zq8vN1xkLp',
  ]) {
    assert.deepEqual(values(text, 'curl-user-password'), [], text);
  }
});

test('basic credentials: base64 of user:password (RFC 7617)', () => {
  assert.ok(isBasicCredential(Buffer.from('aladdin:opensesame').toString('base64')));
  assert.ok(isBasicCredential(Buffer.from('api-key-as-user:').toString('base64')));
  assert.ok(!isBasicCredential(Buffer.from('no colon here').toString('base64')));
  assert.ok(!isBasicCredential('not base64!'));
});
