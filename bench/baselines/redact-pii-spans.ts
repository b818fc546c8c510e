// Spans from redact-pii, the npm package the privacy issue compares against. It returns redacted text, not
// spans, so the spans are recovered by aligning the redacted text (literal pieces and labels) with the input.
import { SyncRedactor } from 'redact-pii';

/** redact-pii's labels and the Sluice types they correspond to (others are its own types, not scored). */
const LABELS: Record<string, string> = {
  EMAIL_ADDRESS: 'EMAIL',
  PHONE_NUMBER: 'PHONE',
  CREDIT_CARD_NUMBER: 'CREDIT_CARD',
  US_SOCIAL_SECURITY_NUMBER: 'US_SSN',
  IP_ADDRESS: 'IP_ADDRESS',
  URL: 'URL',
  PERSON_NAME: 'PERSON',
  ZIPCODE: 'ZIPCODE',
  STREET_ADDRESS: 'STREET_ADDRESS',
  DIGITS: 'DIGITS',
  USERNAME: 'USERNAME',
  PASSWORD: 'PASSWORD',
  CREDENTIALS: 'CREDENTIALS',
};
const LABEL = new RegExp(Object.keys(LABELS).sort((a, b) => b.length - a.length).join('|'), 'g');

export interface Span {
  type: string;
  start: number;
  end: number;
}

/** A redact-pii instance with its built-in patterns. */
export function redactPii(): { redact(text: string): string } {
  return new SyncRedactor();
}

/**
 * The spans redact-pii replaced in `text`, given its output. A label that also occurs literally in the input
 * would confuse the alignment; the benchmark texts have none.
 */
export function redactedSpans(text: string, redacted: string): Span[] {
  const spans: Span[] = [];
  const pieces: { literal: string; label?: string }[] = [];
  let at = 0;
  for (const m of redacted.matchAll(LABEL)) {
    pieces.push({ literal: redacted.slice(at, m.index), label: m[0] });
    at = m.index + m[0].length;
  }
  pieces.push({ literal: redacted.slice(at) });
  let pos = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    pos += piece.literal.length; // the literal is unchanged input
    if (piece.label === undefined) break;
    const next = pieces[i + 1]?.literal ?? '';
    // The replaced text runs to where the next literal piece resumes (or to the end).
    const resume = next === '' ? (pieces[i + 1]?.label !== undefined ? pos + 1 : text.length) : text.indexOf(next.slice(0, Math.min(next.length, 12)), pos + 1);
    const end = resume < 0 ? text.length : resume;
    spans.push({ type: LABELS[piece.label] ?? piece.label, start: pos, end });
    pos = end;
  }
  return spans;
}
