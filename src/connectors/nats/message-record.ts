// A message payload as a record: UTF-8 JSON holding one object. Anything else is a reason for the quarantine,
// worded without quoting the payload (which may be personal data).
import { parsePayload } from '../sources/json-record.ts';
import type { ParsedPayload } from '../sources/json-record.ts';

/** The record, or why the payload is not one and the start of its text for the quarantine. */
export type ParsedMessage = ParsedPayload;

/** Parses one payload into a prototype-less record (see runtime/record.ts), or says why it cannot. */
export function parseMessage(data: Uint8Array): ParsedMessage {
  return parsePayload(data, 'the payload', 'publish one object per message');
}
