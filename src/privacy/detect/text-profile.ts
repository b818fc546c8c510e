// What the detectors' cheap gates read about a text: the runs of digits a card number, an SSN or a phone number
// can lie in, whether it holds a date of the kind DATE_OF_BIRTH reads, the start of a Bitcoin address or a
// capital letter, and how many colons and dots there are. Most lines of ordinary text hold none of these, so
// most detectors stop here, before their own patterns run. The facts come from native scans (a regex or
// indexOf; a JavaScript loop over the characters costs several times more), made the first time a detector
// asks and kept for the others. scan-text.ts makes one profile per text for all the detectors; a detector
// called on its own makes its own.
import { codeAt } from './char-code.ts';

/** Number runs with at least this many digits are listed: PHONE's minimum, the lowest of the number detectors'. */
export const LISTED_RUN_DIGITS = 8;

/** What one scan (SHAPE_SCANS) looks for, each alternative a capture group. */
type Shape = 'run' | 'date' | 'address' | 'capital';

const SHAPES: Record<Shape, string> = {
  // Two adjacent digits and six more run characters, then the rest of the run: where a phone number can start
  // (see phone.ts), and what the first two digits of a card number or an SSN are followed by. Starting on two
  // digits lets the engine pass over text about twice as fast as starting on one. One character class after a
  // fixed start: no backtracking.
  run: String.raw`\d\d[\d ().\-/\u00a0]{6,}`,
  // What every date that DATE_OF_BIRTH accepts holds: a year from 19xx or 20xx followed by a numeric month
  // (ISO), a numeric day and month with a two- or four-digit year, or a year after a space or hyphen that ends
  // the date (the month-name forms). See date-of-birth.ts.
  date: String.raw`(?:19|20)\d\d(?:[-/.]\d|(?<=[ -]\d{4})(?:$|\W|[Tt]\d))|\d[-/.]\d{1,2}[-/.]\d\d`,
  // Where a Bitcoin address can start: a '1' or '3' and 25 more Base58 digits (a Base58Check address has 26 or
  // more), or the '1' of "bc1" or "BC1". See crypto.ts.
  address: String.raw`[13][1-9A-HJ-NP-Za-km-z]{25}|1(?<=bc1|BC1)`,
  // PERSON's capitals (A-Z, À-Þ less ×, and all of Latin Extended-A, whose cases alternate); IBANs start with two.
  capital: '[A-ZÀ-ÖØ-ÞĀ-ſ]',
};

const WANT_DATE = 1;
const WANT_ADDRESS = 2;
const WANT_CAPITAL = 4;
const WANT_ALL = WANT_DATE | WANT_ADDRESS | WANT_CAPITAL;

/**
 * One regex for every combination of the shapes still wanted (number runs always are): a shape found once is
 * dropped from the scan, so a text of capitals does not stop at each one. One scan with all four costs about
 * half what four scans do.
 */
const SHAPE_SCANS = Array.from({ length: WANT_ALL + 1 }, (_, want) => {
  const kinds: Shape[] = ['run'];
  if (want & WANT_DATE) kinds.push('date');
  if (want & WANT_ADDRESS) kinds.push('address');
  if (want & WANT_CAPITAL) kinds.push('capital');
  return { kinds, re: new RegExp(kinds.map((k) => `(${SHAPES[k]})`).join('|'), 'g') };
});
// For the dates and addresses that start inside a run the scan has stepped over.
const DATE = new RegExp(SHAPES.date);
const ADDRESS = new RegExp(SHAPES.address);
/** The shortest Base58Check address, and so how far past a run one that starts inside it can reach. */
const BASE58_MIN_LENGTH = 26;
const ADDRESS_REACH = BASE58_MIN_LENGTH - 1;

/** Separators are counted up to here: no gate asks for more. */
const COUNT_CAP = 8;

/** The facts about one text; each is computed on first use. Use it only with the text it was made for. */
export class TextProfile {
  readonly text: string;
  private runs: number[] | undefined = undefined;
  private date = false;
  private address = false;
  private capital = false;
  private colonCount = -1;
  private doubleColon = false;
  private dotCount = -1;
  private dotBeforeLetter = false;
  private dotsFiveApart = false;

  constructor(text: string) {
    this.text = text;
  }

  /**
   * The number runs that hold LISTED_RUN_DIGITS digits or more, two of them adjacent with six more run
   * characters after them, in text order, three entries each: start, end (exclusive) and digits. A number run
   * is a maximal stretch of digits and the characters numbers are written with (space, no-break space, '(',
   * ')', '-', '.', '/'); a card number, an SSN or a phone number lies inside one of these.
   */
  numberRuns(): readonly number[] {
    return this.runs ?? this.scanShapes();
  }

  /**
   * Where to search for a pattern whose every match lies inside a number run that holds `minDigits` digits
   * (≥ LISTED_RUN_DIGITS) and whose lookarounds read at most one character before a match and two after it:
   * the listed runs that hold as many, each with that margin, as start and end (exclusive) pairs. Searching
   * these slices finds what searching the whole text would, and scans nothing else.
   */
  runWindows(minDigits: number): readonly number[] {
    if (minDigits < LISTED_RUN_DIGITS) throw new RangeError(`runWindows: runs of fewer than ${LISTED_RUN_DIGITS} digits are not listed`);
    const runs = this.numberRuns();
    if (runs.length === 0) return runs;
    const windows: number[] = [];
    for (let k = 0; k < runs.length; k += 3) {
      if (runs[k + 2]! >= minDigits) windows.push(Math.max(0, runs[k]! - 1), Math.min(this.text.length, runs[k + 1]! + 2));
    }
    return windows;
  }

  /** False when the text holds no date of a form DATE_OF_BIRTH accepts (see SHAPES.date). */
  mayHoldDate(): boolean {
    this.numberRuns();
    return this.date;
  }

  /** False when no Bitcoin address can start anywhere in the text (see SHAPES.address). */
  mayHoldAddress(): boolean {
    this.numberRuns();
    return this.address;
  }

  /** False when the text holds none of the letters PERSON's patterns take for capitals (see SHAPES.capital). */
  mayHoldCapital(): boolean {
    this.numberRuns();
    return this.capital;
  }

  /** Colons in the text, counted up to COUNT_CAP. */
  colons(): number {
    if (this.colonCount < 0) {
      // Counting visits each colon, so whether two are adjacent comes with it.
      let n = 0;
      let previous = -2;
      for (let at = this.text.indexOf(':'); at >= 0 && n < COUNT_CAP; at = this.text.indexOf(':', at + 1)) {
        if (at === previous + 1) this.doubleColon = true;
        previous = at;
        n++;
      }
      this.colonCount = n;
    }
    return this.colonCount;
  }

  /** True when the text holds "::". */
  hasDoubleColon(): boolean {
    const colons = this.colons();
    // Counting stopped at COUNT_CAP colons, and may not have seen them all.
    return this.doubleColon || (colons === COUNT_CAP && this.text.includes('::'));
  }

  /** Full stops in the text, counted up to COUNT_CAP. */
  dots(): number {
    if (this.dotCount < 0) {
      // Counting visits each dot, so what follows it and how far it is from the one before come with it.
      const text = this.text;
      let n = 0;
      let previous = -10;
      for (let at = text.indexOf('.'); at >= 0 && n < COUNT_CAP; at = text.indexOf('.', at + 1)) {
        if (isAsciiLetter(codeAt(text, at + 1))) this.dotBeforeLetter = true;
        if (at - previous === 5) this.dotsFiveApart = true;
        previous = at;
        n++;
      }
      this.dotCount = n;
    }
    return this.dotCount;
  }

  /** True when a dot is followed by an ASCII letter (where a "www." host or a top-level domain goes on). */
  hasDotBeforeLetter(): boolean {
    if (this.dots() < COUNT_CAP || this.dotBeforeLetter) return this.dotBeforeLetter;
    // Counting stopped at COUNT_CAP dots: look at the rest.
    const text = this.text;
    for (let at = text.indexOf('.'); at >= 0; at = text.indexOf('.', at + 1)) if (isAsciiLetter(codeAt(text, at + 1))) return true;
    return false;
  }

  /** False when no two dots are five characters apart, as in a MAC address written "0012.3456.789a". */
  mayHoldDotsFiveApart(): boolean {
    return this.dots() === COUNT_CAP || this.dotsFiveApart;
  }

  /**
   * One pass of SHAPE_SCANS over the text. Where a date, an address or a capital is found the scan goes on from
   * the next character, so nothing after it is stepped over. A run is taken whole (to the end of the text it
   * would be looked at again at each of its digits); the dates and addresses still wanted are then looked for
   * in it, from just before where the match began.
   */
  private scanShapes(): number[] {
    const text = this.text;
    const runs: number[] = [];
    let want = WANT_ALL;
    let from = 0;
    for (;;) {
      const scan = SHAPE_SCANS[want]!;
      scan.re.lastIndex = from; // shared and rewound: this method is synchronous
      const m = scan.re.exec(text);
      if (m === null) break;
      let k = 1;
      while (m[k] === undefined) k++;
      const kind = scan.kinds[k - 1];
      if (kind === 'run') {
        const end = scan.re.lastIndex;
        let start = end;
        let digits = 0;
        while (start > 0 && isRunChar(text.charCodeAt(start - 1))) if (isDigit(text.charCodeAt(--start))) digits++;
        if (digits >= LISTED_RUN_DIGITS) runs.push(start, end, digits);
        // A date from the match on: one character before it for the lookbehind, two after the run for the end.
        if (want & WANT_DATE && DATE.test(text.slice(Math.max(0, m.index - 1), Math.min(text.length, end + 2)))) want &= ~WANT_DATE;
        if (want & WANT_ADDRESS && mayHoldAddressFrom(text, m.index, end, digits)) {
          // Two characters before the match for "bc1"; after the run, what an address can reach.
          if (ADDRESS.test(text.slice(Math.max(0, m.index - 2), Math.min(text.length, end + ADDRESS_REACH)))) want &= ~WANT_ADDRESS;
        }
        from = end;
      } else {
        want &= ~(kind === 'date' ? WANT_DATE : kind === 'address' ? WANT_ADDRESS : WANT_CAPITAL);
        from = m.index + 1;
      }
    }
    this.date = (want & WANT_DATE) === 0;
    this.address = (want & WANT_ADDRESS) === 0;
    this.capital = (want & WANT_CAPITAL) === 0;
    this.runs = runs;
    return runs;
  }
}

/**
 * Whether an address can start in the run [start, end) (whose match began at `at`) at or after `at`. Inside a
 * run its Base58 digits can only be digits, so it either holds 26 of them or goes on past the run's last digit
 * into letters; the '1' of "bc1" can only be where the match began, after a 'c'.
 */
function mayHoldAddressFrom(text: string, at: number, end: number, digits: number): boolean {
  if (digits >= BASE58_MIN_LENGTH) return true;
  const c = codeAt(text, at - 1);
  if (c === 0x63 || c === 0x43) return true;
  return isDigit(text.charCodeAt(end - 1)) && isAsciiAlnum(codeAt(text, end));
}

function isAsciiAlnum(code: number): boolean {
  return isDigit(code) || isAsciiLetter(code);
}

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** The characters of a number run (PHONE's run characters). */
export function isRunChar(code: number): boolean {
  return isDigit(code) || code === 32 || code === 0xa0 || code === 40 || code === 41 || code === 45 || code === 46 || code === 47;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
