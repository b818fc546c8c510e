// Whether a number written with '+' is valid, decided as libphonenumber-js decides it (parse, then isValid) on
// the same metadata, with each of the metadata's patterns compiled once. libphonenumber-js compiles a pattern
// again for every test it makes (new RegExp('^(?:' + pattern + ')$') in its helpers/matchesEntirely.js): about
// 1 µs each for the long North American patterns and a dozen tests a number, so 12 µs a number, against about
// 1 µs here. The steps below follow its parse.js, extractCountryCallingCode.js, extractNationalNumber.js,
// getCountryByCallingCode.js, getNumberType.js and isValid.js (1.13.x); phone-plan-check.test.ts compares every
// verdict with libphonenumber-js's own over generated numbers, so an upgrade that changes them fails there.
import { Metadata, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** libphonenumber's number types, in the order its getNumberType tries them. */
const NUMBER_TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'];
/** libphonenumber's MAX_LENGTH_COUNTRY_CODE, MIN_LENGTH_FOR_NSN and MAX_LENGTH_FOR_NSN (its constants.js). */
const MAX_CALLING_CODE_DIGITS = 3;
const MIN_NSN_DIGITS = 2;
const MAX_NSN_DIGITS = 17;

// The parts of libphonenumber-js's Metadata read here: in its builds, though not in its type declarations.
interface TypeInternals {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}
interface PlanInternals {
  nationalNumberPattern(): string;
  possibleLengths(): number[] | undefined;
  leadingDigits(): string | undefined;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  hasTypes(): boolean;
  type(type: string): TypeInternals | undefined;
}
interface MetadataInternals {
  hasCallingCode(callingCode: string): boolean;
  isNonGeographicCallingCode(callingCode: string): boolean;
  getCountryCodesForCallingCode(callingCode: string): string[] | undefined;
  selectNumberingPlan(countryOrCallingCode: string): void;
  numberingPlan: PlanInternals;
}

/** One numbering plan's patterns, compiled. */
interface CompiledPlan {
  nationalNumber: RegExp;
  possibleLengths: readonly number[] | undefined;
  leadingDigits: RegExp | undefined;
  prefixForParsing: RegExp | undefined;
  transformRule: string | undefined;
  hasTypes: boolean;
  /** The types that have a pattern, in NUMBER_TYPES order, with the lengths each allows. */
  types: readonly { lengths: readonly number[] | undefined; pattern: RegExp }[];
}

const catalog = new Metadata() as unknown as MetadataInternals;
for (const method of ['hasCallingCode', 'isNonGeographicCallingCode', 'getCountryCodesForCallingCode'] as const) {
  if (typeof catalog[method] !== 'function') throw new Error(`phone-plan-check.ts: libphonenumber-js's Metadata has no ${method}(); see the version this file follows`);
}
/** Plans by what selects them (a country code such as "US", or a calling code such as "1"); a few hundred at most. */
const plans = new Map<string, CompiledPlan>();

function planFor(countryOrCallingCode: string): CompiledPlan {
  let plan = plans.get(countryOrCallingCode);
  if (!plan) {
    catalog.selectNumberingPlan(countryOrCallingCode);
    const p = catalog.numberingPlan;
    const prefix = p.nationalPrefixForParsing();
    const leading = p.leadingDigits();
    const types: { lengths: readonly number[] | undefined; pattern: RegExp }[] = [];
    for (const name of NUMBER_TYPES) {
      const type = p.type(name);
      const pattern = type?.pattern();
      if (type && pattern) types.push({ lengths: type.possibleLengths(), pattern: entirely(pattern) });
    }
    plan = {
      nationalNumber: entirely(p.nationalNumberPattern()),
      possibleLengths: p.possibleLengths(),
      leadingDigits: leading ? new RegExp(leading) : undefined,
      prefixForParsing: prefix ? new RegExp(`^(?:${prefix})`) : undefined,
      transformRule: p.nationalPrefixTransformRule(),
      hasTypes: p.hasTypes(),
      types,
    };
    plans.set(countryOrCallingCode, plan);
  }
  return plan;
}

function entirely(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * True when libphonenumber-js finds `window` valid (parsePhoneNumberFromString(window, { extract: false })
 * ?.isValid()). `window` is a '+' and then digits with the separators numbers are written with (space, no-break
 * space, '(', ')', '-', '.', '/'), as the phone detector cuts it.
 */
export function isValidInternational(window: string): boolean {
  const digits = window.replace(/\D/g, '');
  if (digits.charCodeAt(0) === 48) return false; // "+0…" names no calling code
  let callingCode: string | undefined;
  for (let n = 1; n <= MAX_CALLING_CODE_DIGITS && n <= digits.length; n++) {
    if (catalog.hasCallingCode(digits.slice(0, n))) {
      callingCode = digits.slice(0, n);
      break;
    }
  }
  if (callingCode === undefined) return false;
  // Numbers of no country (+800, +882 …) take paths of their own there; they are rare in text.
  if (catalog.isNonGeographicCallingCode(callingCode)) return parsePhoneNumberFromString(window, { extract: false })?.isValid() === true;
  const rest = digits.slice(callingCode.length);
  if (rest === '') return false;
  const nationalNumber = extractNationalNumber(rest, callingCode);
  if (nationalNumber.length < MIN_NSN_DIGITS || nationalNumber.length > MAX_NSN_DIGITS) return false;
  const country = countryOf(callingCode, nationalNumber);
  const plan = planFor(country ?? callingCode);
  return plan.hasTypes ? hasSomeType(nationalNumber, plan) : plan.nationalNumber.test(nationalNumber);
}

/** extractNationalNumber.js: the number without its national prefix, when taking it off leaves a possible number. */
function extractNationalNumber(number: string, callingCode: string): string {
  const main = planFor(callingCode);
  const stripped = withoutNationalPrefix(number, main);
  if (stripped === number) return number;
  if (main.nationalNumber.test(number) && !main.nationalNumber.test(stripped)) return number;
  if (main.possibleLengths) {
    const country = countryOf(callingCode, stripped);
    const lengths = country ? planFor(country).possibleLengths : main.possibleLengths;
    const verdict = lengthVerdict(stripped, lengths);
    if (verdict === 'TOO_SHORT' || verdict === 'INVALID_LENGTH') return number;
  }
  return stripped;
}

/** extractNationalNumberFromPossiblyIncompleteNumber.js, the national number only. */
function withoutNationalPrefix(number: string, plan: CompiledPlan): string {
  if (!plan.prefixForParsing) return number;
  const match = plan.prefixForParsing.exec(number);
  if (!match) return number;
  const groups = match.length - 1;
  const captured = groups > 0 && Boolean(match[groups]);
  if (plan.transformRule && captured) return number.replace(plan.prefixForParsing, plan.transformRule);
  return number.slice(match[0].length);
}

/** getCountryByCallingCode.js: the country of a calling code shared by several, by leading digits or by type. */
function countryOf(callingCode: string, nationalNumber: string): string | undefined {
  const countries = catalog.getCountryCodesForCallingCode(callingCode);
  if (!countries) return undefined;
  if (countries.length === 1) return countries[0];
  for (const country of countries) {
    const plan = planFor(country);
    if (plan.leadingDigits) {
      if (nationalNumber && nationalNumber.search(plan.leadingDigits) === 0) return country;
    } else if (hasSomeType(nationalNumber, plan)) return country;
  }
  return undefined;
}

/** getNumberType.js: whether the number has any type in the plan (getNumberType(…) !== undefined). */
function hasSomeType(nationalNumber: string, plan: CompiledPlan): boolean {
  if (!plan.nationalNumber.test(nationalNumber)) return false;
  for (const type of plan.types) {
    if (type.lengths && !type.lengths.includes(nationalNumber.length)) continue;
    if (type.pattern.test(nationalNumber)) return true;
  }
  return false;
}

/** checkNumberLength.js for no particular type. */
function lengthVerdict(nationalNumber: string, lengths: readonly number[] | undefined): 'IS_POSSIBLE' | 'TOO_SHORT' | 'TOO_LONG' | 'INVALID_LENGTH' {
  if (!lengths) return 'IS_POSSIBLE';
  const length = nationalNumber.length;
  if (lengths[0] === length) return 'IS_POSSIBLE';
  if (lengths[0]! > length) return 'TOO_SHORT';
  if (lengths[lengths.length - 1]! < length) return 'TOO_LONG';
  return lengths.indexOf(length, 1) >= 0 ? 'IS_POSSIBLE' : 'INVALID_LENGTH';
}
