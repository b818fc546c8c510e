// Context words: a word such as "phone" or "ssn" just before a match makes it likelier to be what it looks
// like. Detectors call contextBoost() with their own word list.

/** How far before (and after) a match context words are looked for, in characters. */
export const CONTEXT_WINDOW = 40;

/** How much a context word adds to a match's confidence (capped at 1). */
export const CONTEXT_BOOST = 0.35;

/**
 * True when one of `words` (lower case, letters, digits, spaces) appears as a whole word within
 * CONTEXT_WINDOW characters before `start` or after `end`.
 */
export function hasContext(text: string, start: number, end: number, words: readonly string[]): boolean {
  const before = text.slice(Math.max(0, start - CONTEXT_WINDOW), start).toLowerCase();
  const after = text.slice(end, end + CONTEXT_WINDOW).toLowerCase();
  for (const word of words) {
    if (containsWord(before, word) || containsWord(after, word)) return true;
  }
  return false;
}

/** `base` raised by CONTEXT_BOOST when a context word is near the match. */
export function contextBoost(base: number, text: string, start: number, end: number, words: readonly string[]): number {
  return hasContext(text, start, end, words) ? Math.min(1, base + CONTEXT_BOOST) : base;
}

function containsWord(haystack: string, word: string): boolean {
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(word, from);
    if (at < 0) return false;
    const beforeOk = at === 0 || !isWordChar(haystack.charCodeAt(at - 1));
    const afterOk = at + word.length >= haystack.length || !isWordChar(haystack.charCodeAt(at + word.length));
    if (beforeOk && afterOk) return true;
    from = at + 1;
  }
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}
