// Measures how random a candidate value looks, in one pass: Shannon entropy against what a random string of the
// same length and alphabet would show, the character-class mix, the most frequent character's share, and the
// share held by alphabet walks (`abcd`, `6789`) that listings and placeholders are made of.

/** Which character classes a string uses. */
export interface CharClasses {
  lower: boolean;
  upper: boolean;
  digit: boolean;
  /** Anything else (punctuation, symbols, non-ASCII). */
  other: boolean;
  /** Only 0-9 and one case of a-f. */
  hex: boolean;
}

/** What one pass over a value learns. */
export interface ValueStats {
  length: number;
  /** Shannon entropy in bits per character (C. E. Shannon, 1948, §6). */
  entropy: number;
  classes: CharClasses;
  /** The share of the value taken by its most frequent character. */
  dominantShare: number;
  /** The share of the value's characters in alphabet walks of four or more. */
  walkShare: number;
  /** Mask characters (`x X * # . •`): how many, and the longest run of them (and of them without `.`). */
  maskCount: number;
  longestMaskRun: number;
  longestStrictMaskRun: number;
}

// Scratch counters by code unit (non-ASCII folded into one), reset after each use.
const counts = new Int32Array(128);
const seen = new Uint8Array(128);
/** k log2 k for the counts values usually reach, so entropy needs no logarithm per symbol. */
const K_LOG_K = Float64Array.from({ length: 1025 }, (_, k) => (k === 0 ? 0 : k * Math.log2(k)));
const kLogK = (k: number): number => (k < K_LOG_K.length ? K_LOG_K[k]! : k * Math.log2(k));

// What each ASCII code unit is, as bits, so one table load replaces a chain of comparisons per character.
const LOWER = 1;
const UPPER = 2;
const DIGIT = 4;
const OTHER = 8;
const NOT_LOWER_HEX = 16;
const NOT_UPPER_HEX = 32;
const MASK = 64;
const STRICT_MASK = 128;
const BITS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  let b: number;
  if (c >= 97 && c <= 122) b = LOWER | NOT_UPPER_HEX | (c > 102 ? NOT_LOWER_HEX : 0);
  else if (c >= 65 && c <= 90) b = UPPER | NOT_LOWER_HEX | (c > 70 ? NOT_UPPER_HEX : 0);
  else if (c >= 48 && c <= 57) b = DIGIT;
  else b = OTHER | NOT_LOWER_HEX | NOT_UPPER_HEX;
  if (c === 120 || c === 88 || c === 42 || c === 35) b |= MASK | STRICT_MASK;
  else if (c === 46) b |= MASK;
  BITS[c] = b;
}
/** `•` (U+2022), the one non-ASCII mask character. */
const BULLET = 0x2022;

export function measure(s: string, from = 0, to = s.length): ValueStats {
  const n = to - from;
  let distinct = 0;
  let top = 0;
  let flags = 0;
  let inWalks = 0;
  let run = 1;
  let step = 0;
  let prev = -1;
  let maskCount = 0;
  let maskRun = 0;
  let strictRun = 0;
  let longestMaskRun = 0;
  let longestStrictMaskRun = 0;
  for (let i = from; i < to; i++) {
    let c = s.charCodeAt(i);
    let bits: number;
    if (c < 128) bits = BITS[c]!;
    else {
      bits = c === BULLET ? OTHER | NOT_LOWER_HEX | NOT_UPPER_HEX | MASK | STRICT_MASK : OTHER | NOT_LOWER_HEX | NOT_UPPER_HEX;
      c = 127;
    }
    flags |= bits;
    const k = counts[c]! + 1;
    counts[c] = k;
    if (k === 1) seen[distinct++] = c;
    if (k > top) top = k;
    if ((bits & MASK) !== 0) {
      maskCount++;
      if (++maskRun > longestMaskRun) longestMaskRun = maskRun;
      if ((bits & STRICT_MASK) !== 0) {
        if (++strictRun > longestStrictMaskRun) longestStrictMaskRun = strictRun;
      } else strictRun = 0;
    } else {
      maskRun = 0;
      strictRun = 0;
    }
    if ((bits & OTHER) === 0) {
      const d = c - prev;
      if (prev >= 0 && (d === 1 || d === -1) && (run === 1 || d === step)) {
        step = d;
        run++;
      } else {
        if (run >= 4) inWalks += run;
        run = 1;
        step = 0;
      }
      prev = c;
    } else {
      if (run >= 4) inWalks += run;
      run = 1;
      step = 0;
      prev = -1;
    }
  }
  if (run >= 4) inWalks += run;
  // H = log2 n − (1/n) Σ k log2 k over the symbol counts k.
  let sum = 0;
  for (let j = 0; j < distinct; j++) {
    const c = seen[j]!;
    sum += kLogK(counts[c]!);
    counts[c] = 0;
  }
  const other = (flags & OTHER) !== 0;
  return {
    length: n,
    entropy: n > 0 ? Math.max(0, Math.log2(n) - sum / n) : 0,
    classes: {
      lower: (flags & LOWER) !== 0,
      upper: (flags & UPPER) !== 0,
      digit: (flags & DIGIT) !== 0,
      other,
      hex: !other && ((flags & NOT_LOWER_HEX) === 0 || (flags & NOT_UPPER_HEX) === 0),
    },
    dominantShare: n > 0 ? top / n : 0,
    walkShare: n > 0 ? inWalks / n : 0,
    maskCount,
    longestMaskRun,
    longestStrictMaskRun,
  };
}

/** Shannon entropy of `s[from, to)` in bits per character. */
export function shannonEntropy(s: string, from = 0, to = s.length): number {
  return measure(s, from, to).entropy;
}

/** The size of the alphabet a string appears to be drawn from, judged by its character classes. */
export function alphabetSize(k: CharClasses): number {
  if (k.hex) return k.lower || k.upper ? 16 : 10;
  let size = (k.lower ? 26 : 0) + (k.upper ? 26 : 0) + (k.digit ? 10 : 0);
  if (k.other) size += 20;
  return Math.max(size, 2);
}

/**
 * About the entropy a uniformly random string of `length` characters from an alphabet of `size` shows: log2 of
 * the distinct symbols such a string is expected to hold, D = size (1 − (1 − 1/size)^length), less half the
 * Miller–Madow small-sample bias (D − 1) / (2 n ln 2). Within a few percent of simulation for the alphabets and
 * lengths tokens use, erring low, so `randomness` errs towards calling a value random.
 */
export function expectedEntropy(length: number, size: number): number {
  if (length <= 1) return 0;
  const distinct = size * (1 - Math.pow(1 - 1 / size, length));
  return Math.max(0.5, Math.log2(distinct) - (distinct - 1) / (4 * length * Math.LN2));
}

/** Entropy relative to a random string of the same length and apparent alphabet (about 1 when random). */
export function randomness(stats: ValueStats): number {
  if (stats.length < 2) return 0;
  return stats.entropy / expectedEntropy(stats.length, alphabetSize(stats.classes));
}
