// Runs detectors over a text. `detectAll` reports what every rule saw (the debugging view of `sluice detect`);
// `findReplaceable` picks non-overlapping matches for steps that rewrite the text.
import type { Detector, PiiMatch, PiiType } from './detector.ts';
import { TextProfile } from './text-profile.ts';

/** Sorted by start, then longest first; the same type found twice at the same span is reported once. */
export function detectAll(text: string, detectors: readonly Detector[], minConfidence = 0): PiiMatch[] {
  const found: PiiMatch[] = [];
  // Shared by the detectors' gates (see text-profile.ts).
  const profile = new TextProfile(text);
  for (const detector of detectors) {
    for (const match of detector.detect(text, profile)) if (match.confidence >= minConfidence) found.push(match);
  }
  if (found.length <= 1) return found;
  found.sort((a, b) => a.start - b.start || b.end - a.end || a.type.localeCompare(b.type));
  return found.filter((m, i) => {
    const prev = found[i - 1];
    return !(prev && prev.type === m.type && prev.start === m.start && prev.end === m.end);
  });
}

/**
 * Non-overlapping matches, sorted by start. Where matches overlap the most confident wins, then the longer
 * (an e-mail address over the domain inside it), then the earlier in PII_TYPES order.
 */
export function findReplaceable(text: string, detectors: readonly Detector[], minConfidence: number): PiiMatch[] {
  const candidates = detectAll(text, detectors, minConfidence);
  if (candidates.length <= 1) return candidates;
  const ranked = [...candidates].sort((a, b) => b.confidence - a.confidence || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const chosen: PiiMatch[] = [];
  for (const m of ranked) {
    if (!chosen.some((c) => c.start < m.end && m.start < c.end)) chosen.push(m);
  }
  return chosen.sort((a, b) => a.start - b.start);
}

/** Replaces each match (non-overlapping, sorted) with what `replace` returns for it. */
export function rewriteMatches(text: string, matches: readonly PiiMatch[], replace: (value: string, type: PiiType) => string): string {
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const m of matches) {
    out += text.slice(at, m.start) + replace(text.slice(m.start, m.end), m.type);
    at = m.end;
  }
  return out + text.slice(at);
}
