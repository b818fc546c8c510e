// The CRYPTO detector: Base58Check P2PKH/P2SH and BIP-173/BIP-350 segwit addresses, checked against the BIPs'
// own valid and invalid vectors; checksum failures and longer tokens refused; linear time, spans that hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cryptoDetector } from './crypto.ts';

const found = (text: string): string[] => cryptoDetector.detect(text).map((m) => text.slice(m.start, m.end));

// Mainnet addresses that must be found: the Bitcoin wiki's and the genesis block's Base58Check addresses, and
// BIP-173 / BIP-350 test vectors for the "bc" prefix.
const VALID = [
  '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
  '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
  '16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ',
  '1BoatSLRHtKNngkdXEeobR76b53LETtpyT',
  '17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhem',
  '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
  '3EktnHQD7RiAE6uzMj2ZifT9YgRrkSgzQX',
  'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4',
  'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
  'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
  'bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3',
  'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0',
  'bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297',
  'bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs',
];

// Addresses that must not be found, each with the rule it breaks.
const INVALID: [string, string][] = [
  ['1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3', 'Base58Check checksum'],
  ['3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz', 'Base58Check checksum'],
  ['16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ2', 'a valid address with one more character'],
  ['mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', 'testnet P2PKH'],
  ['2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc', 'testnet P2SH'],
  ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'bech32 checksum'],
  ['bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mda', 'bech32 checksum'],
  ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd', 'BIP-350: version 1 under the bech32 constant'],
  ['BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL', 'BIP-350: version 16 under the bech32 constant'],
  ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh', 'BIP-350: version 0 under the bech32m constant'],
  ['tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7', 'testnet prefix'],
  ['bc1qw508D6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'mixed case (BIP-173)'],
  ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4x', 'a valid address with one more character'],
  ['8f953371d3e85eddb89b05ed6b9e680791055315c73e1025ab5dba7bb2aee189', 'a hex hash'],
];

for (const address of VALID) {
  test(`crypto: ${address} is an address`, () => {
    assert.deepEqual(found(address), [address]);
    assert.deepEqual(found(`my wallet address is: ${address}.`), [address]);
  });
}

for (const [text, rule] of INVALID) {
  test(`crypto: ${text} is refused (${rule})`, () => {
    assert.deepEqual(found(text), []);
    assert.deepEqual(found(`send to ${text} please`), []);
  });
}

test('crypto: several addresses in one text, in order', () => {
  const text = '16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy (bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq)';
  assert.deepEqual(found(text), ['16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq']);
});

test('crypto: an address glued to letters or digits is refused', () => {
  assert.deepEqual(found('x16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ 0bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'), []);
});

test('crypto: every single-character change of a valid address is refused', () => {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  for (const address of ['1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq']) {
    const chars = address.startsWith('bc1') ? 'qpzry9x8gf2tvdw0s3jn54khce6mua7l' : alphabet;
    for (let i = 1; i < address.length; i++) {
      if (address.startsWith('bc1') && i < 4) continue;
      for (const c of chars) {
        if (c === address[i]) continue;
        const changed = address.slice(0, i) + c + address.slice(i + 1);
        assert.deepEqual(found(changed), [], changed);
      }
    }
  }
});

test('crypto: context words raise the confidence', () => {
  const [plain] = cryptoDetector.detect('x 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2');
  const [boosted] = cryptoDetector.detect('bitcoin 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2');
  assert.ok(plain && boosted);
  assert.ok(plain.confidence >= 0.9);
  assert.ok(boosted.confidence >= plain.confidence);
});

test('crypto: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = [
    '1'.repeat(100_000),
    '3'.repeat(100_000),
    'bc1'.repeat(33_000),
    'BC1q'.repeat(25_000),
    '1A'.repeat(50_000),
    '1 '.repeat(50_000),
    `${'1111111111111111111111111 '.repeat(4_000)}`,
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 '.repeat(3_000),
    `bc1${'q'.repeat(100_000)}`,
  ];
  for (const input of inputs) cryptoDetector.detect(input);
});

const alphabet = fc.constantFrom('1', '3', 'b', 'c', 'q', 'B', 'C', 'Q', 'x', 'z', '0', ' ', '.', 'é', '\ud800');

test('crypto: never throws, and every span is in bounds and found again on its own', () => {
  const near = fc.tuple(fc.constantFrom(...VALID), fc.nat(60), fc.string({ unit: alphabet, maxLength: 3 })).map(([a, i, s]) => a.slice(0, i) + s + a.slice(i + s.length));
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 80 }), near), (text) => {
      for (const m of cryptoDetector.detect(text)) {
        assert.equal(m.type, 'CRYPTO');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence >= 0.9 && m.confidence <= 1);
        const value = text.slice(m.start, m.end);
        assert.deepEqual(found(value), [value], JSON.stringify(text));
      }
    }),
    { seed: 20261130, numRuns: 3000 },
  );
});
