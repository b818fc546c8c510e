// URL: web and FTP addresses (RFC 3986): with a scheme, after "www.", or a bare domain whose top-level domain
// is a real one. Trailing sentence punctuation is left out, and an e-mail's domain is not a URL.
import { isIPv4, isIPv6 } from 'node:net';
import { contextBoost, contextWords } from '../context.ts';
import type { Detector, PiiMatch } from '../detector.ts';
import { TextProfile } from '../text-profile.ts';

// A scheme or "www." says "this is an address" outright; a bare domain could still be a file or a typo.
const SCHEME_CONFIDENCE = 0.8;
const WWW_CONFIDENCE = 0.7;
const BARE_CONFIDENCE = 0.55;
const CONTEXT = contextWords(['url', 'link', 'website', 'site', 'web', 'domain', 'visit', 'homepage', 'http', 'https']);

// RFC 1035 §2.3.4: 63 octets per label, 255 per name (253 written out).
const LABEL_MAX = 63;
const DOMAIN_MAX = 253;

// Delegated country-code TLDs (IANA root zone), ISO 3166-1 codes plus ac, eu, su, uk.
const COUNTRY_TLDS =
  'ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo bq br bs bt bw by bz ' +
  'ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk fm fo ' +
  'fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm ' +
  'jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq ' +
  'mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa ' +
  're ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to ' +
  'tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw';

// The original generic TLDs, the new gTLDs registered most in practice, and city and region TLDs. Words that
// are mostly code member names ("obj.property", "el.style", "this.store") stay out: with a scheme or "www."
// any alphabetic TLD is taken, so only bare domains need the list.
const GENERIC_TLDS =
  'com net org edu gov mil int info biz pro mobi asia tel travel jobs cat coop aero museum post xxx ' +
  'academy agency app art bio blog center city cloud club company consulting dev digital fun guru icu ' +
  'life live llc ltd gmbh inc news ninja online rocks shop site solutions space studio tech today vip webcam website ' +
  'wiki world xyz design ' +
  'africa amsterdam barcelona bayern berlin boston brussels cymru eus gal gent hamburg istanbul koeln kyoto lat ' +
  'london madrid melbourne miami moscow nagoya nrw nyc okinawa osaka paris quebec ruhr saarland scot swiss sydney ' +
  'tokyo vegas vlaanderen wales wien yokohama';

// Real TLDs that, written bare, are far more often a file or a word: "setup.py", "README.md", "main.tf".
const FILE_LIKE_TLDS = new Set('md py sh rs pm ps tf mk mm la am ac cc'.split(' '));

// Receivers of member access in code samples and logs; no one registers "this.id" to write it bare.
const CODE_RECEIVERS = new Set('this self super window document console process module exports props state ctx req res err obj args np pd df os sys std math json'.split(' '));

const BARE_TLDS = new Set([...COUNTRY_TLDS.split(' '), ...GENERIC_TLDS.split(' ')].filter((t) => !FILE_LIKE_TLDS.has(t)));

// RFC 3986 §3.1: scheme names are case-insensitive; these are the ones that locate a host on the web.
const SCHEMES = new Set(['http', 'https', 'ftp', 'ftps', 'sftp', 'ws', 'wss']);
const SCHEME_MAX = 5;
// A top-level label is at most 63 characters (RFC 1035 §2.3.4); an xn-- A-label may hold digits and hyphens.
const TLD_MAX = 63;

const UNICODE_WORD = /[\p{L}\p{M}\p{N}]/u;
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const UNICODE_LETTERS = /^[\p{L}\p{M}]+$/u;
const A_LABEL = /^xn--[a-z0-9-]+$/i;
// Unicode spaces and punctuation end a URL in running text (", “, », 。 and the like).
const UNICODE_STOP = /[\p{Z}\p{P}\p{Cc}]/u;

type Span = { start: number; end: number; confidence: number };

/** Finds URLs. An address right after '@' belongs to an e-mail and is left to email.ts. */
export const urlDetector: Detector = {
  type: 'URL',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    // Most texts have no anchor at all.
    if (!profile.hasDotBeforeLetter() && text.indexOf('://') < 0) return [];
    const spans: Span[] = [];
    // Anchors are found with indexOf, which outruns any regex over ordinary text. URLs with a scheme go first so
    // that no reading from a dot splits one.
    collect(text, spans, nextSchemeSeparator, fromScheme);
    collect(text, spans, nextDotBeforeLetter, fromDot);
    if (spans.length > 1) spans.sort((a, b) => a.start - b.start);
    return spans.map((s) => ({ type: 'URL', start: s.start, end: s.end, confidence: contextBoost(s.confidence, text, s.start, s.end, CONTEXT) }));
  },
};

function nextSchemeSeparator(text: string, from: number): number {
  return text.indexOf('://', from);
}

/** The next '.' followed by an ASCII letter: the only dots a "www." host or a top-level domain can follow. */
function nextDotBeforeLetter(text: string, from: number): number {
  for (let dot = text.indexOf('.', from); dot >= 0; dot = text.indexOf('.', dot + 1)) {
    if (isAsciiLetter(text.charCodeAt(dot + 1))) return dot;
  }
  return -1;
}

/**
 * Offers each anchor `next` finds to `grow` and keeps the spans it makes, skipping anchors inside a span
 * already taken (by this pass or an earlier, surer one) and spans that would overlap one.
 */
function collect(
  text: string,
  spans: Span[],
  next: (text: string, from: number) => number,
  grow: (text: string, at: number) => Span | undefined,
): void {
  const taken = [...spans];
  let t = 0;
  for (let at = next(text, 0); at >= 0; at = next(text, at + 1)) {
    while (t < taken.length && taken[t]!.end <= at) t++;
    if (t < taken.length && taken[t]!.start <= at) {
      at = taken[t]!.end - 1;
      continue;
    }
    const span = grow(text, at);
    if (!span) continue;
    // Spans found from a scheme or a TLD start before their anchor, so they may reach back into a taken one.
    if (t > 0 && taken[t - 1]!.end > span.start) continue;
    if (t < taken.length && taken[t]!.start < span.end) continue;
    spans.push(span);
    taken.splice(t, 0, span);
    t++;
    at = Math.max(at, span.end - 1);
  }
}

/** A URL from the "://" after its scheme. */
function fromScheme(text: string, at: number): Span | undefined {
  let start = at;
  while (start > 0 && at - start <= SCHEME_MAX && isAsciiLetter(text.charCodeAt(start - 1))) start--;
  if (start === at || !SCHEMES.has(text.slice(start, at).toLowerCase())) return undefined;
  if (start > 0 && isAsciiWordChar(text.charCodeAt(start - 1))) return undefined;
  const hostStart = afterUserinfo(text, at + 3);
  const hostEnd = hostEndAt(text, hostStart, 2);
  if (hostEnd === undefined) return undefined;
  return { start, end: urlEnd(text, start, hostEnd), confidence: SCHEME_CONFIDENCE };
}

/** A URL whose host starts "www." (or "www2." and the like): at least a name and a TLD must follow. */
function fromWww(text: string, dot: number): Span | undefined {
  let start = dot;
  while (start > 0 && dot - start < 3 && isDigit(text.charCodeAt(start - 1))) start--;
  start -= 3;
  if (start < 0 || !isW(text.charCodeAt(start)) || !isW(text.charCodeAt(start + 1)) || !isW(text.charCodeAt(start + 2))) return undefined;
  if (!isOpeningBoundary(text, start)) return undefined;
  // "www.microsoft" alone is not an address.
  const hostEnd = hostEndAt(text, start, 3);
  if (hostEnd === undefined) return undefined;
  return { start, end: urlEnd(text, start, hostEnd), confidence: WWW_CONFIDENCE };
}

/** A URL from a dot: the one after "www", or the one before a known top-level domain of a bare domain. */
function fromDot(text: string, dot: number): Span | undefined {
  return fromWww(text, dot) ?? fromTld(text, dot);
}

function fromTld(text: string, dot: number): Span | undefined {
  let tldEnd = dot + 1;
  while (tldEnd - dot <= TLD_MAX + 1 && isLabelChar(text.charCodeAt(tldEnd)) && text.charCodeAt(tldEnd) < 0x80) tldEnd++;
  const tld = text.slice(dot + 1, tldEnd);
  const lower = tld.toLowerCase();
  if (!BARE_TLDS.has(lower) && !(A_LABEL.test(tld) && tld.length > 4 && tld.length <= TLD_MAX)) return undefined;
  const next = text.codePointAt(tldEnd);
  if (next !== undefined) {
    // Not the last label ("microsoft.com.au" is seen again at ".au"), a word going on in another script or with
    // an underscore, or the domain of an e-mail address.
    if (isDot(next) && isLabelChar(text.codePointAt(tldEnd + 1) ?? 0)) return undefined;
    if (next === 0x5f || next === 0x40 || (next >= 0x80 && isBareLabelChar(next))) return undefined;
  }
  const start = domainStartBefore(text, dot);
  if (start === undefined || !isOpeningBoundary(text, start) || isMemberAccess(text, start)) return undefined;
  // "sentence.It" is a missing space; a domain's TLD is written in lower case unless the whole name is shouted.
  if (tld !== lower && text.slice(start, tldEnd) !== text.slice(start, tldEnd).toUpperCase()) return undefined;
  return { start, end: urlEnd(text, start, tldEnd), confidence: BARE_CONFIDENCE };
}

/** "this.state.user.id", "self.name.io": a dotted name that starts with a code receiver is a member access. */
function isMemberAccess(text: string, start: number): boolean {
  const dot = text.indexOf('.', start);
  return CODE_RECEIVERS.has(text.slice(start, dot));
}

/** Skips "user:password@" when the authority has one (RFC 3986 §3.2.1). */
function afterUserinfo(text: string, from: number): number {
  const limit = Math.min(text.length, from + 256);
  let at = -1;
  for (let i = from; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x40) at = i;
    else if (c === 0x2f || c === 0x3f || c === 0x23 || isStop(text, i)) break;
  }
  return at < 0 ? from : at + 1;
}

/**
 * Where the host starting at `from` ends: a bracketed IPv6 literal, an IPv4 address, or a domain of at least
 * `minLabels` labels with an alphabetic (or xn--) top-level label.
 */
function hostEndAt(text: string, from: number, minLabels: number): number | undefined {
  if (text.charCodeAt(from) === 0x5b) {
    const close = text.slice(from, from + 66).indexOf(']') + from;
    if (close < from) return undefined;
    const inner = text.slice(from + 1, close);
    return isIPv6(inner) ? close + 1 : undefined;
  }
  const labels: [number, number][] = [];
  let i = from;
  for (;;) {
    const labelStart = i;
    let ascii = false;
    while (i < text.length && i - from <= DOMAIN_MAX) {
      const cp = text.codePointAt(i)!;
      if (!isLabelChar(cp)) break;
      // "访问https://example.com谢谢": the text after an ASCII label goes on without a space.
      if (cp < 0x80) ascii = true;
      else if (ascii && !isBareLabelChar(cp)) break;
      i += cp > 0xffff ? 2 : 1;
    }
    if (i - from > DOMAIN_MAX || i === labelStart) return undefined;
    labels.push([labelStart, i]);
    if (!isDot(text.charCodeAt(i)) || !isLabelChar(text.codePointAt(i + 1) ?? 0)) break;
    i++;
  }
  if (labels.length === 4 && isIPv4(text.slice(from, i))) return i;
  if (labels.length < minLabels || !labels.every(([s, e]) => isLabel(text, s, e))) return undefined;
  const [s, e] = labels[labels.length - 1]!;
  const tld = text.slice(s, e);
  const isTld = (A_LABEL.test(tld) && tld.length > 4) || (tld.length >= 2 && UNICODE_LETTERS.test(tld));
  return isTld ? i : undefined;
}

/** Walks back from the dot before a TLD over the labels in front of it; undefined when they are not a domain. */
function domainStartBefore(text: string, dot: number): number | undefined {
  let i = dot;
  let labelEnd = dot;
  for (;;) {
    while (i > 0 && dot - i <= DOMAIN_MAX) {
      const width = widthBefore(text, i);
      if (!isBareLabelChar(text.codePointAt(i - width)!)) break;
      i -= width;
    }
    if (dot - i > DOMAIN_MAX || i === labelEnd || !isLabel(text, i, labelEnd)) return undefined;
    if (i >= 2 && isDot(text.charCodeAt(i - 1)) && isBareLabelChar(text.codePointAt(i - 1 - widthBefore(text, i - 1))!)) {
      i--;
      labelEnd = i;
      continue;
    }
    return i;
  }
}

function isLabel(text: string, start: number, end: number): boolean {
  return end - start <= LABEL_MAX && text.charCodeAt(start) !== 0x2d && text.charCodeAt(end - 1) !== 0x2d;
}

/** The end of a URL whose host ends at `hostEnd`: port, path, query and fragment, less trailing punctuation. */
function urlEnd(text: string, start: number, hostEnd: number): number {
  let end = hostEnd;
  if (text.charCodeAt(end) === 0x3a) {
    let d = end + 1;
    while (d < text.length && d - end <= 5 && isDigit(text.charCodeAt(d))) d++;
    if (d > end + 1 && !isDigit(text.charCodeAt(d))) end = d;
  }
  const c = text.charCodeAt(end);
  if (c !== 0x2f && c !== 0x3f && c !== 0x23) return end;
  while (end < text.length && !isStop(text, end)) end++;
  return trimTrailing(text, start, end);
}

/** Sentence punctuation after a URL is the sentence's; a closing bracket is the URL's only when it opened one. */
function trimTrailing(text: string, start: number, end: number): number {
  let parens = 0;
  let brackets = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28) parens++;
    else if (c === 0x29) parens--;
    else if (c === 0x5b) brackets++;
    else if (c === 0x5d) brackets--;
  }
  while (end > start) {
    const c = text.charCodeAt(end - 1);
    if (c === 0x29 && parens < 0) parens++;
    else if (c === 0x5d && brackets < 0) brackets++;
    else if (!isTrailingPunctuation(c)) break;
    end--;
  }
  return end;
}

function isTrailingPunctuation(c: number): boolean {
  // . , ; : ! ? * '
  return c === 0x2e || c === 0x2c || c === 0x3b || c === 0x3a || c === 0x21 || c === 0x3f || c === 0x2a || c === 0x27;
}

/** Characters that end a URL in text: RFC 3986 §2 never allows them unencoded, or prose puts them around one. */
function isStop(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c <= 0x20 || c === 0x7f) return true;
  if (c < 0x80) return c === 0x22 || c === 0x27 || c === 0x3c || c === 0x3e || c === 0x5c || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7c || c === 0x7d;
  return UNICODE_STOP.test(String.fromCodePoint(text.codePointAt(i)!));
}

/** A URL starts the text or follows a space or bracketing punctuation, never a path, a word or an '@'. */
function isOpeningBoundary(text: string, start: number): boolean {
  if (start === 0) return true;
  const c = text.charCodeAt(start - 1);
  if (c <= 0x20) return true;
  if (c < 0x80) return '([{<"\'`,;:!?*|'.includes(String.fromCharCode(c));
  return !isBareLabelChar(text.codePointAt(start - widthBefore(text, start))!);
}

/**
 * A label character that can start a domain written in running text. Scripts written without spaces (Han, kana,
 * Thai...) run straight into an ASCII name, so there they are the text around the domain, not part of it.
 */
function isBareLabelChar(cp: number): boolean {
  return isLabelChar(cp) && (cp < 0x80 || !UNSPACED_SCRIPT.test(String.fromCodePoint(cp)));
}

function isLabelChar(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x2d;
  // Past the end of the text the code point is undefined or NaN: no character.
  return cp <= 0x10ffff && UNICODE_WORD.test(String.fromCodePoint(cp));
}

/** The ASCII full stop and the ideographic and full-width ones IDNA (RFC 3490 §3.1) also reads as dots. */
function isDot(code: number): boolean {
  return code === 0x2e || code === 0x3002 || code === 0xff0e || code === 0xff61;
}

function isW(c: number): boolean {
  return c === 0x77 || c === 0x57;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isAsciiWordChar(c: number): boolean {
  return isAsciiLetter(c) || isDigit(c) || c === 0x5f;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
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
