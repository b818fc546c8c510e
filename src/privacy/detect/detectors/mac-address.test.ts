// The MAC_ADDRESS detector: colon, hyphen (IEEE 802 canonical) and Cisco dotted forms, one separator per
// address, addresses that name no device, longer hex runs; linear time on hostile input, spans that hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { macAddressDetector } from './mac-address.ts';

const found = (text: string): string[] => macAddressDetector.detect(text).map((m) => text.slice(m.start, m.end));

const cases: { name: string; text: string; expect: string[] }[] = [
  { name: 'colons', text: 'My MAC address is 00:1A:2B:3C:4D:5E', expect: ['00:1A:2B:3C:4D:5E'] },
  { name: 'lower case', text: 'Lowercase MAC: 0a:23:f5:67:89:ac', expect: ['0a:23:f5:67:89:ac'] },
  { name: 'hyphens (IEEE 802 canonical form)', text: 'Hardware address: AA-BB-CC-DD-EE-FF', expect: ['AA-BB-CC-DD-EE-FF'] },
  { name: 'mixed case', text: 'Mixedcase MAC: 0d-B3-4a-6A-d9-cF', expect: ['0d-B3-4a-6A-d9-cF'] },
  { name: 'Cisco dotted triples', text: 'Cisco MAC: 0012.3456.789A, aabb.ccdd.eeff', expect: ['0012.3456.789A', 'aabb.ccdd.eeff'] },
  { name: 'several forms in one text', text: 'MACs: 00:11:22:33:44:55 and AA-BB-CC-DD-EE-FF', expect: ['00:11:22:33:44:55', 'AA-BB-CC-DD-EE-FF'] },
  { name: 'punctuation around', text: '(00:11:22:33:44:55), [00-11-22-33-44-66]. "0012.3456.789a".', expect: ['00:11:22:33:44:55', '00-11-22-33-44-66', '0012.3456.789a'] },
  { name: 'a MAC right after "MAC="', text: 'SRC=de:ad:be:ef:00:01 DST=00:1b:44:11:3a:b7', expect: ['de:ad:be:ef:00:01', '00:1b:44:11:3a:b7'] },
  // Denials.
  { name: 'five groups', text: 'Not a MAC: 00:1A:2B:3C:4D', expect: [] },
  { name: 'non-hex digits', text: 'Invalid: ZZ:ZZ:ZZ:ZZ:ZZ:ZZ', expect: [] },
  { name: 'broadcast', text: 'Broadcast: FF:FF:FF:FF:FF:FF', expect: [] },
  { name: 'all zeros', text: 'Invalid: 00:00:00:00:00:00 0000.0000.0000', expect: [] },
  { name: 'mixed separators', text: 'Mixed: 10:2F:33-AC-29-C3', expect: [] },
  { name: 'seven or eight groups (EUI-64, fingerprints)', text: '00:11:22:33:44:55:66 00:11:22:33:44:55:66:77', expect: [] },
  { name: 'a hash fingerprint', text: 'SHA256 43:51:43:a1:b5:fc:8b:b7:0a:3a:a9:b1:0f:66:73:a8', expect: [] },
  { name: 'glued to letters or digits', text: 'x00:11:22:33:44:55 00:11:22:33:44:55y 100:11:22:33:44:55', expect: [] },
  { name: 'three-digit groups', text: '001:122:334:455:667:788', expect: [] },
  { name: 'a dotted run longer than three groups', text: '0012.3456.789a.bcde', expect: [] },
  { name: 'an IPv6 address', text: '2001:db8:85a3::8a2e:370:7334', expect: [] },
  { name: 'clock times and dates', text: '12:34:56 2024-01-02 10-20-30-40', expect: [] },
];

for (const c of cases) {
  test(`mac: ${c.name}`, () => {
    assert.deepEqual(found(c.text), c.expect);
  });
}

test('mac: context words raise the confidence', () => {
  const [plain] = macAddressDetector.detect('x 00:1A:2B:3C:4D:5E');
  const [boosted] = macAddressDetector.detect('mac address 00:1A:2B:3C:4D:5E');
  assert.ok(plain && boosted);
  assert.ok(boosted.confidence > plain.confidence);
});

test('mac: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = ['aa:'.repeat(33_000), 'aa-'.repeat(33_000), 'aaaa.'.repeat(20_000), ':'.repeat(100_000), '-'.repeat(100_000), '.'.repeat(100_000), '00:11:22:33:44:55 '.repeat(5_000), 'a'.repeat(100_000)];
  for (const input of inputs) macAddressDetector.detect(input);
});

const alphabet = fc.constantFrom('0', 'a', 'F', 'f', 'g', ':', '-', '.', ' ', '1', 'é', '\ud800');

test('mac: never throws, and every span is in bounds and found again on its own', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 80 })), (text) => {
      for (const m of macAddressDetector.detect(text)) {
        assert.equal(m.type, 'MAC_ADDRESS');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence > 0 && m.confidence <= 1);
        const value = text.slice(m.start, m.end);
        assert.deepEqual(found(value), [value], JSON.stringify(text));
      }
    }),
    { seed: 20261130, numRuns: 3000 },
  );
});

test('mac: any device address in any of the three forms is found whole', () => {
  const bytes = fc.uint8Array({ minLength: 6, maxLength: 6 }).filter((b) => b.some((x) => x !== 0) && b.some((x) => x !== 0xff));
  fc.assert(
    fc.property(bytes, fc.constantFrom(':', '-', '.'), fc.boolean(), (b, separator, upper) => {
      const hex = Buffer.from(b).toString('hex');
      let address = separator === '.' ? hex.match(/.{4}/g)!.join('.') : hex.match(/.{2}/g)!.join(separator);
      if (upper) address = address.toUpperCase();
      assert.deepEqual(found(`device ${address} online`), [address]);
    }),
    { seed: 20261130, numRuns: 1000 },
  );
});
