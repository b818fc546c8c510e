// Parses one line of JSON Lines, or one message payload, into a record: a JSON object with no prototype, or the
// reason it is not one, worded without quoting the input (which may be personal data).
import { previewText } from './line-reader.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON line as a prototype-less record, or the reason it is not one. */
export function parseJsonRecord(text: string, holder = 'the line', advice = 'write one object per line'): object | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not valid JSON (${jsonProblem(error)})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return `${holder} holds ${what}, not a JSON object; ${advice}`;
  }
  // Records carry no prototype (see runtime/record.ts), so a field named constructor or toString is only
  // data. JSON.parse already made a "__proto__" key an own property (ECMA-262 §25.5.1, CreateDataProperty);
  // setPrototypeOf keeps V8's fast properties, where copying into Object.create(null) would not.
  Object.setPrototypeOf(value, null);
  return value;
}

/** JSON.parse's complaint without the snippet of input V8 quotes, which may be personal data. */
function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const at = / in JSON at position (\d+)/.exec(message);
  if (at) return `${message.slice(0, at.index)} at character ${Number(at[1]) + 1}`;
  if (message.startsWith('Unexpected end of JSON input')) return 'it ends too early';
  return 'unexpected character';
}

/** A message payload as a record, or why it is not one with the start of its text for the quarantine. */
export type ParsedPayload = { record: object } | { reason: string; raw?: string };

/**
 * A message payload (a stream's message: UTF-8 JSON holding one object) as a record, or why it is not one.
 * `holder` names it in reasons ("the payload", "the message value").
 */
export function parsePayload(data: Uint8Array, holder: string, advice: string): ParsedPayload {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { reason: `${holder} is not valid UTF-8; a record is one JSON object in UTF-8` };
  }
  const parsed = parseJsonRecord(text, holder, advice);
  if (typeof parsed !== 'string') return { record: parsed };
  return { reason: parsed.startsWith('not valid JSON') ? `${holder} is ${parsed}` : parsed, raw: previewText(text) };
}
