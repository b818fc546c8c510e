// The IBAN detector: the SWIFT registry's example IBANs, compact and grouped, the ISO 7064 MOD 97-10 guarantees
// (every changed or swapped digit caught), length, structure and boundary denials; linear time on hostile input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ibanDetector } from './iban.ts';

const found = (text: string): string[] => ibanDetector.detect(text).map((m) => text.slice(m.start, m.end));

// The example IBAN of each country in the SWIFT IBAN Registry, in print form.
const REGISTRY_EXAMPLES = [
  'AD12 0001 2030 2003 5910 0100', 'AE07 0331 2345 6789 0123 456', 'AL47 2121 1009 0000 0002 3569 8741',
  'AT61 1904 3002 3457 3201', 'AZ21 NABZ 0000 0000 1370 1000 1944', 'BA39 1290 0794 0102 8494', 'BE68 5390 0754 7034',
  'BG80 BNBG 9661 1020 3456 78', 'BH67 BMAG 0000 1299 1234 56', 'BI42 1000 0100 0100 0033 2045 181',
  'BR18 0036 0305 0000 1000 9795 493C 1', 'BY13 NBRB 3600 9000 0000 2Z00 AB00', 'CH93 0076 2011 6238 5295 7',
  'CR05 0152 0200 1026 2840 66', 'CY17 0020 0128 0000 0012 0052 7600', 'CZ65 0800 0000 1920 0014 5399',
  'DE89 3704 0044 0532 0130 00', 'DJ21 0001 0000 0001 5400 0100 186', 'DK50 0040 0440 1162 43',
  'DO28 BAGR 0000 0001 2124 5361 1324', 'EE38 2200 2210 2014 5685', 'EG38 0019 0005 0000 0000 2631 8000 2',
  'ES91 2100 0418 4502 0005 1332', 'FI21 1234 5600 0007 85', 'FK88 SC12 3456 7890 12', 'FO62 6460 0001 6316 34',
  'FR14 2004 1010 0505 0001 3M02 606', 'GB29 NWBK 6016 1331 9268 19', 'GE29 NB00 0000 0101 9049 17',
  'GI75 NWBK 0000 0000 7099 453', 'GL89 6471 0001 0002 06', 'GR16 0110 1250 0000 0001 2300 695',
  'GT82 TRAJ 0102 0000 0012 1002 9690', 'HR12 1001 0051 8630 0016 0', 'HU42 1177 3016 1111 1018 0000 0000',
  'IE29 AIBK 9311 5212 3456 78', 'IL62 0108 0000 0009 9999 999', 'IQ98 NBIQ 8501 2345 6789 012',
  'IS14 0159 2600 7654 5510 7303 39', 'IT60 X054 2811 1010 0000 0123 456', 'JO94 CBJO 0010 0000 0000 0131 0003 02',
  'KW81 CBKU 0000 0000 0000 1234 5601 01', 'KZ86 125K ZT50 0410 0100', 'LB62 0999 0000 0001 0019 0122 9114',
  'LC55 HEMM 0001 0001 0012 0012 0002 3015', 'LI21 0881 0000 2324 013A A', 'LT12 1000 0111 0100 1000',
  'LU28 0019 4006 4475 0000', 'LV80 BANK 0000 4351 9500 1', 'LY83 0020 4800 0020 1001 2036 1',
  'MC58 1122 2000 0101 2345 6789 030', 'MD24 AG00 0225 1000 1310 4168', 'ME25 5050 0001 2345 6789 51',
  'MK07 2501 2000 0058 984', 'MN12 1234 1234 5678 9123', 'MR13 0002 0001 0100 0012 3456 753',
  'MT84 MALT 0110 0001 2345 MTLC AST0 01S', 'MU17 BOMM 0101 1010 3030 0200 000M UR', 'NI79 BAMC 0000 0000 0000 0312 3123',
  'NL91 ABNA 0417 1643 00', 'NO93 8601 1117 947', 'OM81 0180 0000 0129 9123 456', 'PK36 SCBL 0000 0011 2345 6702',
  'PL61 1090 1014 0000 0712 1981 2874', 'PS92 PALS 0000 0000 0400 1234 5670 2', 'PT50 0002 0123 1234 5678 9015 4',
  'QA58 DOHB 0000 1234 5678 90AB CDEF G', 'RO49 AAAA 1B31 0075 9384 0000', 'RS35 2600 0560 1001 6113 79',
  'RU02 0445 2560 0407 0281 0412 3456 7890 1', 'SA03 8000 0000 6080 1016 7519', 'SC18 SSCB 1101 0000 0000 0000 1497 USD',
  'SD21 2901 0501 2340 01', 'SE45 5000 0000 0583 9825 7466', 'SI56 2633 0001 2039 086', 'SK31 1200 0000 1987 4263 7541',
  'SM86 U032 2509 8000 0000 0270 100', 'SO21 1000 0010 0100 0100 141', 'ST23 0001 0001 0051 8453 1014 6',
  'SV62 CENR 0000 0000 0000 0070 0025', 'TL38 0080 0123 4567 8910 157', 'TN59 1000 6035 1835 9847 8831',
  'TR33 0006 1005 1978 6457 8413 26', 'UA21 3223 1300 0002 6007 2335 6600 1', 'VA59 0011 2300 0012 3456 78',
  'VG96 VPVG 0000 0123 4567 8901', 'XK05 1212 0123 4567 8906', 'YE15 CBYE 0001 0188 6123 4567 8912 34',
];

for (const iban of REGISTRY_EXAMPLES) {
  const compact = iban.replaceAll(' ', '');
  test(`iban: the registry example ${compact.slice(0, 2)} is found compact, grouped and hyphenated`, () => {
    assert.deepEqual(found(iban), [iban]);
    assert.deepEqual(found(compact), [compact]);
    assert.deepEqual(found(`IBAN: ${iban.replaceAll(' ', '-')}.`), [iban.replaceAll(' ', '-')]);
  });
}

const cases: { name: string; text: string; expect: string[] }[] = [
  { name: 'Wikipedia\'s example', text: 'Pay to GB82 WEST 1234 5698 7654 32 by Friday', expect: ['GB82 WEST 1234 5698 7654 32'] },
  { name: 'a list', text: 'list of ibans: AL47212110090000000235698741, AL47212110090000000235698741', expect: ['AL47212110090000000235698741', 'AL47212110090000000235698741'] },
  { name: 'a lone character group after a complete IBAN', text: 'this is an iban VG96 VPVG 0000 0123 4567 8901 X in a sentence', expect: ['VG96 VPVG 0000 0123 4567 8901'] },
  { name: 'capitals after a compact IBAN', text: 'AL47212110090000000235698741 ALL CAPS', expect: ['AL47212110090000000235698741'] },
  { name: 'non-breaking spaces between groups', text: 'FR14\u00a02004\u00a01010\u00a00505\u00a00001\u00a03M02\u00a0606', expect: ['FR14\u00a02004\u00a01010\u00a00505\u00a00001\u00a03M02\u00a0606'] },
  // Denials.
  { name: 'Wikipedia\'s invalid example (bad check digits)', text: 'GB82 TEST 1234 5698 7654 32', expect: [] },
  { name: 'a changed last digit', text: 'CY17 0020 0128 0000 0012 0052 7601 failed', expect: [] },
  { name: 'a letter where the registry says digits', text: 'AL47 212A 1009 0000 0002 3569 8741 NL91 1BNA 0417 1643 00', expect: [] },
  { name: 'a lower-case letter', text: 'GI75 aWBK 0000 0000 7099 453', expect: [] },
  { name: 'one character short', text: 'AD12000A203020035910010 BE6853900754703', expect: [] },
  { name: 'an unknown country code', text: 'AB150120690000003111141 AM47212110090000000235698740', expect: [] },
  { name: 'the right length but a wrong checksum', text: 'IL150120690000003111141', expect: [] },
  { name: 'an IBAN-like start of a longer run', text: 'IL15 0120 6900 0000 3111 0120 6900 0000 3111 141', expect: [] },
  { name: 'glued to letters or digits', text: 'XGB82WEST12345698765432 GB82WEST123456987654321', expect: [] },
  { name: 'slashes are no separator', text: 'AL47/2121/1009/0000/0002/3569/8741', expect: [] },
  { name: 'mixed separators', text: 'GB82 WEST-1234 5698 7654 32', expect: [] },
  { name: 'groups of three', text: 'HR12 001 0051 8630 0016 A', expect: [] },
  { name: 'a split country code', text: 'G T82 TRAJ 0102 0000 0012 1002 9690', expect: [] },
  { name: 'a phone number and an address', text: "Dalla's Pizza | 3843 Peartree Road, Bamblee, SD 20241 440-600-5124", expect: [] },
];

for (const c of cases) {
  test(`iban: ${c.name}`, () => {
    assert.deepEqual(found(c.text), c.expect);
  });
}

// MOD 97-10 catches every change of one digit and every swap of two neighbouring digits: 97 is a prime above 9,
// so no difference d * 10^k or 9d * 10^k is a multiple of it. Letters count as two digits, so no such promise.
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

test('iban: every change of one digit is refused (ISO 7064 MOD 97-10)', () => {
  for (const example of REGISTRY_EXAMPLES) {
    const iban = example.replaceAll(' ', '');
    for (let i = 2; i < iban.length; i++) {
      if (!isDigit(iban[i])) continue;
      for (const c of '0123456789') {
        if (c === iban[i]) continue;
        const changed = iban.slice(0, i) + c + iban.slice(i + 1);
        assert.deepEqual(found(changed), [], changed);
      }
    }
  }
});

test('iban: every swap of two different neighbouring digits is refused (ISO 7064 MOD 97-10)', () => {
  for (const example of REGISTRY_EXAMPLES) {
    const iban = example.replaceAll(' ', '');
    for (let i = 2; i + 1 < iban.length; i++) {
      if (iban[i] === iban[i + 1] || !isDigit(iban[i]) || !isDigit(iban[i + 1])) continue;
      const swapped = iban.slice(0, i) + iban[i + 1]! + iban[i]! + iban.slice(i + 2);
      assert.deepEqual(found(swapped), [], swapped);
    }
  }
});

/** Check digits for a country and BBAN, computed the way ISO 13616 defines them. */
function checkDigits(country: string, bban: string): string {
  const digits = [...`${bban}${country}00`].map((c) => parseInt(c, 36).toString()).join('');
  return String(98n - (BigInt(digits) % 97n)).padStart(2, '0');
}

test('iban: any all-digit BBAN with computed check digits is found, grouped or not', () => {
  // Countries whose registry structure is digits only, with their BBAN length.
  const numeric = fc.constantFrom(['DE', 18], ['AT', 16], ['BE', 12], ['PL', 24], ['ES', 20], ['SE', 20], ['NO', 11], ['HR', 17]) as fc.Arbitrary<[string, number]>;
  fc.assert(
    fc.property(numeric.chain(([country, length]) => fc.tuple(fc.constant(country), fc.stringMatching(new RegExp(`^[0-9]{${length}}$`)))), fc.boolean(), ([country, bban], grouped) => {
      const compact = `${country}${checkDigits(country, bban)}${bban}`;
      const iban = grouped ? compact.match(/.{1,4}/g)!.join(' ') : compact;
      assert.deepEqual(found(`account ${iban} thanks`), [iban]);
    }),
    { seed: 20261130, numRuns: 1000 },
  );
});

test('iban: context words raise the confidence above a checksum-high base', () => {
  const [plain] = ibanDetector.detect('x DE89370400440532013000');
  const [boosted] = ibanDetector.detect('iban DE89370400440532013000');
  assert.ok(plain && boosted);
  assert.ok(plain.confidence >= 0.9);
  assert.ok(boosted.confidence >= plain.confidence);
});

test('iban: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = [
    'DE89'.repeat(25_000),
    'DE89 '.repeat(20_000),
    `AL47${' 2121'.repeat(25_000)}`,
    'GB29 NWBK '.repeat(10_000),
    'AB12'.repeat(25_000),
    `DE89${'-'.repeat(100_000)}`,
    'DE89370400440532013000 '.repeat(4_000),
    'A1'.repeat(50_000),
  ];
  for (const input of inputs) ibanDetector.detect(input);
});

const alphabet = fc.constantFrom('D', 'E', 'G', 'B', '8', '9', '0', '1', ' ', '-', 'a', 'é', '\ud800');

test('iban: never throws, and every span is in bounds and found again on its own', () => {
  const near = fc.tuple(fc.constantFrom(...REGISTRY_EXAMPLES), fc.nat(40), fc.string({ unit: alphabet, maxLength: 2 })).map(([a, i, s]) => a.slice(0, i) + s + a.slice(i + s.length));
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 80 }), near), (text) => {
      for (const m of ibanDetector.detect(text)) {
        assert.equal(m.type, 'IBAN');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence >= 0.9 && m.confidence <= 1);
        const value = text.slice(m.start, m.end);
        assert.deepEqual(found(value), [value], JSON.stringify(text));
      }
    }),
    { seed: 20261130, numRuns: 3000 },
  );
});
