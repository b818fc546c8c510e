// The secret scanner. Prefixed-token rules run at the word starts of long runs of token characters, found by a
// skipping probe that leaves most of a prose text unread; everything else hangs off a few trigger characters
// found with indexOf (native, and fast on prose): `=` `:` `>` `,` for assignments, `:` for URL passwords and
// Telegram tokens, `-` for PEM blocks, curl credentials and flags, `|` for Facebook app tokens. Every rule reads
// a bounded window or resumes where it stopped, so a scan is linear in the text.
import type { AnchorRule, SecretFamily, SecretMatch, TokenRule } from './secret-match.ts';
import { measure } from './entropy.ts';
import { isPlaceholderToken } from './placeholder.ts';
import { GENERIC_RULE, scanAssignment, scanFlagAt } from './generic.ts';
import { CLOUD_RULES } from './rules/cloud.ts';
import { VCS_CI_RULES } from './rules/vcs-ci.ts';
import { PAYMENT_RULES } from './rules/payment.ts';
import { CHAT_RULES } from './rules/chat.ts';
import { AI_RULES } from './rules/ai.ts';
import { SAAS_RULES } from './rules/saas.ts';
import { JWT_RULES } from './rules/jwt.ts';
import { ANCHOR_RULES } from './rules/anchors.ts';
import { PRIVATE_KEY_RULE, PUTTY_KEY_RULE, scanPemPrivateKeys, scanPuttyKeys } from './rules/private-keys.ts';
import type { CurlLineState } from './rules/url-credentials.ts';
import { CURL_USER_RULE, URL_PASSWORD_RULE, curlUserAt, newCurlLineState, urlPasswordAt } from './rules/url-credentials.ts';
import { KUBERNETES_SECRET_RULE, scanKubernetesSecrets } from './rules/kubernetes.ts';
import { dropReferences } from './references.ts';

/** Every prefixed-token rule, in the order they are tried at a position (more specific first). */
export const TOKEN_RULES: readonly TokenRule[] = [...AI_RULES, ...VCS_CI_RULES, ...CLOUD_RULES, ...PAYMENT_RULES, ...CHAT_RULES, ...SAAS_RULES, ...JWT_RULES];
export { ANCHOR_RULES };

/** Every rule id the scanner reports, with its family: the catalogue for reports and configuration. */
export const RULE_FAMILIES: ReadonlyMap<string, SecretFamily> = new Map<string, SecretFamily>([
  ...[...TOKEN_RULES, ...ANCHOR_RULES].map((r): [string, SecretFamily] => [r.id, r.family]),
  [PRIVATE_KEY_RULE, 'private-key'],
  [PUTTY_KEY_RULE, 'private-key'],
  [URL_PASSWORD_RULE, 'url-credential'],
  [CURL_USER_RULE, 'url-credential'],
  [KUBERNETES_SECRET_RULE, 'generic'],
  [GENERIC_RULE, 'generic'],
]);

/** The shortest run of token characters worth trying rules on (`xoxa-2-1234567` is the shortest format). */
const MIN_RUN = 12;

// Character classes by UTF-16 code unit: word characters, and the characters tokens are made of (word
// characters and `-._~+/$`; `=` and `:` stay out so `key=value` splits).
const WORD_BIT = 1;
const RUN_BIT = 2;
const CLASS = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  if (word) CLASS[c] = WORD_BIT | RUN_BIT;
  else if (c === 45 || c === 46 || c === 126 || c === 43 || c === 47 || c === 36) CLASS[c] = RUN_BIT;
}

const isRunChar = (c: number): boolean => (CLASS[c]! & RUN_BIT) !== 0;

/** The next word start at or after `k` and before `end`: a word character after a non-word one. */
function nextWordStart(text: string, k: number, end: number): number {
  let previousIsWord = k > 0 && (CLASS[text.charCodeAt(k - 1)]! & WORD_BIT) !== 0;
  for (; k < end; k++) {
    const isWord = (CLASS[text.charCodeAt(k)]! & WORD_BIT) !== 0;
    if (isWord && !previousIsWord) return k;
    previousIsWord = isWord;
  }
  return k;
}

/** A file extension or the next label of a host name right after a token. */
const FILE_EXTENSION = /^\.[A-Za-z]{2,5}(?![A-Za-z0-9_])/;

/** For each first character, the (prefix, rule) pairs that start with it. */
const DISPATCH: { prefix: string; rule: TokenRule; index: number }[][] = Array.from({ length: 128 }, () => []);
for (const [index, rule] of TOKEN_RULES.entries()) {
  for (const prefix of rule.prefixes) DISPATCH[prefix.charCodeAt(0)]!.push({ prefix, rule, index });
}

/** The confidence a matched token earns, or 0 when its body is a placeholder or too uniform. */
function judgeToken(rule: Omit<TokenRule, 'prefixes'>, token: string, bodyFrom: number): number {
  const body = token.slice(bodyFrom);
  const stats = measure(body);
  if (isPlaceholderToken(body, stats)) return 0;
  if (rule.minEntropy !== undefined && stats.entropy < rule.minEntropy) return 0;
  return rule.verify ? rule.verify(token) : rule.confidence;
}

/**
 * How many times one rule is tried within one run. A failed try reads at most the rule's bounded length, so the
 * budget keeps a run of repeated prefixes (`ZXlK/ZXlK/…`) linear; real runs hold a few tries per rule.
 */
const TRIES_PER_RUN = 32;

/**
 * Per rule: the run its tries were last counted in, and how many there were. Module scratch (scans are
 * synchronous), so a scan allocates nothing for it; run numbers only grow, and wrap by clearing.
 */
const budget = { run: 0, lastRun: new Int32Array(TOKEN_RULES.length).fill(-1), tries: new Uint8Array(TOKEN_RULES.length) };

function nextRun(): void {
  if (++budget.run >= 0x3fffffff) {
    budget.run = 0;
    budget.lastRun.fill(-1);
  }
}

/** Tries the prefixed-token rules at word start `k`; returns the end of a match, or -1. */
function tryTokenRules(text: string, k: number, out: SecretMatch[]): number {
  const candidates = DISPATCH[text.charCodeAt(k)];
  if (candidates === undefined) return -1;
  for (const { prefix, rule, index } of candidates) {
    if (!text.startsWith(prefix, k)) continue;
    if (budget.lastRun[index] !== budget.run) {
      budget.lastRun[index] = budget.run;
      budget.tries[index] = 0;
    }
    if (budget.tries[index]! >= TRIES_PER_RUN) continue;
    budget.tries[index]!++;
    rule.pattern.lastIndex = k;
    const m = rule.pattern.exec(text);
    if (m === null) continue;
    const end = k + m[0].length;
    // `video_box.ico-7a38….png`: a token shape inside a file or host name.
    if (text.charCodeAt(end) === 46 && FILE_EXTENSION.test(text.slice(end, end + 8))) continue;
    const confidence = judgeToken(rule, m[0], prefix.length);
    if (confidence <= 0) continue;
    out.push({ rule: rule.id, start: k, end, confidence });
    return end;
  }
  return -1;
}

/** Tries an anchored rule whose anchor starts at `at`. */
function tryAnchor(text: string, rule: AnchorRule, at: number, out: SecretMatch[]): void {
  if (!text.startsWith(rule.anchor, at)) return;
  const start = rule.startAt(text, at);
  if (start < 0) return;
  const before = start > 0 ? text.charCodeAt(start - 1) : 32;
  if (isRunChar(before) && before !== 47 && before !== 43) return;
  rule.pattern.lastIndex = start;
  const m = rule.pattern.exec(text);
  if (m === null) return;
  const confidence = judgeToken(rule, m[0], 0);
  if (confidence > 0) out.push({ rule: rule.id, start, end: start + m[0].length, confidence });
}

/** An anchored rule and the offset of the character that locates it within its anchor. */
interface PlacedAnchor {
  rule: AnchorRule;
  offset: number;
}

/**
 * Anchors made of token characters (`Q~`, `.atlasv1.`, `-us`) lie inside long runs and are looked for only
 * there; the others (`:A`, `|`) are located by their first non-alphanumeric character.
 */
const IN_RUN_ANCHORS: AnchorRule[] = [];
const ANCHORS_BY_TRIGGER = new Map<string, PlacedAnchor[]>();
for (const rule of ANCHOR_RULES) {
  if ([...rule.anchor].every((ch) => isRunChar(ch.charCodeAt(0)))) {
    IN_RUN_ANCHORS.push(rule);
    continue;
  }
  const offset = rule.anchor.search(/[^A-Za-z0-9]/);
  const trigger = rule.anchor.charAt(offset);
  ANCHORS_BY_TRIGGER.set(trigger, [...(ANCHORS_BY_TRIGGER.get(trigger) ?? []), { rule, offset }]);
}
/** Every character some rule is triggered by. */
const TRIGGERS = [...new Set(['=', ':', '>', ',', '-', ...ANCHORS_BY_TRIGGER.keys()])];

/**
 * Finds the runs of token characters at least MIN_RUN long and tries the token rules at their word starts,
 * and the in-run anchors inside them. It probes every MIN_RUN-th character (Boyer–Moore style): a probe outside
 * a run proves no long run starts in the MIN_RUN characters before it, so prose is mostly skipped and each
 * character is read at most twice.
 */
function scanRuns(text: string, out: SecretMatch[]): void {
  const n = text.length;
  // Where each in-run anchor next occurs (-2: not looked for yet, -1: nowhere after): each indexOf resumes
  // past the last, so the anchors cost one pass however many runs there are.
  let anchorAt: number[] | undefined;
  // Invariant: i is 0 or follows a character outside runs, so a run met at or after i starts at or after i.
  let i = 0;
  while (i + MIN_RUN <= n) {
    const p = i + MIN_RUN - 1;
    if (!isRunChar(text.charCodeAt(p))) {
      i = p + 1;
      continue;
    }
    let s = p;
    while (s > i && isRunChar(text.charCodeAt(s - 1))) s--;
    let e = p + 1;
    while (e < n && isRunChar(text.charCodeAt(e))) e++;
    if (e - s >= MIN_RUN) {
      nextRun();
      let k = nextWordStart(text, s, e);
      while (e - k >= MIN_RUN) {
        const end = tryTokenRules(text, k, out);
        k = nextWordStart(text, end > k ? end : k + 1, e);
      }
      anchorAt ??= IN_RUN_ANCHORS.map(() => -2);
      for (let a = 0; a < IN_RUN_ANCHORS.length; a++) {
        const rule = IN_RUN_ANCHORS[a]!;
        let at = anchorAt[a]!;
        if (at === -2 || (at >= 0 && at < s)) at = text.indexOf(rule.anchor, s);
        while (at >= 0 && at < e) {
          tryAnchor(text, rule, at, out);
          at = text.indexOf(rule.anchor, at + 1);
        }
        anchorAt[a] = at;
      }
    }
    i = e + 1;
  }
}

/** Per-scan state the trigger passes share, made only when a trigger character occurs. */
interface ScanState {
  /** Where a PEM header and a PuTTY header were first seen (-1: not seen). */
  pem: number;
  putty: number;
  /** Whether a `kind:` key was seen (a Kubernetes manifest, perhaps). */
  kubernetes: boolean;
  curl: CurlLineState;
}

/** Runs the rules a trigger character at `at` can start. */
function onTrigger(text: string, ch: string, at: number, out: SecretMatch[], state: ScanState, tokens: readonly SecretMatch[]): void {
  if (ch === '=' || ch === ':' || ch === '>' || ch === ',') scanAssignment(text, at, out, tokens);
  if (ch === ':') {
    if (text.charCodeAt(at + 1) === 47 && text.charCodeAt(at + 2) === 47) urlPasswordAt(text, at, out);
    else if (!state.kubernetes && at >= 4 && text.startsWith('kind', at - 4)) state.kubernetes = true;
  } else if (ch === '-') {
    const next = text.charCodeAt(at + 1);
    if (next === 45) {
      if (state.pem < 0 && text.startsWith('-----BEGIN ', at)) state.pem = at;
      else if (text.startsWith('--user', at)) curlUserAt(text, at, out, state.curl);
      else scanFlagAt(text, at, out);
    } else if (next === 117) curlUserAt(text, at, out, state.curl);
    else if (next === 85 && state.putty < 0 && at >= 5 && text.startsWith('PuTTY-User-Key-File-', at - 5)) state.putty = at - 5;
  }
  const anchors = ANCHORS_BY_TRIGGER.get(ch);
  if (anchors !== undefined) for (const { rule, offset } of anchors) if (at >= offset) tryAnchor(text, rule, at - offset, out);
}

/**
 * Resolves overlapping matches: a provider rule beats the generic rule (it names what the secret is) and keeps
 * the higher of the two confidences; otherwise the more confident match wins, the earlier on a tie.
 */
function resolveOverlaps(matches: SecretMatch[]): SecretMatch[] {
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: SecretMatch[] = [];
  for (const m of matches) {
    const last = kept[kept.length - 1];
    if (last === undefined || m.start >= last.end) {
      kept.push(m);
      continue;
    }
    const mSpecific = m.rule !== GENERIC_RULE;
    const lastSpecific = last.rule !== GENERIC_RULE;
    if (mSpecific !== lastSpecific) {
      const winner = mSpecific ? m : last;
      kept[kept.length - 1] = { ...winner, confidence: Math.max(m.confidence, last.confidence) };
    } else if (m.confidence > last.confidence) kept[kept.length - 1] = m;
  }
  return kept;
}

/**
 * Finds secrets in `text`: each match is the span of the secret value, with the rule that found it and a
 * confidence. Nothing inside a well-formed secret reference is a match. Pure; linear in the length of the text.
 */
export function scanSecrets(text: string): SecretMatch[] {
  const out: SecretMatch[] = [];
  scanRuns(text, out);
  // The tokens found so far, sorted and disjoint, so assignments whose value is one of them are not judged again.
  const tokens = out.length > 1 ? resolveOverlaps(out.slice()) : out.slice();
  let state: ScanState | undefined;
  for (const ch of TRIGGERS) {
    let at = text.indexOf(ch);
    if (at < 0) continue;
    state ??= { pem: -1, putty: -1, kubernetes: false, curl: newCurlLineState() };
    for (; at >= 0; at = text.indexOf(ch, at + 1)) onTrigger(text, ch, at, out, state, tokens);
  }
  if (state !== undefined) {
    if (state.pem >= 0) scanPemPrivateKeys(text, out, state.pem);
    if (state.putty >= 0) scanPuttyKeys(text, out, state.putty);
    if (state.kubernetes) scanKubernetesSecrets(text, out);
  }
  const resolved = out.length > 1 ? resolveOverlaps(out) : out;
  // `token: vault://secret/crm#token`, `aws-sm://prod/crm#key`: where a secret lives, not one.
  return resolved.length === 0 ? resolved : dropReferences(text, resolved);
}
