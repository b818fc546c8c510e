// Shorthand for the rule tables: a token rule from its prefixes and pattern, and the look-aheads that end a
// token where its alphabet ends.
import type { SecretFamily, TokenRule } from '../secret-match.ts';

/** Ends a token drawn from word characters: the next character must not be one. */
export const END_WORD = '(?![A-Za-z0-9_])';
/** Ends a token drawn from word characters and `-`. */
export const END_DASH = '(?![A-Za-z0-9_-])';
/** Ends a base64 token (standard alphabet, optional padding). */
export const END_B64 = '(?![A-Za-z0-9+/=])';

export function token(
  family: SecretFamily,
  id: string,
  prefixes: readonly string[],
  pattern: string,
  confidence: number,
  source: string,
  extra: Pick<TokenRule, 'minEntropy' | 'verify'> = {},
): TokenRule {
  return { id, family, prefixes, pattern: new RegExp(pattern, 'y'), confidence, source, ...extra };
}
