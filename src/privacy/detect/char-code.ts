// Reading a text's characters by index when the index may fall off either end, as the detectors do all the time
// when they look at what comes just before or after a match.

/**
 * The UTF-16 code unit at `i`, or -1 past either end of `text` (where charCodeAt gives NaN). The first NaN a
 * function reads makes V8 throw its optimized code away (an "out of bounds" deopt) and compile it again, which
 * on a short text costs more than the detection itself. -1 fails every test a character class makes.
 */
export function codeAt(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}
