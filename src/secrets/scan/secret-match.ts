// What the secret scanner reports, and how a token rule is declared: rules are data (prefixes, a pattern, a
// check) so each family's table reads like the providers' own documentation of their formats.

/**
 * One finding: `text.slice(start, end)` is the secret value itself (JavaScript string indices, end exclusive),
 * never the key or the assignment around it. `confidence` is in (0, 1]: a published checksum that passed gives
 * 0.99, a distinctive prefix with the documented length and alphabet about 0.9, a key-like name with a random-
 * looking value 0.55 to 0.85.
 */
export interface SecretMatch {
  rule: string;
  start: number;
  end: number;
  confidence: number;
}

/** The families the rules are grouped in, one table file each under rules/. */
export type SecretFamily = 'cloud' | 'vcs-ci' | 'payment' | 'chat' | 'ai' | 'saas' | 'private-key' | 'jwt' | 'url-credential' | 'generic';

/**
 * A rule for a token that carries its own distinctive prefix. The scanner tries `pattern` (compiled sticky) at
 * every word start where one of `prefixes` begins, so the pattern must start with the prefix, bound every
 * repetition (linear time), and end with a look-ahead that stops a longer run of the same alphabet matching.
 */
export interface TokenRule {
  id: string;
  family: SecretFamily;
  /** Literal, case-sensitive prefixes; the first character of each is the dispatch key. */
  prefixes: readonly string[];
  /** The whole token, from the prefix on. Use the `y` flag. */
  pattern: RegExp;
  /** The confidence when the format matches and no check says otherwise. */
  confidence: number;
  /**
   * Minimum Shannon entropy, in bits per character, of the part after the prefix. Catches `xxxx` and
   * `0000` bodies that satisfy the alphabet; set it well under what random bodies reach.
   */
  minEntropy?: number;
  /** A format check beyond the pattern (checksum, embedded structure): a confidence, or 0 to reject. */
  verify?: (token: string) => number;
  /** Where the format is documented. */
  source: string;
}

/**
 * A rule for a token whose distinctive part is not at its start (`…8Q~…` in Azure secrets, `.atlasv1.` in
 * Terraform tokens, `-us12` at the end of Mailchimp keys). The scanner finds `anchor` with indexOf, asks
 * `startAt` where the token would begin, and tries `pattern` (sticky) there.
 */
export interface AnchorRule extends Omit<TokenRule, 'prefixes'> {
  anchor: string;
  /** Where the token starts, given the anchor's index; -1 when it cannot. Must look back a bounded distance. */
  startAt: (text: string, anchorIndex: number) => number;
}
