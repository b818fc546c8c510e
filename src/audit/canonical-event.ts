// The exact bytes of a stored audit event: JSON with a fixed key order, the sequence number first. These bytes
// are what the Merkle leaf hashes, so an event reads back, verifies and exports byte for byte the same.
import type { AuditEvent, RecordedAuditEvent } from './audit-event.ts';

/** The canonical JSON text of event `seq`. */
export function canonicalEvent(seq: number, event: AuditEvent): string {
  const ordered: RecordedAuditEvent = {
    seq,
    time: event.time,
    actor: { principal: event.actor.principal, method: event.actor.method },
    action: event.action,
    resource: event.resource,
    outcome: event.outcome,
    ...(event.requestId !== undefined ? { requestId: event.requestId } : {}),
    ...(event.source !== undefined ? { source: event.source } : {}),
    ...(event.reason !== undefined ? { reason: event.reason } : {}),
    ...(event.details !== undefined ? { details: Object.fromEntries(Object.entries(event.details).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) } : {}),
  };
  return JSON.stringify(ordered);
}

/**
 * The sequence number a canonical event text starts with (`{"seq":` then decimal digits then a comma), without
 * parsing it all: verification reads millions. Digit by digit, without a substring or Number(): 50 ns instead of 170.
 */
export function seqOfCanonical(text: string): number | undefined {
  if (!text.startsWith(SEQ_PREFIX)) return undefined;
  let seq = 0;
  let at = SEQ_PREFIX.length;
  // At most 16 digits: the longest safe integer; a longer number is not one this log writes.
  const end = at + 16;
  for (let digit = text.charCodeAt(at) - 48; digit >= 0 && digit <= 9 && at < end; digit = text.charCodeAt(++at) - 48) seq = seq * 10 + digit;
  return at > SEQ_PREFIX.length && text.charCodeAt(at) === COMMA && Number.isSafeInteger(seq) ? seq : undefined;
}

const SEQ_PREFIX = '{"seq":';
const COMMA = 0x2c;
