// Context words: a word such as "phone" or "ssn" just before a match makes it likelier to be what it looks
// like. Each detector compiles its word list once with contextWords() and asks contextBoost() or hasContext().

/** How far before (and after) a match context words are looked for, in characters. */
export const CONTEXT_WINDOW = 40;

/** How much a context word adds to a match's confidence (capped at 1). */
export const CONTEXT_BOOST = 0.35;

/** A word list compiled for hasContext(): one pattern finds any of the words, where testing each word in turn costs a search per word. */
export interface ContextWords {
  readonly words: readonly string[];
  readonly pattern: RegExp;
}

/**
 * Compiles `words` (lower case, letters, digits, spaces). A word counts where no ASCII letter, digit or '_'
 * touches it on either side; the ends of a window count as such an edge.
 */
export function contextWords(words: readonly string[]): ContextWords {
  // Longer words first, though any order finds the same: when a word fails its right edge the engine goes on to
  // the other alternatives at the same place.
  const alternatives = [...words].sort((a, b) => b.length - a.length).map((w) => w.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  return { words, pattern: new RegExp(`(?<![0-9A-Za-z_])(?:${alternatives.join('|')})(?![0-9A-Za-z_])`) };
}

/**
 * True when one of `words` appears as a whole word within CONTEXT_WINDOW characters before `start` or after
 * `end`, in any case.
 */
export function hasContext(text: string, start: number, end: number, words: ContextWords): boolean {
  // The two windows are searched as one string with a line break between them: no word holds one, so no word is
  // found across it, and it is an edge like the ends of the windows.
  const windows = `${text.slice(Math.max(0, start - CONTEXT_WINDOW), start)}\n${text.slice(end, end + CONTEXT_WINDOW)}`;
  return words.pattern.test(windows.toLowerCase());
}

/** `base` raised by CONTEXT_BOOST when a context word is near the match. */
export function contextBoost(base: number, text: string, start: number, end: number, words: ContextWords): number {
  return hasContext(text, start, end, words) ? Math.min(1, base + CONTEXT_BOOST) : base;
}
