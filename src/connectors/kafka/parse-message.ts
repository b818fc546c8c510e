// A Kafka message's value as a record: one JSON object in UTF-8, or the reason it is not one (for quarantine).
import { previewText } from '../sources/line-reader.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type ParsedMessage = { record: object } | { reason: string; raw?: string };

/** The record a value holds, prototype-less like every record (see runtime/record.ts), or why it holds none. */
export function parseMessage(value: Buffer | null): ParsedMessage {
  if (value === null) return { reason: 'the message has no value (a tombstone); a record is one JSON object' };
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return { reason: 'the message value is not valid UTF-8; a record is one JSON object in UTF-8' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { reason: `the message value is not valid JSON (${jsonProblem(error)})`, raw: previewText(text) };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const what = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    return { reason: `the message value holds ${what}, not a JSON object`, raw: previewText(text) };
  }
  // JSON.parse made any "__proto__" key an own property (ECMA-262 §25.5.1); dropping the prototype makes
  // names such as constructor inert data too.
  Object.setPrototypeOf(parsed, null);
  return { record: parsed };
}

/** JSON.parse's complaint without the snippet of input V8 quotes, which may be personal data. */
function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const at = / in JSON at position (\d+)/.exec(message);
  if (at) return `${message.slice(0, at.index)} at character ${Number(at[1]) + 1}`;
  if (message.startsWith('Unexpected end of JSON input')) return 'it ends too early';
  return 'unexpected character';
}
