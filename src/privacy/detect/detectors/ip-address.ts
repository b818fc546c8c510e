// IP_ADDRESS: IPv4 dotted quads and IPv6 addresses in every RFC 4291 §2.2 text form (full, "::"-compressed,
// with an embedded IPv4 tail), with an RFC 4007 zone id or a CIDR prefix length when one is written.
import { isIPv4, isIPv6 } from 'node:net';
import { contextBoost, contextWords } from '../context.ts';
import type { Detector, PiiMatch } from '../detector.ts';
import { TextProfile } from '../text-profile.ts';
import { codeAt } from '../char-code.ts';

// node:net's parsers are strict, but a valid-looking address can still be a version number or a ratio.
const BASE_CONFIDENCE = 0.6;
// "::" alone is a valid address, and also C++ or Haskell punctuation.
const UNSPECIFIED_CONFIDENCE = 0.55;
const CONTEXT = contextWords(['ip', 'ipv4', 'ipv6', 'address', 'host', 'server', 'client', 'gateway', 'subnet', 'route', 'dns', 'localhost', 'loopback']);

// Four groups of one to three digits; node:net's isIPv4 then refuses octets over 255 and leading zeros.
const IPV4 = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/g;
// From the start of a run of hex digits and colons: up to eight groups, then an optional dotted IPv4 tail. Each
// repetition begins with a ':' the previous one cannot take, so the pattern cannot backtrack into itself.
const IPV6 = /[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,8}(?:\.\d{1,3}){0,3}/y;
// Dotted quads that number something else: "version 1.2.3.4", "section 4.2.1.3", "v10.0.0.1".
const NUMBERING_BEFORE = /\b(?:v|ver|version|release|build|firmware|section|sec|chapter|clause|figure|fig|table|step|paragraph|para|rule)\.?\s*$/i;
// RFC 4007 §11: a zone id is implementation-defined text; interface names and numbers in practice.
const ZONE = /%[0-9A-Za-z._~-]{1,32}/y;
// 8 groups of 4, 7 colons and an IPv4 tail of 15: nothing longer can be one address.
const IPV6_MAX = 45;
// Letters and digits of any script glue onto an address as much as ASCII ones do.
const UNICODE_WORD = /[\p{L}\p{N}]/u;

type Span = { start: number; end: number; confidence: number };

/** Finds IPv4 and IPv6 addresses (with a prefix length or zone id when present). */
export const ipAddressDetector: Detector = {
  type: 'IP_ADDRESS',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    // IPv6 takes "::" or six colons (ipv6Around), a dotted quad three dots.
    const v6 = profile.colons() >= 6 || profile.hasDoubleColon() ? findIPv6(text) : [];
    const v4 = profile.dots() >= 3 ? findIPv4(text, v6) : [];
    if (v6.length === 0 && v4.length === 0) return [];
    const spans = v6.length === 0 ? v4 : [...v6, ...v4].sort((a, b) => a.start - b.start);
    return spans.map((s) => ({ type: 'IP_ADDRESS', start: s.start, end: s.end, confidence: contextBoost(s.confidence, text, s.start, s.end, CONTEXT) }));
  },
};

function findIPv4(text: string, taken: readonly Span[]): Span[] {
  const spans: Span[] = [];
  let t = 0;
  IPV4.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = IPV4.exec(text)) !== null) {
    const start = m.index;
    let end = start + m[0].length;
    while (t < taken.length && taken[t]!.end <= start) t++;
    if (t < taken.length && taken[t]!.start < end) continue;
    // Part of a longer token: "v1.2.3.4", "1.2.3.4.5" (a version), "10.0.0.1abc". A ':' before is fine, as in
    // "text::ffff:192.0.2.1" where only the IPv4 part is an address.
    if (start > 0 && isWordOrDot(codeAt(text, start - 1))) continue;
    if (isWordChar(codeAt(text, end)) || (codeAt(text, end) === 0x2e && isDigit(codeAt(text, end + 1)))) continue;
    if (!isIPv4(m[0]) || NUMBERING_BEFORE.test(text.slice(Math.max(0, start - 16), start))) continue;
    end = withPrefix(text, end, 32);
    spans.push({ start, end, confidence: BASE_CONFIDENCE });
  }
  return spans;
}

function findIPv6(text: string): Span[] {
  const spans: Span[] = [];
  let colon = text.indexOf(':');
  while (colon >= 0) {
    const { span, resume } = ipv6Around(text, colon);
    if (span) spans.push(span);
    colon = text.indexOf(':', resume);
  }
  return spans;
}

/**
 * The IPv6 address whose text holds the colon at `colon`, if any, and where to look for the next colon: every
 * colon of one run of hex digits and colons has the same answer, so a run is looked at once.
 */
function ipv6Around(text: string, colon: number): { span?: Span; resume: number } {
  let runEnd = colon + 1;
  let colons = 1;
  let double = false;
  while (runEnd - colon <= IPV6_MAX && isHexOrColon(codeAt(text, runEnd))) {
    if (text.charCodeAt(runEnd) === 0x3a) {
      colons++;
      if (text.charCodeAt(runEnd - 1) === 0x3a) double = true;
    }
    runEnd++;
  }
  const resume = runEnd + 1;
  // RFC 4291 §2.2: without "::", all eight groups (or six and an IPv4 tail) are written. A clock time
  // ("10:42:13") or a MAC address ends here, before any parsing.
  const dotted = codeAt(text, runEnd) === 0x2e;
  if (!double && colons < (dotted ? 6 : 7)) return { resume };
  let start = colon;
  while (colon - start <= IPV6_MAX && isHexOrColon(codeAt(text, start - 1))) start--;
  // The run goes on to the left (a longer token, "text2001:db8::1", "12345:db8::1"): not an address on its own.
  const before = codeAt(text, start - 1);
  if (isWordChar(before) || before === 0x3a || before === 0x2e) return { resume };
  IPV6.lastIndex = start;
  const m = IPV6.exec(text);
  if (!m) return { resume };
  let end = start + m[0].length;
  const after = codeAt(text, end);
  // More groups, letters, or more dotted numbers than an address holds: "fe80::1text", "::ffff:1.2.3.4.5".
  if (isWordChar(after) || after === 0x3a || (after === 0x2e && isDigit(codeAt(text, end + 1)))) return { resume: Math.max(resume, end) };
  const address = m[0];
  if (!isIPv6(address)) return { resume: Math.max(resume, end) };
  // Words made only of the letters a-f around "::" ("Face::Bad") parse too; real addresses carry digits.
  if (address !== '::' && !/\d/.test(address)) return { resume: Math.max(resume, end) };
  if (after === 0x25) {
    ZONE.lastIndex = end;
    const zone = ZONE.exec(text);
    if (zone) end += zone[0].length;
  }
  end = withPrefix(text, end, 128);
  return { span: { start, end, confidence: address === '::' ? UNSPECIFIED_CONFIDENCE : BASE_CONFIDENCE }, resume: Math.max(resume, end) };
}

/** `end` extended over a CIDR "/n" (RFC 4632) when n is a prefix length the address family allows. */
function withPrefix(text: string, end: number, max: number): number {
  if (codeAt(text, end) !== 0x2f) return end;
  let d = end + 1;
  while (d < text.length && d - end <= 3 && isDigit(text.charCodeAt(d))) d++;
  if (d === end + 1 || isWordChar(codeAt(text, d))) return end;
  const digits = text.slice(end + 1, d);
  if (digits.length > 1 && digits.startsWith('0')) return end;
  return Number(digits) <= max ? d : end;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isHexOrColon(c: number): boolean {
  return isHex(c) || c === 0x3a;
}

function isWordChar(c: number): boolean {
  if (c < 0x80) return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  return UNICODE_WORD.test(String.fromCharCode(c));
}

function isWordOrDot(c: number): boolean {
  return c === 0x2e || isWordChar(c);
}
