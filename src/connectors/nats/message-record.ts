// A message payload as a record: UTF-8 JSON holding one object. Anything else is a reason for the quarantine,
// worded without quoting the payload (which may be personal data).
import { previewText } from '../sources/line-reader.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The record, or why the payload is not one and the start of its text for the quarantine. */
export type ParsedMessage = { record: object } | { reason: string; raw?: string };

/** JSON.parse's complaint without the snippet of input V8 quotes. */
function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const at = / in JSON at position (\d+)/.exec(message);
  if (at) return `${message.slice(0, at.index)} at character ${Number(at[1]) + 1}`;
  if (message.startsWith('Unexpected end of JSON input')) return 'it ends too early';
  return 'unexpected character';
}

/** Parses one payload into a prototype-less record (see runtime/record.ts), or says why it cannot. */
export function parseMessage(data: Uint8Array): ParsedMessage {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { reason: 'the payload is not valid UTF-8 text, so not JSON' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { reason: `the payload is not valid JSON (${jsonProblem(error)})`, raw: previewText(text) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { reason: `the payload holds ${what}, not a JSON object; publish one object per message`, raw: previewText(text) };
  }
  // JSON.parse makes "__proto__" an own property (ECMA-262 §25.5.1); without a prototype, field names are inert.
  Object.setPrototypeOf(value, null);
  return { record: value };
}
