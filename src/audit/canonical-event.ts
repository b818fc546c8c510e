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

/** The sequence number a canonical event text starts with, without parsing it all (verification reads millions). */
export function seqOfCanonical(text: string): number | undefined {
  if (!text.startsWith('{"seq":')) return undefined;
  const end = text.indexOf(',', 7);
  const seq = Number(text.slice(7, end));
  return Number.isSafeInteger(seq) ? seq : undefined;
}
