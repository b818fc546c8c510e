// The scanner as a whole: spans are values, provider rules win over the generic one, several secrets in one
// text, prose with PII raises nothing, the scan is linear on hostile input, and for any input it never throws
// and returns sorted, disjoint, in-bounds spans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scanSecrets } from './scan.ts';
import { mixedText } from '../../../bench/mixed-text.ts';
import { ALNUM, HEX, fakeGenerator, withGithubChecksum } from './fake-tokens.ts';

const fake = fakeGenerator(2024);
const ghp = withGithubChecksum('ghp_', fake(ALNUM, 30));
const stripe = 'sk_live_' + fake(ALNUM, 24);

test('scan: a provider rule names the secret even when the generic rule also sees it', () => {
  const text = `GITHUB_TOKEN=${ghp}`;
  const matches = scanSecrets(text);
  assert.equal(matches.length, 1);
  assert.equal(matches[0]?.rule, 'github-token');
  assert.equal(text.slice(matches[0].start, matches[0].end), ghp);
  assert.equal(matches[0].confidence, 0.99);
});

test('scan: several secrets in one text come back sorted, each with its own span', () => {
  const aws = 'AKIA' + fake('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 13) + '257';
  const text = `# deploy\naws_key_id = ${aws}\nstripe: "${stripe}"\nnotes: call ops\ntoken=${ghp}\n`;
  const found = scanSecrets(text).map((m) => [m.rule, text.slice(m.start, m.end)]);
  assert.deepEqual(found, [
    ['aws-access-key-id', aws],
    ['stripe-secret-key', stripe],
    ['github-token', ghp],
  ]);
});

test('scan: prose with PII (the detection benchmark text) raises nothing', () => {
  const lines = mixedText(200_000, 3);
  for (const line of lines) assert.deepEqual(scanSecrets(line), [], line);
  assert.deepEqual(scanSecrets(lines.join('\n')), []);
});

test('scan: empty and tiny texts', () => {
  for (const text of ['', ' ', 'a', '=', ':', '-----', 'ghp_', '://', 'curl']) assert.deepEqual(scanSecrets(text), []);
});

test('scan: the result depends only on the text (no state leaks between scans)', () => {
  const texts = [`password = "${fake(ALNUM, 20)}"`, `x ${ghp} y`, fake(ALNUM, 5000), `token: ${fake(HEX, 40)}`];
  const first = texts.map((t) => JSON.stringify(scanSecrets(t)));
  for (let round = 0; round < 3; round++) for (const [i, t] of texts.entries()) assert.equal(JSON.stringify(scanSecrets(t)), first[i]);
});

test('scan: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const n = 200_000;
  const rep = (s: string): string => s.repeat(Math.ceil(n / s.length)).slice(0, n);
  const inputs = [
    'a'.repeat(n), 'A'.repeat(n), '='.repeat(n), ':'.repeat(n), '-'.repeat(n), rep('a='), rep('key='), rep('token="'), rep('"token": "'), rep('password = "'),
    rep('-----BEGIN RSA PRIVATE KEY-----'), rep('-----BEGIN A PRIVATE KEY-----' + '-'.repeat(10)) + '-----END A PRIVATE KEY-----', rep('ey-'), rep('eyJaaaaaaaaaaaaaaaaaaaa.'),
    rep('ops_eyJ/'), rep('ZXlK/'), rep('ghp_-'), rep('https://a:b@'), rep('curl -u a:bcdefg '), rep('-u a:bcdefgh \\\n'), 'kind: Secret\ndata:\n' + rep('  a: YWJjZGVmZ2hpams=\n'),
    'kind: Secret\ndata:\n  a:' + ' '.repeat(n) + 'x', rep('Q~'), rep('-us'), rep('.atlasv1.'), rep('1234567890123456|'), rep('12345678:A'), rep('xoxb-1234567890-'), rep('a.'),
    rep('hooks.slack.com/'), rep('",'), rep('<a>'), rep('AbCdEf0123456789+/'), rep('value="x" '), rep('--token '), rep(`${fake(ALNUM, 40)} `),
  ];
  for (const text of inputs) {
    const started = performance.now();
    scanSecrets(text);
    const ms = performance.now() - started;
    assert.ok(ms < 2000, `${JSON.stringify(text.slice(0, 30))}… took ${ms.toFixed(0)} ms`);
  }
});

/** Fragments that reach every rule's code path, to build adversarial texts from. */
const FRAGMENTS = [
  'ghp_', 'xoxb-', 'AKIA', 'sk_live_', 'eyJ', 'ZXlK', '-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----', 'PuTTY-User-Key-File-2', 'Private-Lines: 1\n', 'https://', '://', '@', 'curl ',
  ' -u ', '--user ', '--token ', 'kind: Secret\n', 'data:\n', '  key: ', 'password', ' = ', ': ', ':=', '=>', '"', "'", '`', ',', '(', ')', '<a>', '</a>', '\n', '\\n', '\\"', 'Q~', '.atlasv1.',
  '-us12', '12345678:A', '1234567890123456|', 'Bearer ', 'Basic ', 'BUNDLE_A__B: ', '{{', '${', 'é', '😀', '\u0000',
];

test('scan: for any text it never throws and returns sorted, disjoint, in-bounds spans', () => {
  const token = fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ unit: fc.constantFrom(...ALNUM.split('')), minLength: 1, maxLength: 60 }), fc.string({ maxLength: 20 }));
  fc.assert(
    fc.property(fc.array(token, { maxLength: 40 }).map((parts) => parts.join('')), (text) => {
      const matches = scanSecrets(text);
      let previousEnd = 0;
      for (const m of matches) {
        assert.ok(Number.isInteger(m.start) && Number.isInteger(m.end));
        assert.ok(m.start >= previousEnd && m.start < m.end && m.end <= text.length, JSON.stringify(m));
        assert.ok(m.confidence > 0 && m.confidence <= 1);
        assert.ok(m.rule.length > 0);
        previousEnd = m.end;
      }
    }),
    { numRuns: 2000 },
  );
});

test('scan: for any string it never throws', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
      for (const m of scanSecrets(text)) assert.ok(m.start >= 0 && m.end <= text.length && m.start < m.end);
    }),
    { numRuns: 1000 },
  );
});
