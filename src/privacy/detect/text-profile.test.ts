// The text profile: the facts the detectors' gates read (number runs, date and address shapes, capitals,
// colons and dots), each with its denials, and the property that matters: a gate never turns away a text on
// which its detector finds something.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LISTED_RUN_DIGITS, TextProfile, isRunChar } from './text-profile.ts';
import { ALL_DETECTORS } from './all-detectors.ts';

const runsOf = (text: string): string[] => {
  const runs = new TextProfile(text).numberRuns();
  const out: string[] = [];
  for (let k = 0; k < runs.length; k += 3) out.push(text.slice(runs[k], runs[k + 1]));
  return out;
};

test('number runs: whole runs of eight digits or more, with the punctuation numbers are written with', () => {
  const cases: { text: string; expect: string[] }[] = [
    { text: 'call +1 (415) 555-0132 now', expect: ['1 (415) 555-0132 '] },
    { text: 'card 4111 1111 1111 1111, ssn 078-05-1123.', expect: [' 4111 1111 1111 1111', ' 078-05-1123.'] },
    { text: '20241105', expect: ['20241105'] },
    { text: 'a\u00a012 34 56 78\u00a0b', expect: ['\u00a012 34 56 78\u00a0'] },
    // Denials: too few digits, no two adjacent digits with six run characters after them, broken by ':'.
    { text: 'order 88231 shipped', expect: [] },
    { text: '1 2 3 4 5 6 7 8 9', expect: [] },
    { text: 'at 10:42:13 and 12:34:56:78', expect: [] },
    { text: '', expect: [] },
  ];
  for (const c of cases) assert.deepEqual(runsOf(c.text), c.expect, c.text);
});

test('run windows: the runs that hold enough digits, one character before and two after; fewer than listed is an error', () => {
  const text = 'x 1234 5678 9012 y 20241105z';
  const profile = new TextProfile(text);
  const windows = profile.runWindows(12);
  assert.deepEqual([text.slice(windows[0], windows[1])], ['x 1234 5678 9012 y ']);
  assert.equal(profile.runWindows(8).length, 4, 'both runs hold eight digits');
  assert.equal(profile.runWindows(13).length, 0);
  assert.throws(() => profile.runWindows(LISTED_RUN_DIGITS - 1), RangeError);
});

test('dates: the shapes DATE_OF_BIRTH reads are seen, also inside a long run of digits; others are not', () => {
  const yes = ['born 1984-07-23', '31.01.1980', '01/31/80', 'January 31, 1980', '31 de enero de 1980', 'born in 1980T10', 'ids 20241105 1984-07-23 born', '1 2 1984-1-1'];
  const no = ['build 20241105 passed', 'at 10:42:13', 'version 2.4.1', 'order #88231', 'year 18999', ''];
  for (const text of yes) assert.equal(new TextProfile(text).mayHoldDate(), true, text);
  for (const text of no) assert.equal(new TextProfile(text).mayHoldDate(), false, text);
});

test('addresses: a Base58 start or "bc1" is seen, also where a run of digits leads into it; prose with numbers is not', () => {
  const yes = [
    'send to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT',
    '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
    'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
    'BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ',
    'ref 12 34 56 78 111111111111111111114oLvT2',
    'ref 12 34 56 78 11111111111111111111111111',
  ];
  const no = ['build 20241105 passed at 10:42:13', 'version 2.4.1 deployed', 'bc 1 and 3 but no address', ''];
  for (const text of yes) assert.equal(new TextProfile(text).mayHoldAddress(), true, text);
  for (const text of no) assert.equal(new TextProfile(text).mayHoldAddress(), false, text);
});

test('capitals: A-Z, Latin-1 capitals and all of Latin Extended-A; lower case and other scripts are not', () => {
  for (const text of ['Dear Mr. Smith', 'élodie Élodie', 'my name is ādam', 'GB82 WEST']) assert.equal(new TextProfile(text).mayHoldCapital(), true, text);
  for (const text of ['the parcel was delayed', 'straße ÿ ×', 'Ωμέγα Привет', '']) assert.equal(new TextProfile(text).mayHoldCapital(), false, text);
});

test('colons and dots: counted up to the cap, with "::", a dot before a letter and dots five apart', () => {
  const p = new TextProfile('at 10:42:13 see example.org or 0012.3456.789a');
  assert.equal(p.colons(), 2);
  assert.equal(p.hasDoubleColon(), false);
  assert.equal(p.dots(), 3);
  assert.equal(p.hasDotBeforeLetter(), true);
  assert.equal(p.mayHoldDotsFiveApart(), true);
  const q = new TextProfile('fe80::1 v2.4.1');
  assert.equal(q.hasDoubleColon(), true);
  assert.equal(q.hasDotBeforeLetter(), false);
  assert.equal(q.mayHoldDotsFiveApart(), false);
  // Past the cap what was not counted is looked for, or assumed.
  const many = new TextProfile(`${'1:'.repeat(10)}:: ${'1.'.repeat(10)}x`);
  assert.equal(many.colons(), 8);
  assert.equal(many.hasDoubleColon(), true);
  assert.equal(many.hasDotBeforeLetter(), true);
  assert.equal(many.mayHoldDotsFiveApart(), true);
});

/** A profile whose gates let everything through, and that lists every run of eight digits or more. */
class OpenProfile extends TextProfile {
  override numberRuns(): readonly number[] {
    const runs: number[] = [];
    const text = this.text;
    for (let i = 0; i < text.length; ) {
      if (!isRunChar(text.charCodeAt(i))) {
        i++;
        continue;
      }
      const start = i;
      let digits = 0;
      for (; i < text.length && isRunChar(text.charCodeAt(i)); i++) if (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) digits++;
      if (digits >= LISTED_RUN_DIGITS) runs.push(start, i, digits);
    }
    return runs;
  }
  override mayHoldDate(): boolean {
    return true;
  }
  override mayHoldAddress(): boolean {
    return true;
  }
  override mayHoldCapital(): boolean {
    return true;
  }
  override colons(): number {
    return Number.MAX_SAFE_INTEGER;
  }
  override hasDoubleColon(): boolean {
    return true;
  }
  override dots(): number {
    return Number.MAX_SAFE_INTEGER;
  }
  override hasDotBeforeLetter(): boolean {
    return true;
  }
  override mayHoldDotsFiveApart(): boolean {
    return true;
  }
}

const FRAGMENTS = [
  ' ', ' ', ' ', '-', '.', '/', ':', '::', '(', ')', '+', '@', '\u00a0', ',', 'a', 'B', 'x', 'é', 'Ā', '电话',
  '0', '1', '3', '12', '19', '20', '1984', '2024', '88231', '20241105', '10:42:13', '2.4.1',
  'born ', 'DOB ', 'phone ', 'ssn ', 'card ', 'iban ', 'ip ', 'mac ', 'Mr. ', 'Dear ', 'my name is ', 'John ', 'Smith',
  '+1 (415) 555-0132', '+44 20 7946 0958', '4111 1111 1111 1111', '078-05-1123', 'GB82 WEST 1234 5698 7654 32',
  'DE89370400440532013000', '192.168.12.34', '2001:db8::8a2e:370:7334', 'fe80::1%eth0', '00:1A:2B:3C:4D:5E',
  '00-1A-2B-3C-4D-5E', '0012.3456.789a', 'https://www.example.org/account?id=42', 'example.com', 'ada@example.com',
  '1BoatSLRHtKNngkdXEeobR76b53LETtpyT', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
  '1984-07-23', '23.07.1984', 'July 23, 1984', '23 de julio de 1984', '07/23/84',
];

test('property: no gate turns away a text its detector finds something in', () => {
  const texts = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 }).map((parts) => parts.join(''));
  fc.assert(
    fc.property(texts, (text) => {
      for (const detector of ALL_DETECTORS) {
        const gated = detector.detect(text, new TextProfile(text));
        assert.deepEqual(gated, detector.detect(text, new OpenProfile(text)), `${detector.type} in ${JSON.stringify(text)}`);
        assert.deepEqual(gated, detector.detect(text), `${detector.type} alone in ${JSON.stringify(text)}`);
      }
    }),
    { numRuns: 3000 },
  );
});
