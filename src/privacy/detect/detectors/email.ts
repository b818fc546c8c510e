// EMAIL: e-mail addresses, with a dot-atom local part (RFC 5322 §3.4.1, UTF-8 allowed by RFC 6531) and a DNS
// domain whose labels may be ASCII, punycode A-labels (xn--, RFC 3492) or Unicode U-labels (RFC 5890).
import { contextBoost, contextWords } from '../context.ts';
import type { Detector, PiiMatch } from '../detector.ts';

// A whole address that passed the syntax checks: it can still be made up, so not checksum-high.
const BASE_CONFIDENCE = 0.8;
const CONTEXT = contextWords(['email', 'mail', 'mailto', 'contact', 'reply', 'sender', 'recipient']);

// RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain (253 written out), 63 per label.
const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;
const LABEL_MAX = 63;

// Names like "icon@2x.png" or "module@1.2.js" have an e-mail's shape; these endings are files, not TLDs.
const FILE_ENDINGS = new Set(
  'png jpg jpeg gif svg webp bmp ico tif tiff pdf txt html htm css js mjs cjs ts tsx jsx json xml yaml yml csv log exe dll zip gz tgz tar'.split(' '),
);

// Non-ASCII letters, marks and digits may appear in U-labels and RFC 6531 local parts.
const UNICODE_WORD = /[\p{L}\p{M}\p{N}]/u;
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const UNICODE_LETTER = /^[\p{L}\p{M}]+$/u;
const A_LABEL_TLD = /^xn--[a-z0-9-]+$/i;

/** Finds e-mail addresses; an address's domain is never reported separately (see url.ts). */
export const emailDetector: Detector = {
  type: 'EMAIL',
  detect(text: string): PiiMatch[] {
    let at = text.indexOf('@');
    if (at < 0) return [];
    const matches: PiiMatch[] = [];
    let floor = 0;
    while (at >= 0) {
      const found = addressAround(text, at, floor);
      if (found) {
        matches.push({ type: 'EMAIL', start: found.start, end: found.end, confidence: contextBoost(BASE_CONFIDENCE, text, found.start, found.end, CONTEXT) });
        floor = found.end;
      }
      at = text.indexOf('@', Math.max(at + 1, floor));
    }
    return matches;
  },
};

function addressAround(text: string, at: number, floor: number): { start: number; end: number } | undefined {
  const start = localPartStart(text, at, floor);
  if (start === undefined) return undefined;
  const end = domainEnd(text, at + 1);
  return end === undefined ? undefined : { start, end };
}

/** Where the local part before `at` begins, or undefined when there is none or it cannot be one. */
function localPartStart(text: string, at: number, floor: number): number | undefined {
  let i = at;
  let ascii = false;
  while (i > floor) {
    const width = widthBefore(text, i);
    const cp = text.codePointAt(i - width)!;
    if (!isLocalChar(cp)) break;
    // "请联系john@example.com": scripts written without spaces run straight into an ASCII address.
    if (cp < 0x80) ascii = true;
    else if (ascii && isUnspaced(cp)) break;
    i -= width;
    // A run longer than any local part is some other token (a hash, base64) that happens to touch an '@'.
    if (at - i > LOCAL_MAX) return undefined;
  }
  // Dot-atom: no empty atoms, so a ".." cuts the address and a dot cannot end it.
  for (let j = at - 2; j >= i; j--) {
    if (text.charCodeAt(j) === 0x2e && text.charCodeAt(j + 1) === 0x2e) {
      i = j + 2;
      break;
    }
  }
  // Quotes, dots and the like before the first letter are the surrounding prose, not the address.
  while (i < at && isLeadingPunctuation(text.charCodeAt(i))) i++;
  if (i === at || text.charCodeAt(at - 1) === 0x2e) return undefined;
  return i;
}

/** Where the domain starting at `from` ends, or undefined when it is not a plausible domain. */
function domainEnd(text: string, from: number): number | undefined {
  const labels: [number, number][] = [];
  let i = from;
  for (;;) {
    const labelStart = i;
    let ascii = false;
    while (i < text.length && i - from <= DOMAIN_MAX) {
      const cp = text.codePointAt(i)!;
      if (!isLabelChar(cp)) break;
      // "john@example.com谢谢": the text after an ASCII label goes on without a space.
      if (cp < 0x80) ascii = true;
      else if (ascii && isUnspaced(cp)) break;
      i += cp > 0xffff ? 2 : 1;
    }
    if (i - from > DOMAIN_MAX) return undefined;
    if (i === labelStart) break;
    labels.push([labelStart, i]);
    // A dot that no label follows ends the sentence, not the domain.
    if (!isDot(text.charCodeAt(i)) || i + 1 >= text.length || !isLabelChar(text.codePointAt(i + 1)!)) break;
    i++;
  }
  if (labels.length < 2) return undefined;
  // Hyphens at the very end are the prose's ("write to a@b.com--or call").
  const last = labels[labels.length - 1]!;
  while (last[1] > last[0] && text.charCodeAt(last[1] - 1) === 0x2d) last[1]--;
  for (const [s, e] of labels) {
    if (e === s || e - s > LABEL_MAX || text.charCodeAt(s) === 0x2d || text.charCodeAt(e - 1) === 0x2d) return undefined;
  }
  return isTld(text.slice(last[0], last[1])) ? last[1] : undefined;
}

/** RFC 1123 §2.1 keeps top-level labels alphabetic; IDN TLDs appear as letters or as an xn-- A-label. */
function isTld(label: string): boolean {
  if (A_LABEL_TLD.test(label)) return label.length > 4;
  if (label.length < 2 || !UNICODE_LETTER.test(label)) return false;
  return !FILE_ENDINGS.has(label.toLowerCase());
}

function isLocalChar(cp: number): boolean {
  if (cp < 0x80) return isAsciiAlnum(cp) || cp === 0x2e || cp === 0x5f || cp === 0x25 || cp === 0x2b || cp === 0x2d || cp === 0x27;
  // Past the end of the text the code point is undefined or NaN: no character.
  return cp <= 0x10ffff && UNICODE_WORD.test(String.fromCodePoint(cp));
}

/** Han, kana, Thai and the other scripts written without spaces between words. */
function isUnspaced(cp: number): boolean {
  return UNSPACED_SCRIPT.test(String.fromCodePoint(cp));
}

function isLeadingPunctuation(code: number): boolean {
  return code === 0x2e || code === 0x25 || code === 0x2b || code === 0x2d || code === 0x27;
}

function isLabelChar(cp: number): boolean {
  if (cp < 0x80) return isAsciiAlnum(cp) || cp === 0x2d;
  // Past the end of the text the code point is undefined or NaN: no character.
  return cp <= 0x10ffff && UNICODE_WORD.test(String.fromCodePoint(cp));
}

/** The ASCII full stop and the ideographic and full-width ones IDNA (RFC 3490 §3.1) also reads as dots. */
function isDot(code: number): boolean {
  return code === 0x2e || code === 0x3002 || code === 0xff0e || code === 0xff61;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** 2 when the code point ending just before `i` is a surrogate pair, else 1. */
function widthBefore(text: string, i: number): number {
  const low = text.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = text.charCodeAt(i - 2);
    if (high >= 0xd800 && high <= 0xdbff) return 2;
  }
  return 1;
}
