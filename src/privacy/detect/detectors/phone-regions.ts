// The numbering plans PHONE checks numbers against: the default regions a number written without '+' may come
// from, the tests on its digits alone that rule regions out, and libphonenumber's validation of what is left.
import { Metadata, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import type { Group } from './phone-shapes.ts';

// Why the "max" metadata: with "min", isValid() checks little more than a region's number lengths, so 8- to
// 10-digit ids and dates pass as German numbers ("123456789", "20240115"); "max" holds each region's real
// number ranges per type. A validation costs about the same with either (15-30 µs); the parser only ever
// sees candidate windows, so the larger bundle is the whole cost.

/**
 * Where a number written without '+' may come from, tried in this order. `bare` is the shape of the national
 * numbers people write without a trunk prefix; everywhere else the trunk prefix ('0') is part of how a
 * national number is written ("03-1234-5678" is a Tokyo number, "3-1234-5678" is nothing).
 *
 * Every added region makes more runs of 8 to 13 digits valid somewhere, so the list stays short and skips
 * regions with no trunk prefix at all (Italy, Spain, Mexico ...), whose numbering plans would accept most
 * 9- and 10-digit ids. Numbers from anywhere are still found when written with '+'.
 */
const DEFAULT_REGIONS: readonly { region: CountryCode; bare?: RegExp }[] = [
  { region: 'US', bare: /^1?[2-9]\d\d[2-9]\d{6}$/ }, // NANP: [1] NPA-NXX-XXXX (covers Canada)
  { region: 'GB' },
  { region: 'DE' },
  { region: 'FR' },
  { region: 'IN' },
  { region: 'BR', bare: /^[1-9][1-9]\d{8,9}$/ }, // area code, then 8 (fixed) or 9 (mobile) digits
  { region: 'IL' },
  { region: 'JP' },
  { region: 'CN', bare: /^1[3-9]\d{9}$/ }, // mobile numbers have no trunk prefix
  { region: 'AU' },
];

/** International call prefixes written instead of '+' (ITU-T E.164 Annex A; '011' in the NANP, '0011' in Australia). */
const IDD_PREFIXES = ['00', '011', '010', '0011'];
/** The longest international call prefix in IDD_PREFIXES, which may stand where '+' would. */
export const MAX_IDD_DIGITS = 4;

interface RegionPlan {
  region: CountryCode;
  bare: RegExp | undefined;
  callingCode: string;
  lengths: ReadonlySet<number>;
}

const PLANS: readonly RegionPlan[] = DEFAULT_REGIONS.map(({ region, bare }) => {
  const metadata = new Metadata();
  metadata.selectNumberingPlan(region);
  return { region, bare, callingCode: getCountryCallingCode(region), lengths: new Set(metadata.numberingPlan?.possibleLengths() ?? []) };
});

/** The regions a number written without "+" is tried in, in order. */
export const PHONE_DEFAULT_REGIONS: readonly CountryCode[] = PLANS.map((p) => p.region);

// A national number's validation costs 15-30 µs a region (numbers written with '+' are checked in
// phone-plan-check.ts, at about 1 µs), and the same numbers come back again and again in logs and tables, so
// the verdict for a window is remembered (a window's text decides it: its digits, groups and separators).
const VERDICT_CACHE_SIZE = 4096;
const verdicts = new Map<string, PhoneNumber | null>();
// The same ids and build numbers come back line after line too; whether one fits a region is its digits' alone.
const loneNumbers = new Map<string, boolean>();

/** True when `digits`, whose first group is `firstGroup`, may be a number of some default region (see mayBeFrom). */
export function mayBeFromSomeRegion(digits: string, firstGroup: string): boolean {
  const iddGroup = IDD_PREFIXES.includes(firstGroup);
  for (const plan of PLANS) if (mayBeFrom(plan, digits, firstGroup, iddGroup)) return true;
  return false;
}

/** True when `digits`, written as one group, can be a number of no default region. */
export function fitsNoRegion(digits: string): boolean {
  let known = loneNumbers.get(digits);
  if (known === undefined) {
    known = !mayBeFromSomeRegion(digits, digits);
    if (loneNumbers.size >= VERDICT_CACHE_SIZE) loneNumbers.clear();
    loneNumbers.set(digits, known);
  }
  return known;
}

/**
 * The first default region in which the window is a valid number written the way that region writes it.
 * Regions are ruled out on the digits alone before the (costly) parse: a national number either starts with
 * the trunk prefix '0', or has that region's bare shape, or starts with its country code as a group of its
 * own ("44 20 7123 4567", "0044 …", "91-415-555-0132"), and what remains must be one of the region's lengths.
 * Numbers separated by spaces alone must also be grouped as that region groups them (groupedAsFormatted).
 */
export function validNational(window: string, digits: string, shape: readonly Group[], spacedOnly: boolean): PhoneNumber | undefined {
  const known = verdicts.get(window);
  if (known !== undefined) return known ?? undefined;
  const firstGroup = shape[0]!.digits;
  const iddGroup = IDD_PREFIXES.includes(firstGroup);
  for (const plan of PLANS) {
    if (!mayBeFrom(plan, digits, firstGroup, iddGroup)) continue;
    const phone = parse(window, plan.region);
    if (phone && writtenAsInRegion(phone, digits) && (!spacedOnly || groupedAsFormatted(phone, shape))) return remember(window, phone);
  }
  return remember(window, undefined);
}

function remember(window: string, phone: PhoneNumber | undefined): PhoneNumber | undefined {
  if (verdicts.size >= VERDICT_CACHE_SIZE) verdicts.clear();
  verdicts.set(window, phone ?? null);
  return phone;
}

function parse(window: string, region: CountryCode): PhoneNumber | undefined {
  const phone = parsePhoneNumberFromString(window, { defaultCountry: region, extract: false });
  return phone?.isValid() ? phone : undefined;
}

/**
 * Whether the digits can be a national number of `plan`'s region on their face: written with its country code
 * or after an international prefix, with the trunk prefix '0', or in the region's bare shape, and as long as
 * one of its numbers. `iddGroup` says whether `firstGroup` is one of IDD_PREFIXES (the same for every plan).
 */
function mayBeFrom(plan: RegionPlan, digits: string, firstGroup: string, iddGroup: boolean): boolean {
  const { callingCode: cc, lengths } = plan;
  // The country code as a group of its own, bare or after an IDD prefix: "44 20 …", "0044 20 …".
  if (firstGroup.length <= cc.length + MAX_IDD_DIGITS && firstGroup.endsWith(cc)) {
    const idd = firstGroup.slice(0, firstGroup.length - cc.length);
    if ((idd === '' || IDD_PREFIXES.includes(idd)) && lengths.has(digits.length - firstGroup.length)) return true;
  }
  // An IDD prefix as a group of its own: "00 44 20 …".
  if (iddGroup && digits.startsWith(cc, firstGroup.length) && lengths.has(digits.length - firstGroup.length - cc.length)) return true;
  if (digits.charCodeAt(0) === 48) return plan.region !== 'US' && lengths.has(digits.length - 1);
  return plan.bare !== undefined && plan.bare.test(digits);
}

/**
 * libphonenumber accepts a national significant number without the trunk prefix its region requires (it
 * reads "123456789" as Japanese); people write that prefix, so the digits must be the number as formatted
 * nationally, or with the trunk '0', or with the country code in front (with or without an IDD prefix).
 */
function writtenAsInRegion(phone: PhoneNumber, digits: string): boolean {
  // (The country-code forms were checked against the groups in mayBeFrom.)
  const nsn: string = phone.nationalNumber;
  const cc: string = phone.countryCallingCode;
  if (digits === nsn) return phone.formatNational().replace(/\D/g, '') === nsn;
  if (digits === `0${nsn}` || digits === `${cc}${nsn}`) return true;
  return IDD_PREFIXES.some((idd) => digits === `${idd}${cc}${nsn}`);
}

/**
 * Numbers separated by nothing but spaces are as often a row of figures as a phone number, so there the
 * groups must be the ones the national format has, or merge some of them (libphonenumber's STRICT_GROUPING
 * idea): "138 1234 5678" and "138 12345678" are Chinese mobile numbers, "1381 2345 678" is three figures.
 * Boundaries are counted from the end, and any in front of the national significant number (after a trunk
 * prefix, a country code or an international prefix) is allowed.
 */
function groupedAsFormatted(phone: PhoneNumber, shape: readonly Group[]): boolean {
  const nsnLength = phone.nationalNumber.length;
  const formatted = phone.formatNational().split(/\D+/).filter((g) => g !== '');
  const allowed = new Set<number>();
  let fromEnd = 0;
  for (let k = formatted.length - 1; k > 0; k--) allowed.add((fromEnd += formatted[k]!.length));
  fromEnd = 0;
  for (let k = shape.length - 1; k > 0; k--) {
    fromEnd += shape[k]!.digits.length;
    if (fromEnd < nsnLength && !allowed.has(fromEnd)) return false;
  }
  return true;
}
