// The URL detector: scheme, www. and bare-domain URLs, where a URL ends in running text, and what is not one
// (files, versions, abbreviations, e-mail domains); linear time on hostile input, and spans that always hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { urlDetector } from './url.ts';

const found = (text: string): string[] => urlDetector.detect(text).map((m) => text.slice(m.start, m.end));

const cases: { name: string; text: string; expect: string[] }[] = [
  { name: 'https with a path', text: 'https://www.microsoft.com/store/abc/', expect: ['https://www.microsoft.com/store/abc/'] },
  { name: 'http without a path', text: 'http://microsoft.com', expect: ['http://microsoft.com'] },
  { name: 'any alphabetic TLD after a scheme', text: 'http://microsoft.site http://microsoft.webcam http://microsoft.vlaanderen', expect: ['http://microsoft.site', 'http://microsoft.webcam', 'http://microsoft.vlaanderen'] },
  { name: 'a query string', text: 'https://webhook.site/a8eedfd6-9d8a-44e0-b0fc-cc7d517db5dc?q=1&b=2', expect: ['https://webhook.site/a8eedfd6-9d8a-44e0-b0fc-cc7d517db5dc?q=1&b=2'] },
  { name: 'ftp, a port, user info and a fragment (RFC 3986 §3.2)', text: 'ftp://anon:pw@ftp.example.org:2121/pub/file.txt#top', expect: ['ftp://anon:pw@ftp.example.org:2121/pub/file.txt#top'] },
  { name: 'an upper-case scheme', text: 'HTTPS://EXAMPLE.COM/A', expect: ['HTTPS://EXAMPLE.COM/A'] },
  { name: 'an IPv4 host', text: 'admin at http://192.168.0.1:8080/admin', expect: ['http://192.168.0.1:8080/admin'] },
  { name: 'an IPv6 literal host (RFC 3986 §3.2.2)', text: 'Visit http://[2001:db8::1]/path', expect: ['http://[2001:db8::1]/path'] },
  { name: 'www. without a scheme', text: 'see www.example.org/a?b=c.', expect: ['www.example.org/a?b=c'] },
  { name: 'www2. and an uncommon TLD', text: 'www2.example.bayern', expect: ['www2.example.bayern'] },
  { name: 'a bare domain', text: 'microsoft.com', expect: ['microsoft.com'] },
  { name: 'bare domains with a second-level TLD', text: 'my domains: microsoft.com google.co.il', expect: ['microsoft.com', 'google.co.il'] },
  { name: 'a bare domain with a path', text: 'docs at docs.python.org/3/library/re.html', expect: ['docs.python.org/3/library/re.html'] },
  { name: 'a punycode TLD', text: 'пример.xn--p1ai', expect: ['пример.xn--p1ai'] },
  { name: 'Unicode domains and paths', text: 'https://bücher.de/straße?x=1 and https://例子.广告/路径', expect: ['https://bücher.de/straße?x=1', 'https://例子.广告/路径'] },
  { name: 'a domain written in capitals', text: 'VISIT GOOGLE.COM NOW', expect: ['GOOGLE.COM'] },
  // Where a URL ends.
  { name: 'sentence punctuation after a URL', text: 'Go to https://example.com/a. Or https://example.com/b, or https://example.com/c!', expect: ['https://example.com/a', 'https://example.com/b', 'https://example.com/c'] },
  { name: 'a URL in parentheses', text: '(see https://example.com/x)', expect: ['https://example.com/x'] },
  { name: 'balanced parentheses belong to the URL', text: 'https://en.wikipedia.org/wiki/Foo_(bar)).', expect: ['https://en.wikipedia.org/wiki/Foo_(bar)'] },
  { name: 'quotes around a URL', text: `'https://presidio.dataprivacystack.org/' "https://example.org/"`, expect: ['https://presidio.dataprivacystack.org/', 'https://example.org/'] },
  { name: 'typographic quotes around a URL', text: '“https://example.com/a” «www.example.fr»', expect: ['https://example.com/a', 'www.example.fr'] },
  { name: 'a URL in Markdown', text: '[docs](https://example.com/docs) <https://example.com/x>', expect: ['https://example.com/docs', 'https://example.com/x'] },
  { name: 'Han text around a URL', text: '访问https://example.com谢谢 请访问microsoft.com谢谢', expect: ['https://example.com', 'microsoft.com'] },
  { name: 'a sentence-ending dot after a bare domain', text: 'the site is microsoft.com.', expect: ['microsoft.com'] },
  // Denials.
  { name: 'www. and a name without a TLD', text: 'www.microsoft', expect: [] },
  { name: 'a scheme and a single label', text: 'http://microsoft', expect: [] },
  { name: 'localhost', text: 'http://localhost:3000/x', expect: [] },
  { name: 'quoted www. without a TLD', text: "'www.microsoft'", expect: [] },
  { name: 'file names', text: 'report.pdf index.html photo.jpg data.json main.go setup.py README.md main.tf lib.rs archive.zip', expect: [] },
  { name: 'version strings and numbers', text: 'v1.2.3 version 2.4.1 pi is 3.14', expect: [] },
  { name: 'abbreviations', text: 'e.g. i.e. U.S.A. Ph.D. a.m. etc.', expect: [] },
  { name: 'a missing space after a full stop', text: 'It rained.It was cold.So we left.', expect: [] },
  { name: 'the domain of an e-mail address', text: 'write to john@mail.example.com or john.de@x.com', expect: [] },
  { name: 'a domain inside a path', text: '/var/www/example.com/index.html C:\\sites\\example.com', expect: [] },
  { name: 'an unknown bare TLD', text: 'object.property value.thing', expect: [] },
  { name: 'member access in code', text: 'this.state.user.id; self.name.io; df.at[0]', expect: [] },
  { name: 'a TLD glued to more letters', text: 'microsoft.comfy microsoft.com_x', expect: [] },
  { name: 'a scheme glued to a word', text: 'xhttp://example.com', expect: [] },
];

for (const c of cases) {
  test(`url: ${c.name}`, () => {
    assert.deepEqual(found(c.text), c.expect);
  });
}

test('url: a scheme gives more confidence than a bare domain, and context words raise it', () => {
  const [scheme] = urlDetector.detect('https://example.com');
  const [bare] = urlDetector.detect('example.com');
  const [boosted] = urlDetector.detect('website: example.com');
  assert.ok(scheme && bare && boosted);
  assert.ok(scheme.confidence > bare.confidence);
  assert.ok(boosted.confidence > bare.confidence);
});

test('url: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = [
    '1.1.'.repeat(25_000),
    `${'a.'.repeat(50_000)}com`,
    'de.'.repeat(33_000),
    'http://'.repeat(15_000),
    'www.'.repeat(25_000),
    'a.com/'.repeat(16_000),
    `http://a.com/${'('.repeat(100_000)}`,
    `http://a.com/${')'.repeat(100_000)}`,
    `http://a.com/${'.'.repeat(100_000)}`,
    'http://['.repeat(12_000),
    `http://${'a'.repeat(100_000)}.com`,
    `${'a'.repeat(100_000)}.com`,
    'x.com '.repeat(16_000),
    `${'a-'.repeat(50_000)}.com`,
    `https://a.com/${'é'.repeat(100_000)}`,
    'a.com/http://b.com/'.repeat(5_000),
  ];
  for (const input of inputs) urlDetector.detect(input);
});

const alphabet = fc.constantFrom('a', 'w', 'W', 'c', 'o', 'm', 'd', 'e', '.', '/', ':', 'h', 't', 'p', 's', '(', ')', ' ', '"', '@', '-', '?', '#', '[', ']', '1', 'é', '谢', '。', '\ud800', '\udc00');

test('url: never throws, and every span is in bounds and found again on its own', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 80 })), (text) => {
      for (const m of urlDetector.detect(text)) {
        assert.equal(m.type, 'URL');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence > 0 && m.confidence <= 1);
        const value = text.slice(m.start, m.end);
        assert.deepEqual(found(value), [value], JSON.stringify(text));
      }
    }),
    { seed: 20261130, numRuns: 3000 },
  );
});

test('url: a URL between spaces is always found whole', () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
  const path = fc.stringMatching(/^(\/[a-z0-9_~-]{0,8}){0,3}$/);
  fc.assert(
    fc.property(fc.constantFrom('https://', 'http://www.', 'www.', ''), label, fc.constantFrom('com', 'org', 'de', 'co.uk', 'io', 'app'), path, (prefix, host, tld, rest) => {
      const url = `${prefix}${host}.${tld}${rest}`;
      const text = `see ${url} now`;
      assert.deepEqual(found(text), [url]);
    }),
    { seed: 20261130, numRuns: 1000 },
  );
});
