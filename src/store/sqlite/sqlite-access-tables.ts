// The access state (API keys, role bindings, grants) in the embedded SQLite store.
import type Database from 'better-sqlite3';
import type { AccessGrant, AccessStore, ApiKeyRecord, GrantStatus, RoleBinding } from '../../auth/access-store.ts';
import type { Permission } from '../../auth/permissions.ts';
import type { Classification } from '../../spec/classification.ts';

interface ApiKeyRow {
  id: string;
  name: string;
  hash: Buffer;
  scopes: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
}

interface BindingRow {
  principal: string;
  role: string;
  namespace: string;
  clearance: Classification;
  created_at: string;
  created_by: string;
}

interface GrantRow {
  id: string;
  principal: string;
  permission: Permission;
  namespace: string;
  reason: string;
  duration_seconds: number;
  status: GrantStatus;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  expires_at: string | null;
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    scopes: JSON.parse(row.scopes) as Permission[],
    createdAt: row.created_at,
    createdBy: row.created_by,
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
  };
}

function toBinding(row: BindingRow): RoleBinding {
  return { principal: row.principal, role: row.role, namespace: row.namespace, clearance: row.clearance, createdAt: row.created_at, createdBy: row.created_by };
}

function toGrant(row: GrantRow): AccessGrant {
  return {
    id: row.id,
    principal: row.principal,
    permission: row.permission,
    namespace: row.namespace,
    reason: row.reason,
    durationSeconds: row.duration_seconds,
    status: row.status,
    requestedAt: row.requested_at,
    ...(row.decided_by !== null ? { decidedBy: row.decided_by } : {}),
    ...(row.decided_at !== null ? { decidedAt: row.decided_at } : {}),
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
  };
}

export class SqliteAccessTables implements AccessStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    this.#db
      .prepare('INSERT INTO api_keys (id, name, hash, scopes, created_at, created_by, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(key.id, key.name, key.hash, JSON.stringify(key.scopes), key.createdAt, key.createdBy, key.expiresAt ?? null, key.revokedAt ?? null);
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as ApiKeyRow | undefined;
    return row ? toApiKey(row) : undefined;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.#db.prepare('SELECT * FROM api_keys ORDER BY created_at, id').all() as ApiKeyRow[]).map(toApiKey);
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    return this.#db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes === 1;
  }

  async bindRole(binding: RoleBinding): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO role_bindings (principal, role, namespace, clearance, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (principal, role, namespace) DO UPDATE SET clearance = excluded.clearance, created_at = excluded.created_at, created_by = excluded.created_by`,
      )
      .run(binding.principal, binding.role, binding.namespace, binding.clearance, binding.createdAt, binding.createdBy);
  }

  async unbindRole(principal: string, role: string, namespace: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM role_bindings WHERE principal = ? AND role = ? AND namespace = ?').run(principal, role, namespace).changes === 1;
  }

  async listBindings(principal?: string): Promise<RoleBinding[]> {
    const rows = principal === undefined
      ? this.#db.prepare('SELECT * FROM role_bindings ORDER BY principal, namespace, role').all()
      : this.#db.prepare('SELECT * FROM role_bindings WHERE principal = ? ORDER BY namespace, role').all(principal);
    return (rows as BindingRow[]).map(toBinding);
  }

  async createGrant(grant: AccessGrant): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO access_grants (id, principal, permission, namespace, reason, duration_seconds, status, requested_at, decided_by, decided_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(grant.id, grant.principal, grant.permission, grant.namespace, grant.reason, grant.durationSeconds, grant.status, grant.requestedAt, grant.decidedBy ?? null, grant.decidedAt ?? null, grant.expiresAt ?? null);
  }

  async getGrant(id: string): Promise<AccessGrant | undefined> {
    const row = this.#db.prepare('SELECT * FROM access_grants WHERE id = ?').get(id) as GrantRow | undefined;
    return row ? toGrant(row) : undefined;
  }

  async listGrants(filter: { principal?: string; status?: GrantStatus } = {}): Promise<AccessGrant[]> {
    const rows = this.#db
      .prepare('SELECT * FROM access_grants WHERE (@principal IS NULL OR principal = @principal) AND (@status IS NULL OR status = @status) ORDER BY requested_at DESC, rowid DESC')
      .all({ principal: filter.principal ?? null, status: filter.status ?? null }) as GrantRow[];
    return rows.map(toGrant);
  }

  async decideGrant(id: string, from: GrantStatus, decision: { status: GrantStatus; decidedBy: string; decidedAt: string; expiresAt?: string }): Promise<boolean> {
    return (
      this.#db
        .prepare('UPDATE access_grants SET status = ?, decided_by = ?, decided_at = ?, expires_at = COALESCE(?, expires_at) WHERE id = ? AND status = ?')
        .run(decision.status, decision.decidedBy, decision.decidedAt, decision.expiresAt ?? null, id, from).changes === 1
    );
  }
}
