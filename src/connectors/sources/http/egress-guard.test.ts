// The SSRF guard and the egress policy: every encoding of a private address is caught once WHATWG URL parsing
// has normalized it, IPv4 hidden in IPv6 forms is unwrapped, and only explicit opt-ins pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSluiceError } from '../../../errors.ts';
import { deniedAddressReason, embeddedIpv4, ipv6Groups } from './egress-guard.ts';
import { EgressPolicy, parseAddressRule, parseHostRule } from './egress-policy.ts';

/** The host a socket would connect to for a URL: WHATWG's normalized hostname without IPv6 brackets. */
function socketHost(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
}

test('SSRF encodings: every way of writing a private address normalizes to one the guard refuses', () => {
  const table: [url: string, normalized: string, reason: RegExp][] = [
    ['https://127.0.0.1/', '127.0.0.1', /loopback/],
    ['https://2130706433/', '127.0.0.1', /loopback/], // decimal
    ['https://0177.0.0.1/', '127.0.0.1', /loopback/], // octal
    ['https://0x7f.1/', '127.0.0.1', /loopback/], // hex, short form
    ['https://0x7F000001/', '127.0.0.1', /loopback/],
    ['https://017700000001/', '127.0.0.1', /loopback/],
    ['https://127.1/', '127.0.0.1', /loopback/], // short form
    ['https://127.000.000.001/', '127.0.0.1', /loopback/],
    ['https://127.0.0.1./', '127.0.0.1', /loopback/], // trailing dot
    ['https://%31%32%37.0.0.1/', '127.0.0.1', /loopback/], // percent-encoding
    ['https://１２７.0.0.1/', '127.0.0.1', /loopback/], // full-width digits (IDNA maps them)
    ['https://[::1]/', '::1', /loopback/],
    ['https://[0:0:0:0:0:0:0:1]/', '::1', /loopback/],
    ['https://[::]/', '::', /unspecified/],
    ['https://[::ffff:127.0.0.1]/', '::ffff:7f00:1', /IPv4-mapped.*loopback/],
    ['https://[::FFFF:7F00:1]/', '::ffff:7f00:1', /IPv4-mapped.*loopback/],
    ['https://[::127.0.0.1]/', '::7f00:1', /IPv4-compatible/],
    ['https://[64:ff9b::127.0.0.1]/', '64:ff9b::7f00:1', /NAT64.*loopback/],
    ['https://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe', /NAT64.*169\.254\.169\.254.*link-local/],
    ['https://[2002:7f00:1::]/', '2002:7f00:1::', /6to4.*loopback/],
    ['https://[2002:c0a8:101::1]/', '2002:c0a8:101::1', /6to4.*192\.168\.1\.1.*private/],
    ['https://169.254.169.254/', '169.254.169.254', /link-local/],
    ['https://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254', /link-local/],
    ['https://2852039166/', '169.254.169.254', /link-local/],
    ['https://10.1.2.3/', '10.1.2.3', /private/],
    ['https://172.16.0.1/', '172.16.0.1', /private/],
    ['https://172.31.255.255/', '172.31.255.255', /private/],
    ['https://192.168.0.1/', '192.168.0.1', /private/],
    ['https://100.64.0.1/', '100.64.0.1', /carrier-grade NAT/],
    ['https://0/', '0.0.0.0', /this network/],
    ['https://0.1.2.3/', '0.1.2.3', /this network/],
    ['https://224.0.0.1/', '224.0.0.1', /multicast/],
    ['https://255.255.255.255/', '255.255.255.255', /broadcast/],
    ['https://[fe80::1]/', 'fe80::1', /link-local/],
    ['https://[febf::1]/', 'febf::1', /link-local/],
    ['https://[fc00::1]/', 'fc00::1', /unique local/],
    ['https://[fd12:3456::1]/', 'fd12:3456::1', /unique local/],
    ['https://[ff02::1]/', 'ff02::1', /multicast/],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', '2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    // IANA special-purpose blocks that no server on the internet sits in (found missing in review).
    ['https://192.0.2.10/', '192.0.2.10', /documentation/],
    ['https://198.51.100.7/', '198.51.100.7', /documentation/],
    ['https://203.0.113.99/', '203.0.113.99', /documentation/],
    ['https://192.88.99.1/', '192.88.99.1', /6to4 relay/],
    ['https://[::ffff:0:127.0.0.1]/', '::ffff:0:7f00:1', /IPv4-translated/],
    ['https://[2001:db8::1]/', '2001:db8::1', /documentation/],
    ['https://[3fff::1]/', '3fff::1', /documentation/],
    ['https://[5f00::1]/', '5f00::1', /segment routing/],
    ['https://[2001:2::1]/', '2001:2::1', /benchmarking/],
    ['https://[2001:10::1]/', '2001:10::1', /ORCHID/],
    ['https://[2001:20::1]/', '2001:20::1', /ORCHIDv2/],
    ['https://[100:0:0:1::1]/', '100:0:0:1::1', /dummy prefix/],
  ];
  for (const [url, normalized, reason] of table) {
    const host = socketHost(url);
    assert.equal(host, normalized, `${url} normalizes to ${normalized}`);
    assert.match(deniedAddressReason(host) ?? 'allowed', reason, url);
  }
});

test('public addresses pass the guard, IPv4-mapped and NAT64 forms of public addresses too', () => {
  for (const address of ['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
    assert.equal(deniedAddressReason(address), undefined, address);
  }
});

test('the guard refuses what is not an IP literal (a name must be resolved first)', () => {
  assert.equal(deniedAddressReason('localhost'), 'not an IP address');
  assert.equal(deniedAddressReason(''), 'not an IP address');
});

test('IPv6 parsing: compressed forms, embedded dotted quads and zone ids', () => {
  assert.deepEqual(ipv6Groups('::ffff:127.0.0.1'), [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
  assert.deepEqual(ipv6Groups('fe80::1%eth0'), [0xfe80, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(ipv6Groups('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(ipv6Groups('127.0.0.1'), undefined);
  assert.deepEqual(embeddedIpv4('2002:a00:1::'), { ipv4: '10.0.0.1', form: '6to4 (2002::/16)' });
  assert.equal(embeddedIpv4('2606:4700::1'), undefined);
  assert.match(deniedAddressReason('fe80::1%lo') ?? '', /link-local/);
});

/** One address written in a random one of the encodings an attacker would try. */
function encodings(address: number): fc.Arbitrary<string> {
  const bytes = [address >>> 24, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff] as const;
  const radix = fc.constantFrom<(n: number) => string>(
    (n) => String(n),
    (n) => `0x${n.toString(16)}`,
    (n) => `0X${n.toString(16).toUpperCase()}`,
    (n) => `0${n.toString(8)}`,
  );
  const hex = (n: number) => n.toString(16);
  const [a, b, c, d] = bytes;
  const dottedV4 = bytes.join('.');
  return fc.oneof(
    fc.tuple(radix, radix, radix, radix).map(([r1, r2, r3, r4]) => `${r1(a)}.${r2(b)}.${r3(c)}.${r4(d)}`),
    fc.tuple(radix, radix, radix).map(([r1, r2, r3]) => `${r1(a)}.${r2(b)}.${r3((c << 8) | d)}`), // a.b.C
    fc.tuple(radix, radix).map(([r1, r2]) => `${r1(a)}.${r2(((b << 16) | (c << 8) | d) >>> 0)}`), // a.B
    radix.map((r) => r(address >>> 0)), // one 32-bit number
    fc.constant(`${dottedV4}.`), // trailing dot
    fc.constant([...dottedV4].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join('')), // percent-encoded
    fc.constant(`[::ffff:${dottedV4}]`),
    fc.constant(`[::ffff:${hex((a << 8) | b)}:${hex((c << 8) | d)}]`),
    fc.constant(`[0:0:0:0:0:FFFF:${hex((a << 8) | b).toUpperCase()}:${hex((c << 8) | d)}]`),
    fc.constant(`[64:ff9b::${dottedV4}]`),
    fc.constant(`[2002:${hex((a << 8) | b)}:${hex((c << 8) | d)}::1]`),
  );
}

test('property: any IPv4 address in a refused range, in any encoding, is refused after URL parsing', () => {
  const ranges: [base: number, bits: number][] = [
    [0x00000000, 8],
    [0x0a000000, 8],
    [0x64400000, 10],
    [0x7f000000, 8],
    [0xa9fe0000, 16],
    [0xac100000, 12],
    [0xc0a80000, 16],
    [0xe0000000, 4],
    [0xf0000000, 4],
  ];
  const policy = new EgressPolicy({ hosts: ['*.example.com'] });
  const address = fc
    .tuple(fc.constantFrom(...ranges), fc.integer({ min: 0, max: 0xffffffff }))
    .map(([[base, bits], noise]) => (base | (noise & (2 ** (32 - bits) - 1))) >>> 0);
  fc.assert(
    fc.property(address.chain((n) => encodings(n).map((host) => ({ n, host }))), ({ host }) => {
      const normalized = socketHost(`https://${host}/`);
      assert.notEqual(deniedAddressReason(normalized), undefined, `${host} -> ${normalized}`);
      assert.throws(() => policy.checkAddress(normalized, normalized), (error) => isSluiceError(error, 'SLUICE_EGRESS_DENIED'));
    }),
    { numRuns: 2000 },
  );
});

test('allowPrivateAddresses opts in exactly the listed addresses and ranges, IPv4-mapped forms included', () => {
  const policy = new EgressPolicy({ hosts: ['localhost'], allowPrivateAddresses: ['127.0.0.1', '10.20.0.0/16'] });
  policy.checkAddress('localhost', '127.0.0.1');
  policy.checkAddress('localhost', '::ffff:127.0.0.1');
  policy.checkAddress('internal', '10.20.3.4');
  for (const denied of ['127.0.0.2', '::1', '10.21.0.1', '169.254.169.254']) {
    assert.throws(() => policy.checkAddress('localhost', denied), (error) => isSluiceError(error, 'SLUICE_EGRESS_DENIED') && /allowPrivateAddresses/.test(error.message), denied);
  }
});

test('the allowlist: exact host, host:port, *.domain; http:// and other hosts are refused', () => {
  const policy = new EgressPolicy({ hosts: ['api.example.com:443', 'cdn.example.net', '*.files.example.org', '127.0.0.1:8443', '[::1]:9000'] });
  const allowed = ['https://api.example.com/x', 'https://API.example.com./x', 'https://cdn.example.net:8443/', 'https://a.files.example.org/', 'https://0x7f.1:8443/', 'https://[0::1]:9000/'];
  for (const url of allowed) policy.checkUrl(new URL(url), 'test');
  const refused = ['https://api.example.com:8443/', 'https://evil.example.com/', 'https://files.example.org/', 'https://api.example.com.evil.net/', 'http://api.example.com/', 'https://127.0.0.1/'];
  for (const url of refused) {
    assert.throws(() => policy.checkUrl(new URL(url), 'test'), (error) => isSluiceError(error, 'SLUICE_EGRESS_DENIED'), url);
  }
});

/** The reason a rule was refused ('accepted' when it parsed). */
const refusal = (rule: object | string): string => (typeof rule === 'string' ? rule : 'accepted');

test('allowlist and opt-in entries are validated with a reason', () => {
  assert.deepEqual(parseHostRule('api.example.com:8443'), { host: 'api.example.com', subdomains: false, port: '8443' });
  assert.match(refusal(parseHostRule('https://api.example.com/')), /host or host:port only/);
  assert.match(refusal(parseHostRule('*.10.0.0.1')), /wildcard/);
  assert.deepEqual(parseAddressRule('fd00::/8'), { address: 'fd00::', prefix: 8, family: 'ipv6' });
  assert.match(refusal(parseAddressRule('10.0.0.0/33')), /CIDR/);
  assert.match(refusal(parseAddressRule('localhost')), /CIDR/);
});
