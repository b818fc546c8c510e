// A Kafka message's value as a record: one JSON object in UTF-8, or the reason it is not one (for quarantine).
import { parsePayload } from '../sources/json-record.ts';
import type { ParsedPayload } from '../sources/json-record.ts';

export type ParsedMessage = ParsedPayload;

/** The record a value holds, prototype-less like every record (see runtime/record.ts), or why it holds none. */
export function parseMessage(value: Buffer | null): ParsedMessage {
  if (value === null) return { reason: 'the message has no value (a tombstone); a record is one JSON object' };
  return parsePayload(value, 'the message value', 'produce one object per message');
}
