// The access state (API keys, role bindings, grants) in the PostgreSQL state store.
import type { AccessGrant, AccessStore, ApiKeyRecord, GrantStatus, RoleBinding } from '../../auth/access-store.ts';
import { toApiKey, toBinding, toGrant } from '../store-rows.ts';
import type { ApiKeyRow, BindingRow, GrantRow } from '../store-rows.ts';
import type { PostgresSession } from './postgres-session.ts';
import { tablesIn } from './postgres-session.ts';

const API_KEY_COLUMNS = 'id, name, hash, scopes, created_at, created_by, expires_at, revoked_at';
const BINDING_COLUMNS = 'principal, role, namespace, clearance, created_at, created_by';
const GRANT_COLUMNS = 'id, principal, permission, namespace, reason, duration_seconds, status, requested_at, decided_by, decided_at, expires_at';

export class PostgresAccessTables implements AccessStore {
  readonly #session: PostgresSession;
  readonly #t: Record<'api_keys' | 'role_bindings' | 'access_grants', string>;

  /** Tables in `quotedSchema`, already migrated. */
  constructor(session: PostgresSession, quotedSchema: string) {
    this.#session = session;
    this.#t = tablesIn(quotedSchema, ['api_keys', 'role_bindings', 'access_grants']);
  }

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    await this.#session.run(`INSERT INTO ${this.#t.api_keys} (${API_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
      key.id,
      key.name,
      key.hash,
      JSON.stringify(key.scopes),
      key.createdAt,
      key.createdBy,
      key.expiresAt ?? null,
      key.revokedAt ?? null,
    ]);
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.#session.row<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM ${this.#t.api_keys} WHERE id = $1`, [id]);
    return row ? toApiKey(row) : undefined;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.#session.rows<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM ${this.#t.api_keys} ORDER BY created_at, id`)).map(toApiKey);
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    return (await this.#session.run(`UPDATE ${this.#t.api_keys} SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, [at, id])) === 1;
  }

  async bindRole(binding: RoleBinding): Promise<void> {
    await this.#session.run(
      `INSERT INTO ${this.#t.role_bindings} (${BINDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (principal, role, namespace) DO UPDATE SET clearance = EXCLUDED.clearance, created_at = EXCLUDED.created_at, created_by = EXCLUDED.created_by`,
      [binding.principal, binding.role, binding.namespace, binding.clearance, binding.createdAt, binding.createdBy],
    );
  }

  async unbindRole(principal: string, role: string, namespace: string): Promise<boolean> {
    return (await this.#session.run(`DELETE FROM ${this.#t.role_bindings} WHERE principal = $1 AND role = $2 AND namespace = $3`, [principal, role, namespace])) === 1;
  }

  async listBindings(principal?: string): Promise<RoleBinding[]> {
    const rows =
      principal === undefined
        ? await this.#session.rows<BindingRow>(`SELECT ${BINDING_COLUMNS} FROM ${this.#t.role_bindings} ORDER BY principal, namespace, role`)
        : await this.#session.rows<BindingRow>(`SELECT ${BINDING_COLUMNS} FROM ${this.#t.role_bindings} WHERE principal = $1 ORDER BY namespace, role`, [principal]);
    return rows.map(toBinding);
  }

  async createGrant(grant: AccessGrant): Promise<void> {
    await this.#session.run(`INSERT INTO ${this.#t.access_grants} (${GRANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [
      grant.id,
      grant.principal,
      grant.permission,
      grant.namespace,
      grant.reason,
      grant.durationSeconds,
      grant.status,
      grant.requestedAt,
      grant.decidedBy ?? null,
      grant.decidedAt ?? null,
      grant.expiresAt ?? null,
    ]);
  }

  async getGrant(id: string): Promise<AccessGrant | undefined> {
    const row = await this.#session.row<GrantRow>(`SELECT ${GRANT_COLUMNS} FROM ${this.#t.access_grants} WHERE id = $1`, [id]);
    return row ? toGrant(row) : undefined;
  }

  async listGrants(filter: { principal?: string; status?: GrantStatus } = {}): Promise<AccessGrant[]> {
    // Newest first; grants requested at the same time, last created first (seq stands for SQLite's rowid).
    const rows = await this.#session.rows<GrantRow>(
      `SELECT ${GRANT_COLUMNS} FROM ${this.#t.access_grants} WHERE ($1::text IS NULL OR principal = $1) AND ($2::text IS NULL OR status = $2)
       ORDER BY requested_at DESC, seq DESC`,
      [filter.principal ?? null, filter.status ?? null],
    );
    return rows.map(toGrant);
  }

  async decideGrant(id: string, from: GrantStatus, decision: { status: GrantStatus; decidedBy: string; decidedAt: string; expiresAt?: string }): Promise<boolean> {
    const changed = await this.#session.run(
      `UPDATE ${this.#t.access_grants} SET status = $1, decided_by = $2, decided_at = $3, expires_at = COALESCE($4, expires_at) WHERE id = $5 AND status = $6`,
      [decision.status, decision.decidedBy, decision.decidedAt, decision.expiresAt ?? null, id, from],
    );
    return changed === 1;
  }
}
