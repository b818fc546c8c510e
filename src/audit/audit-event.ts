// The audit events Sluice records, as one typed catalogue: who did what to which resource, with what outcome.
// An event never holds a secret value, key material or restricted plaintext: only names, codes and counts.

/** Who acted, and how they proved it. */
export interface AuditActor {
  /**
   * "os:alice(1000)" for the local user, "oidc:<issuer>#<subject>", "apikey:<id>" or "mtls:<name>" behind the API,
   * "system:scheduler" for what the server does on its own.
   */
  principal: string;
  method: 'os-user' | 'oidc' | 'api-key' | 'mtls' | 'system';
}

export const AUDIT_ACTIONS = {
  // Authentication (the control plane): every attempt, with the method in the actor.
  'auth.success': 'a principal authenticated',
  'auth.failure': 'an authentication attempt failed (reason says why, never with the credential)',
  'access.denied': 'an authenticated principal was refused: reason names the permission it lacked',
  // Data access.
  'data.read': 'objects were decrypted and read (sluice cat): details.objects, details.records, details.dataset',
  'data.detokenize': 'tokens were turned back into values: details.count, details.key, details.domain',
  'data.decrypt': 'values sealed per data subject were opened: details.count, details.dataset',
  // Pipeline runs.
  'run.start': 'a pipeline run started or resumed',
  'run.finish': 'a run finished: details.recordsIn, details.recordsOut, details.quarantined',
  'run.fail': 'a run failed: details.code',
  // Configuration: keys, settings, specs, role bindings.
  'key.create': 'a keyring key was created',
  'key.rotate': 'a keyring key got a new primary version',
  'key.rewrap': 'objects, subject keys and stored secrets were moved to primary key versions',
  'key.destroy': 'a key version was destroyed',
  'config.change': 'settings, a spec, an API key or a role binding changed (details.what)',
  // Secrets.
  'secret.read': 'a value of the built-in secret store was read (get, or resolved for a run)',
  'secret.create': 'a secret was added to the built-in store',
  'secret.rotate': 'a secret of the built-in store was given a new value',
  'secret.delete': 'a secret was removed from the built-in store',
  // Access grants (the control plane).
  'grant.request': 'just-in-time access was requested',
  'grant.approve': 'just-in-time access was approved',
  'grant.deny': 'just-in-time access was refused',
  'grant.revoke': 'just-in-time access was withdrawn before it expired',
  // Privacy.
  'subject.erase': "a data subject's keys were destroyed (crypto-shredding): details.keys",
  // The audit log itself.
  'audit.verify': 'the audit log was verified: outcome and details.firstBadSeq',
  'audit.checkpoint': 'a signed checkpoint was made or exported: details.treeSize',
  'audit.alert': 'anomaly detection raised an alert: details.kind, details.score',
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
  /** Counts and names that qualify the act (records, dataset, key version): never values, keys or plaintext. */
  details?: Record<string, string | number | boolean>;
}

/** A recorded event with its place in the log. */
export interface RecordedAuditEvent extends AuditEvent {
  seq: number;
}
