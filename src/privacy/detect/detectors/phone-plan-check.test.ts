// The compiled check of numbers written with '+' against libphonenumber-js's own verdict: every calling code,
// national prefixes and carrier codes written after it, every country's example number and numbers one digit
// away from it, with the separators the phone detector lets into a window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getCountries, getCountryCallingCode, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json';
import { isValidInternational } from './phone-plan-check.ts';

const library = (window: string): boolean => parsePhoneNumberFromString(window, { extract: false })?.isValid() === true;

const callingCodes = [...new Set(getCountries().map((country) => getCountryCallingCode(country)))];
// Non-geographic codes too (the check hands those to the library), and prefixes that are no calling code.
const codes = [...callingCodes, '800', '808', '870', '878', '881', '882', '883', '888', '979', '0', '28', '999'];
const SEPARATORS = [' ', '\u00a0', '-', '.', '/', '(', ')', ' (', ') ', '', ''];

/** The digits after '+' written with separators between some of them, as a detector window is. */
const windowOf = fc
  .tuple(fc.stringMatching(/^[0-9]{4,17}$/), fc.array(fc.constantFrom(...SEPARATORS), { minLength: 17, maxLength: 17 }))
  .map(([digits, seps]) => `+${[...digits].map((d, i) => (i === 0 ? d : seps[i]! + d)).join('')}`);

test('every verdict on numbers after a known calling code, with a trunk prefix or not, is the library verdict', () => {
  const number = fc
    .tuple(fc.constantFrom(...codes), fc.constantFrom('', '0', '1', '8', '9', '15', '01', '06', '021', '0 21', '(0)'), fc.stringMatching(/^[0-9]{3,14}$/), fc.constantFrom(' ', '-', ''))
    .map(([code, trunk, rest, sep]) => `+${code}${sep}${trunk}${sep}${rest}`);
  fc.assert(
    fc.property(number, (window) => {
      assert.equal(isValidInternational(window), library(window), window);
    }),
    { numRuns: 20_000 },
  );
});

test('every verdict on digits of any kind after a plus, with separators, is the library verdict', () => {
  fc.assert(
    fc.property(windowOf, (window) => {
      assert.equal(isValidInternational(window), library(window), window);
    }),
    { numRuns: 10_000 },
  );
});

test("each country's example number and every number one digit away from it get the library verdict", () => {
  let valid = 0;
  let checked = 0;
  for (const country of getCountries()) {
    const example = getExampleNumber(country, examples);
    if (!example) continue;
    const digits = example.number.slice(1);
    const variants = [digits];
    for (let i = 0; i < digits.length; i++) variants.push(digits.slice(0, i) + String((Number(digits[i]) + 3) % 10) + digits.slice(i + 1));
    variants.push(`${digits}1`, digits.slice(0, -1));
    for (const variant of variants) {
      const window = `+${variant.slice(0, 2)} ${variant.slice(2, 5)} ${variant.slice(5)}`;
      const expected = library(window);
      assert.equal(isValidInternational(window), expected, `${country}: ${window}`);
      checked++;
      if (expected) valid++;
    }
  }
  // Not a test that passes on nothing: a good share of what it compares is valid.
  assert.ok(checked > 2000 && valid > checked / 4, `${valid} of ${checked} valid`);
});

test('numbers written the ways people write them get the library verdict', () => {
  for (const window of [
    '+1 415 555 0132',
    '+1 (415) 555-0132',
    '+44 20 7946 0958',
    '+44 (0)20 7946 0958',
    '+49 30 901820',
    '+49 (0)30 901820',
    '+39 06 6982 0000',
    '+7 8 495 123 45 67',
    '+7 495 123 45 67',
    '+54 9 11 2345 6789',
    '+54 11 15 2345 6789',
    '+55 11 91234 5678',
    '+52 1 55 1234 5678',
    '+61 4 1234 5678',
    '+86 138 1234 5678',
    '+1 242 359 1234',
    '+1 684 733 1234',
    '+800 1234 5678',
    '+0 123 456 789',
  ]) {
    assert.equal(isValidInternational(window), library(window), window);
  }
  assert.equal(isValidInternational('+1 415 555 0132'), true);
  assert.equal(isValidInternational('+1 415 555 01'), false);
});
