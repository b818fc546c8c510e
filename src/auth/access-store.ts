// The state the control plane keeps about who may do what: API keys (hashes only), role bindings and
// just-in-time grants. Part of the state store contract, so the cluster's PostgreSQL store keeps them too.
import type { Classification } from '../spec/classification.ts';
import type { Permission } from './permissions.ts';

/** An API key as stored: never the key itself, only the SHA-256 of its secret part. */
export interface ApiKeyRecord {
  /** The public part of the key (`slc_<id>_…`), also the principal's name: `apikey:<id>`. */
  id: string;
  /** What the key is for, as its creator described it. */
  name: string;
  /** SHA-256 of the secret part. */
  hash: Buffer;
  /** Permissions the key is limited to, on top of its role bindings; empty means no further limit. */
  scopes: readonly Permission[];
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
  revokedAt?: string;
}

/** A role given to a principal within a namespace (`*` for every namespace), up to a clearance. */
export interface RoleBinding {
  /** "apikey:<id>", "oidc:<issuer>#<subject>", "mtls:<name>". */
  principal: string;
  role: string;
  namespace: string;
  /** The highest classification the principal receives in plaintext through this binding. */
  clearance: Classification;
  createdAt: string;
  createdBy: string;
}

export type GrantStatus = 'pending' | 'approved' | 'denied' | 'revoked';

/** A just-in-time request for one permission in one namespace, for a bounded time. */
export interface AccessGrant {
  id: string;
  principal: string;
  permission: Permission;
  namespace: string;
  reason: string;
  /** How long the grant lasts once approved. */
  durationSeconds: number;
  status: GrantStatus;
  requestedAt: string;
  /** Who approved, denied or revoked it. */
  decidedBy?: string;
  decidedAt?: string;
  /** Set on approval: decidedAt + durationSeconds. */
  expiresAt?: string;
}

export interface AccessStore {
  createApiKey(key: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false if there is no such key or it was already revoked. */
  revokeApiKey(id: string, at: string): Promise<boolean>;

  /** Adds a binding; binding the same (principal, role, namespace) again replaces its clearance. */
  bindRole(binding: RoleBinding): Promise<void>;
  /** Removes a binding; false if there was none. */
  unbindRole(principal: string, role: string, namespace: string): Promise<boolean>;
  /** Bindings of one principal, or all. */
  listBindings(principal?: string): Promise<RoleBinding[]>;

  createGrant(grant: AccessGrant): Promise<void>;
  getGrant(id: string): Promise<AccessGrant | undefined>;
  /** Grants of one principal, or all; newest first. */
  listGrants(filter?: { principal?: string; status?: GrantStatus }): Promise<AccessGrant[]>;
  /**
   * Moves a grant from `from` to a new status, recording who and when (and expiresAt on approval); false when the
   * grant is not (or no longer) in `from`: two approvers racing cannot both decide it.
   */
  decideGrant(id: string, from: GrantStatus, decision: { status: GrantStatus; decidedBy: string; decidedAt: string; expiresAt?: string }): Promise<boolean>;
}
