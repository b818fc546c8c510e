// The access state (API keys, role bindings, grants) in the embedded SQLite store.
import type Database from 'better-sqlite3';
import type { AccessGrant, AccessStore, ApiKeyRecord, GrantStatus, RoleBinding } from '../../auth/access-store.ts';
import { toApiKey, toBinding, toGrant } from '../store-rows.ts';
import type { ApiKeyRow, BindingRow, GrantRow } from '../store-rows.ts';

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
