// The built-in secret store's table in the PostgreSQL state store: sealed values and their rotation metadata.
// A replaced or deleted sealed value stays in its old row version until VACUUM (and in the WAL): PostgreSQL has no
// counterpart to the SQLite store's secure_delete and WAL truncation.
import type { SecretRecord, SecretRecordStore } from '../../secrets/store/secret-record-store.ts';
import type { PostgresSession } from './postgres-session.ts';
import { tablesIn } from './postgres-session.ts';
import { toSecret } from '../store-rows.ts';
import type { SecretRow } from '../store-rows.ts';

const SECRET_COLUMNS = 'name, version, key_id, key_version, sealed, created_at, rotated_at, last_read_at, max_age_days';

export class PostgresSecretTables implements SecretRecordStore {
  readonly #session: PostgresSession;
  readonly #t: Record<'secrets', string>;

  /** Tables in `quotedSchema`, already migrated. */
  constructor(session: PostgresSession, quotedSchema: string) {
    this.#session = session;
    this.#t = tablesIn(quotedSchema, ['secrets']);
  }

  async putSecret(record: SecretRecord, expected: number | undefined): Promise<boolean> {
    const values = [record.version, record.keyId, record.keyVersion, record.sealed, record.createdAt, record.rotatedAt, record.lastReadAt ?? null, record.maxAgeDays ?? null, record.name];
    if (expected === undefined) {
      const sql = `INSERT INTO ${this.#t.secrets} (version, key_id, key_version, sealed, created_at, rotated_at, last_read_at, max_age_days, name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`;
      return (await this.#session.run(sql, values)) === 1;
    }
    const sql = `UPDATE ${this.#t.secrets} SET version = $1, key_id = $2, key_version = $3, sealed = $4, created_at = $5, rotated_at = $6, last_read_at = $7, max_age_days = $8 WHERE name = $9 AND version = $10`;
    return (await this.#session.run(sql, [...values, expected])) === 1;
  }

  async getSecret(name: string): Promise<SecretRecord | undefined> {
    const row = await this.#session.row<SecretRow>(`SELECT ${SECRET_COLUMNS} FROM ${this.#t.secrets} WHERE name = $1`, [name]);
    return row ? toSecret(row) : undefined;
  }

  async listSecrets(): Promise<SecretRecord[]> {
    return (await this.#session.rows<SecretRow>(`SELECT ${SECRET_COLUMNS} FROM ${this.#t.secrets} ORDER BY name`)).map(toSecret);
  }

  async deleteSecret(name: string): Promise<boolean> {
    return (await this.#session.run(`DELETE FROM ${this.#t.secrets} WHERE name = $1`, [name])) === 1;
  }

  async markSecretRead(name: string, at: string): Promise<void> {
    await this.#session.run(`UPDATE ${this.#t.secrets} SET last_read_at = $1 WHERE name = $2`, [at, name]);
  }

  async countSecrets(keyId: string, keyVersion: number): Promise<number> {
    return (await this.#session.row<{ n: number }>(`SELECT COUNT(*) AS n FROM ${this.#t.secrets} WHERE key_id = $1 AND key_version = $2`, [keyId, keyVersion]))?.n ?? 0;
  }

  async resealSecret(name: string, version: number, keyVersion: number, sealed: Buffer): Promise<boolean> {
    return (await this.#session.run(`UPDATE ${this.#t.secrets} SET key_version = $1, sealed = $2 WHERE name = $3 AND version = $4`, [keyVersion, sealed, name, version])) === 1;
  }
}
