// The SSRF guard: which IP addresses the http source never connects to on its own (loopback, private,
// link-local, ...), including IPv4 addresses carried inside IPv6 forms. Pure functions over IP literals.
import { BlockList, isIP } from 'node:net';

/** A range of addresses and why it is refused. */
interface DeniedRange {
  list: BlockList;
  reason: string;
}

function range(family: 'ipv4' | 'ipv6', network: string, prefix: number, reason: string): DeniedRange {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, reason };
}

/** IANA IPv4 special-purpose registry (RFC 6890), the parts a server on the internet never sits in. */
const IPV4_DENIED: readonly DeniedRange[] = [
  range('ipv4', '0.0.0.0', 8, '"this network" (0.0.0.0/8)'),
  range('ipv4', '10.0.0.0', 8, 'private (RFC 1918)'),
  range('ipv4', '100.64.0.0', 10, 'carrier-grade NAT (RFC 6598)'),
  range('ipv4', '127.0.0.0', 8, 'loopback'),
  range('ipv4', '169.254.0.0', 16, 'link-local (cloud metadata services answer at 169.254.169.254)'),
  range('ipv4', '172.16.0.0', 12, 'private (RFC 1918)'),
  range('ipv4', '192.0.0.0', 24, 'IETF protocol assignment (RFC 6890)'),
  range('ipv4', '192.0.2.0', 24, 'documentation (TEST-NET-1, RFC 5737)'),
  range('ipv4', '192.88.99.0', 24, 'deprecated 6to4 relay anycast (RFC 7526)'),
  range('ipv4', '192.168.0.0', 16, 'private (RFC 1918)'),
  range('ipv4', '198.18.0.0', 15, 'benchmarking (RFC 2544)'),
  range('ipv4', '198.51.100.0', 24, 'documentation (TEST-NET-2, RFC 5737)'),
  range('ipv4', '203.0.113.0', 24, 'documentation (TEST-NET-3, RFC 5737)'),
  range('ipv4', '224.0.0.0', 4, 'multicast'),
  range('ipv4', '240.0.0.0', 4, 'reserved or broadcast (240.0.0.0/4)'),
];

/** IPv6 ranges refused outright. Forms that embed an IPv4 address are handled by embeddedIpv4() first. */
const IPV6_DENIED: readonly DeniedRange[] = [
  range('ipv6', '::', 128, 'unspecified (::)'),
  range('ipv6', '::1', 128, 'loopback'),
  // RFC 4291 §2.5.5.1: deprecated, and a way to smuggle an IPv4 address past a v6-only check.
  range('ipv6', '::', 96, 'IPv4-compatible IPv6 (deprecated, RFC 4291)'),
  range('ipv6', '64:ff9b:1::', 48, 'local-use NAT64 (RFC 8215)'),
  range('ipv6', '100:0:0:1::', 64, 'dummy prefix (RFC 9780)'),
  range('ipv6', '2001:2::', 48, 'benchmarking (RFC 5180)'),
  range('ipv6', '2001:10::', 28, 'ORCHID (RFC 4843, deprecated)'),
  range('ipv6', '2001:20::', 28, 'ORCHIDv2 (RFC 7343)'),
  range('ipv6', '2001:db8::', 32, 'documentation (RFC 3849)'),
  range('ipv6', '3fff::', 20, 'documentation (RFC 9637)'),
  range('ipv6', '5f00::', 16, 'segment routing SIDs (RFC 9602)'),
  range('ipv6', '100::', 64, 'discard-only (RFC 6666)'),
  // RFC 4380: the client's IPv4 address travels obfuscated in the last 32 bits; nothing legitimate needs it.
  range('ipv6', '2001::', 32, 'Teredo tunnel (RFC 4380)'),
  range('ipv6', 'fc00::', 7, 'unique local (private IPv6, RFC 4193)'),
  range('ipv6', 'fe80::', 10, 'link-local'),
  range('ipv6', 'fec0::', 10, 'site-local (deprecated)'),
  range('ipv6', 'ff00::', 8, 'multicast'),
];

/** The eight 16-bit groups of an IPv6 literal (a zone id is ignored), or undefined when it is not one. */
export function ipv6Groups(text: string): number[] | undefined {
  const address = text.replace(/%.*$/, '');
  if (isIP(address) !== 6) return undefined;
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        // A trailing dotted quad (::ffff:127.0.0.1) is two groups.
        const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(piece, 16));
    }
    return out;
  };
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function dotted(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * The IPv4 address an IPv6 address carries and routes to: IPv4-mapped (::ffff:a.b.c.d, RFC 4291), NAT64
 * (64:ff9b::/96, RFC 6052) and 6to4 (2002:AABB:CCDD::/48, RFC 3056). Undefined for any other address.
 */
export function embeddedIpv4(address: string): { ipv4: string; form: string } | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = g;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) return { ipv4: dotted(g6, g7), form: 'IPv4-mapped IPv6' };
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return { ipv4: dotted(g6, g7), form: 'NAT64 (64:ff9b::/96)' };
  if (g0 === 0x2002) return { ipv4: dotted(g1 ?? 0, g2 ?? 0), form: '6to4 (2002::/16)' };
  return undefined;
}

/**
 * Why an IP address must not be contacted, or undefined for a public address. `address` is an IP literal as
 * a socket would use it: dotted IPv4 or IPv6 without brackets (WHATWG URL parsing has already turned
 * 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 into 127.0.0.1). Anything that is not an IP literal is refused.
 */
export function deniedAddressReason(address: string): string | undefined {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) return IPV4_DENIED.find((r) => r.list.check(address, 'ipv4'))?.reason;
  if (family !== 6) return 'not an IP address';
  const embedded = embeddedIpv4(address);
  if (embedded) {
    const inner = deniedAddressReason(embedded.ipv4);
    return inner === undefined ? undefined : `${embedded.form} of ${embedded.ipv4}, which is ${inner}`;
  }
  // RFC 2765 (SIIT): ::ffff:0:a.b.c.d is translated to the IPv4 address by a stateless translator. Checked by
  // its groups: node's BlockList reads the subnet ::ffff:0:0/96 as IPv4-mapped and never matches it.
  const g = ipv6Groups(address);
  if (g && g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0xffff && g[5] === 0) return 'IPv4-translated IPv6 (RFC 2765)';
  const bare = address.replace(/%.*$/, '');
  return IPV6_DENIED.find((r) => r.list.check(bare, 'ipv6'))?.reason;
}
