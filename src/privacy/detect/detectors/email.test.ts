// The EMAIL detector: RFC 5322 dot-atoms, internationalised addresses (RFC 6531, IDNA), the edges of an address
// in running text, the shapes that are not addresses, linear time on hostile input, and spans that always hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emailDetector } from './email.ts';

const found = (text: string): string[] => emailDetector.detect(text).map((m) => text.slice(m.start, m.end));

const cases: { name: string; text: string; expect: string[] }[] = [
  { name: 'a plain address', text: 'info@presidio.site', expect: ['info@presidio.site'] },
  { name: 'two addresses in a sentence', text: 'try info@presidio.site or anotherinfo@presidio.site', expect: ['info@presidio.site', 'anotherinfo@presidio.site'] },
  { name: 'dots, plus tags and hyphens (RFC 5322 atext)', text: 'user.name+tag-x@sub.example.co.uk', expect: ['user.name+tag-x@sub.example.co.uk'] },
  { name: 'an apostrophe inside a local part', text: "write to o'brien@example.ie today", expect: ["o'brien@example.ie"] },
  { name: 'a punycode domain (RFC 3492 A-labels)', text: 'my email is user@xn--80ak6aa92e.com today', expect: ['user@xn--80ak6aa92e.com'] },
  { name: 'a punycode TLD', text: 'a@xn--d1acufc.xn--p1ai', expect: ['a@xn--d1acufc.xn--p1ai'] },
  { name: 'a Unicode local part and domain (RFC 6531, IDNA U-labels)', text: '用户@例子.广告', expect: ['用户@例子.广告'] },
  { name: 'Latin letters with accents', text: 'josé@bücher.de, José.Pérez@correo.es', expect: ['josé@bücher.de', 'José.Pérez@correo.es'] },
  { name: 'a Cyrillic address', text: 'почта: иван@пример.рф.', expect: ['иван@пример.рф'] },
  { name: 'ideographic full stops separate labels (RFC 3490 §3.1)', text: '用户@例子。广告', expect: ['用户@例子。广告'] },
  { name: 'Han text around an ASCII address is not part of it', text: '请联系john@example.com谢谢', expect: ['john@example.com'] },
  { name: 'quotes and brackets around an address are prose', text: `'a@example.com' "b@example.com" <c@example.com> (d@example.com)`, expect: ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'] },
  { name: 'a sentence-ending dot is not part of the domain', text: 'Mail info@presidio.site.', expect: ['info@presidio.site'] },
  { name: 'a mailto: link', text: 'mailto:jane@example.org?subject=hi', expect: ['jane@example.org'] },
  { name: 'an upper-case address', text: 'JOHN.DOE@EXAMPLE.COM', expect: ['JOHN.DOE@EXAMPLE.COM'] },
  { name: 'a ".." cuts the local part (no empty atoms)', text: 'a..b@example.com', expect: ['b@example.com'] },
  // Denials.
  { name: 'a domain with a trailing dot and no TLD', text: 'my email is info@presidio.', expect: [] },
  { name: 'no @', text: 'this is not an email: hello-world here', expect: [] },
  { name: 'a single-label domain', text: 'root@localhost', expect: [] },
  { name: 'a one-letter TLD', text: 'a@b.c', expect: [] },
  { name: 'a numeric TLD', text: 'admin@192.168.0.1', expect: [] },
  { name: 'a file name with an @ (retina images)', text: 'icon@2x.png and logo@3x.jpg', expect: [] },
  { name: 'a local part ending with a dot', text: 'john.@example.com', expect: [] },
  { name: 'a label starting with a hyphen', text: 'john@-example.com', expect: [] },
  { name: 'a local part longer than 64 (RFC 5321 §4.5.3.1.1)', text: `${'a'.repeat(65)}@example.com`, expect: [] },
  { name: 'an at sign alone or a handle', text: 'ping @john or @ here', expect: [] },
  { name: 'a decorator', text: '@Component({ selector: "x" })', expect: [] },
];

for (const c of cases) {
  test(`email: ${c.name}`, () => {
    assert.deepEqual(found(c.text), c.expect);
  });
}

test('email: a context word raises the confidence', () => {
  const [plain] = emailDetector.detect('reach a@example.com');
  const [boosted] = emailDetector.detect('email: a@example.com');
  assert.ok(plain && boosted);
  assert.ok(boosted.confidence > plain.confidence);
});

test('email: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = [
    `a@${'a.'.repeat(50_000)}`,
    '@'.repeat(100_000),
    'a@'.repeat(50_000),
    `${'a'.repeat(100_000)}@example.com`,
    `x@${'-'.repeat(100_000)}`,
    `${'a.'.repeat(50_000)}@b`,
    `${'.'.repeat(100_000)}@`,
    'a@b.co '.repeat(15_000),
    `${'用'.repeat(50_000)}@${'例'.repeat(50_000)}`,
  ];
  for (const input of inputs) emailDetector.detect(input);
});

const alphabet = fc.constantFrom('a', 'Z', '0', '.', '@', '-', '_', '+', "'", ' ', 'x', 'n', '—', 'é', '用', '。', '\ud800', '\udc00', '😀');

test('email: never throws, and every span is in bounds and found again on its own', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 80 })), (text) => {
      for (const m of emailDetector.detect(text)) {
        assert.equal(m.type, 'EMAIL');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence > 0 && m.confidence <= 1);
        const value = text.slice(m.start, m.end);
        assert.ok(value.includes('@'));
        assert.deepEqual(found(value), [value]);
      }
    }),
    { seed: 20261130, numRuns: 3000 },
  );
});

test('email: an address between spaces is always found whole', () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
  const local = fc.stringMatching(/^[a-z0-9_]([a-z0-9._+-]{0,10}[a-z0-9_])?$/).filter((s) => !s.includes('..'));
  const tld = fc.constantFrom('com', 'org', 'de', 'io', 'co.uk', 'xn--p1ai');
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), local, label, tld, fc.string({ maxLength: 20 }), (before, user, host, top, after) => {
      const address = `${user}@${host}.${top}`;
      const text = `${before} ${address} ${after}`;
      assert.ok(found(text).includes(address), `${JSON.stringify(text)} -> ${JSON.stringify(found(text))}`);
    }),
    { seed: 20261130, numRuns: 1000 },
  );
});
