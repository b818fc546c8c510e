// Runs detectors over a text. `detectAll` reports what every rule saw (the debugging view of `sluice detect`);
// `findReplaceable` gives disjoint spans (overlapping matches merged) for steps that rewrite the text.
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

/** Which of two overlapping matches names a merged span: the more confident, then the longer, then the earlier. */
function outranks(a: PiiMatch, b: PiiMatch): boolean {
  if (a.confidence !== b.confidence) return a.confidence > b.confidence;
  if (a.end - a.start !== b.end - b.start) return a.end - a.start > b.end - b.start;
  return a.start < b.start;
}

/** A span to rewrite: where overlapping matches were merged, their union, named by the one that outranks the rest. */
export interface MergedMatch extends PiiMatch {
  /** Every type found inside the span (the naming one included), for counting. */
  types: readonly PiiType[];
}

/**
 * Spans to rewrite, sorted by start and disjoint. Overlapping matches are merged into their union rather than
 * one of them dropped: a URL that holds an e-mail address is rewritten whole, and nothing of either stays in
 * clear. Linear after the sort, however many matches a text holds.
 */
export function mergeOverlapping(matches: readonly PiiMatch[]): MergedMatch[] {
  // Most texts hold nothing: no copy, no sort.
  if (matches.length === 0) return [];
  const sorted = [...matches].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: MergedMatch[] = [];
  let current: (MergedMatch & { types: PiiType[] }) | undefined;
  for (const m of sorted) {
    if (current && m.start < current.end) {
      if (!current.types.includes(m.type)) current.types.push(m.type);
      const namer = outranks(m, current) ? m : current;
      current = { ...current, type: namer.type, confidence: namer.confidence, end: Math.max(current.end, m.end), types: current.types };
      continue;
    }
    if (current) merged.push(current);
    current = { ...m, types: [m.type] };
  }
  if (current) merged.push(current);
  return merged;
}

/** The spans to rewrite in `text`: every match at or above `minConfidence`, overlapping ones merged. */
export function findReplaceable(text: string, detectors: readonly Detector[], minConfidence: number): MergedMatch[] {
  return mergeOverlapping(detectAll(text, detectors, minConfidence));
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
