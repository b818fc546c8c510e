// The audit events Sluice records, as one typed catalogue. The audit issue extends it (authentication, data
// access, runs, configuration, grants) and adds tamper evidence; the fields and the rule stay: an event names
// who did what to which resource with what outcome, and never holds a secret value, key material or
// restricted plaintext.

/** Who acted, and how they proved it. */
export interface AuditActor {
  /** "os:alice(1000)" for the local user, "oidc:<issuer>#<subject>" or "apikey:<id>" behind the API. */
  principal: string;
  method: 'os-user' | 'oidc' | 'api-key' | 'mtls';
}

export const AUDIT_ACTIONS = {
  'secret.read': 'a value of the built-in secret store was read (get, or resolved for a run)',
  'secret.create': 'a secret was added to the built-in store',
  'secret.rotate': 'a secret of the built-in store was given a new value',
  'secret.delete': 'a secret was removed from the built-in store',
} as const;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

export interface AuditEvent {
  /** ISO 8601, UTC. */
  time: string;
  actor: AuditActor;
  action: AuditAction;
  /** What was acted on: "secret:crm/api-token". */
  resource: string;
  outcome: 'success' | 'failure' | 'denied';
  /** The run or request the act belongs to. */
  requestId?: string;
  /** Where the request came from (an address; "local" for the command line). */
  source?: string;
  /** Why it failed or was denied: a code, never a value. */
  reason?: string;
}

/** A recorded event with its place in the log. */
export interface RecordedAuditEvent extends AuditEvent {
  seq: number;
}

/**
 * Where events go: the state store (SQLite embedded, PostgreSQL in cluster mode). Appending is part of the act
 * it records: if the event cannot be written, the caller fails the act (fail closed).
 */
export interface AuditStore {
  /** Appends an event and returns its sequence number. */
  appendAuditEvent(event: AuditEvent): Promise<number>;
  /** Events in order of sequence, optionally of one action, the newest `limit`. */
  listAuditEvents(options?: { action?: AuditAction; limit?: number }): Promise<RecordedAuditEvent[]>;
}
