// MAC_ADDRESS: 48-bit IEEE 802 MAC addresses in the usual text forms: six hex pairs joined by ':' or by '-'
// (IEEE 802's canonical form uses '-'), and Cisco's three dotted groups of four ("0012.3456.789a").
import { contextBoost, contextWords } from '../context.ts';
import type { Detector, PiiMatch } from '../detector.ts';
import { TextProfile } from '../text-profile.ts';
import { codeAt } from '../char-code.ts';

// The shape is specific, but hex pairs with colons also make up hashes, fingerprints and IPv6 addresses.
const BASE_CONFIDENCE = 0.6;
const CONTEXT = contextWords(['mac', 'mac address', 'hardware', 'hardware address', 'physical address', 'ethernet', 'bssid', 'wifi', 'wlan', 'nic', 'interface']);

/** One written form: its separator, the hex digits per group, the number of groups. */
interface Form {
  separator: string;
  group: number;
  groups: number;
}

// One separator throughout, so "10:2F:33-AC-29-C3" is no address.
const COLON_PAIRS: Form = { separator: ':', group: 2, groups: 6 };
const HYPHEN_PAIRS: Form = { separator: '-', group: 2, groups: 6 };
const CISCO_TRIPLES: Form = { separator: '.', group: 4, groups: 3 };

// Broadcast and all-zero addresses name no device.
const NOT_A_DEVICE = new Set(['ffffffffffff', '000000000000']);

/** Finds MAC addresses written as hex pairs ("00:1A:2B:3C:4D:5E", "00-1A-...") or Cisco triples. */
export const macAddressDetector: Detector = {
  type: 'MAC_ADDRESS',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    const matches: PiiMatch[] = [];
    // What the profile knows of the colons and dots rules most texts out; hyphens are looked for by the scan itself.
    if (profile.colons() >= COLON_PAIRS.groups - 1) scan(text, COLON_PAIRS, matches);
    scan(text, HYPHEN_PAIRS, matches);
    if (profile.mayHoldDotsFiveApart()) scan(text, CISCO_TRIPLES, matches);
    if (matches.length > 1) matches.sort((a, b) => a.start - b.start);
    return matches;
  },
};

/**
 * Looks at each first separator (found with indexOf, which is far cheaper than a regex whose first character is
 * any hex digit) and reads the whole address around it.
 */
function scan(text: string, form: Form, matches: PiiMatch[]): void {
  const sep = form.separator.charCodeAt(0);
  const length = form.group * form.groups + form.groups - 1;
  let at = text.indexOf(form.separator, form.group);
  while (at >= 0) {
    const start = at - form.group;
    const end = start + length;
    if (end <= text.length && isAddress(text, start, form, sep) && !continuesBefore(text, start, sep) && !continuesAfter(text, end, sep)) {
      const digits = text.slice(start, end).replaceAll(form.separator, '').toLowerCase();
      if (!NOT_A_DEVICE.has(digits)) {
        matches.push({ type: 'MAC_ADDRESS', start, end, confidence: contextBoost(BASE_CONFIDENCE, text, start, end, CONTEXT) });
      }
      at = text.indexOf(form.separator, end + form.group);
      continue;
    }
    at = text.indexOf(form.separator, at + 1);
  }
}

function isAddress(text: string, start: number, form: Form, sep: number): boolean {
  let i = start;
  for (let g = 0; g < form.groups; g++) {
    if (g > 0 && codeAt(text, i++) !== sep) return false;
    for (let k = 0; k < form.group; k++) if (!isHex(codeAt(text, i++))) return false;
  }
  return true;
}

// One group more on either side makes it something else: an EUI-64, an IPv6 address, a hash fingerprint.
function continuesBefore(text: string, start: number, sep: number): boolean {
  if (start === 0) return false;
  const c = codeAt(text, start - 1);
  return isWordChar(c) || (c === sep && isHex(codeAt(text, start - 2)));
}

function continuesAfter(text: string, end: number, sep: number): boolean {
  const c = codeAt(text, end);
  return isWordChar(c) || (c === sep && isHex(codeAt(text, end + 1)));
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}
