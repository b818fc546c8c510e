// The keyring's tables in the PostgreSQL state store: key versions, per-subject keys and the subject-reference keys.
import { SluiceError } from '../../errors.ts';
import type { KeyStore, KeyVersionRecord } from '../../crypto/keyring/key-store.ts';
import type { SubjectKeyRecord, SubjectKeyStore } from '../../crypto/subjects/subject-key-store.ts';
import type { PostgresSession } from './postgres-session.ts';
import { sqlLimit, tablesIn } from './postgres-session.ts';
import { toKeyVersion } from '../store-rows.ts';
import type { KeyRow } from '../store-rows.ts';

export class PostgresKeyTables implements KeyStore, SubjectKeyStore {
  readonly #session: PostgresSession;
  readonly #t: Record<'key_versions' | 'subject_keys' | 'subject_ref_keys', string>;

  /** Tables in `quotedSchema`, already migrated. */
  constructor(session: PostgresSession, quotedSchema: string) {
    this.#session = session;
    this.#t = tablesIn(quotedSchema, ['key_versions', 'subject_keys', 'subject_ref_keys']);
  }

  async getSubjectKeys(keyId: string, refs: readonly Buffer[]): Promise<SubjectKeyRecord[]> {
    const rows = await this.#session.rows<{ subject_ref: Buffer; key_version: number; wrapped: Buffer | null; erased_at: string | null }>(
      `SELECT subject_ref, key_version, wrapped, erased_at FROM ${this.#t.subject_keys} WHERE key_id = $1 AND subject_ref = ANY($2::bytea[])`,
      [keyId, refs],
    );
    // In the order asked (one query for all, where SQLite asks ref by ref).
    const byRef = new Map(rows.map((row) => [row.subject_ref.toString('hex'), row]));
    const found: SubjectKeyRecord[] = [];
    for (const ref of refs) {
      const row = byRef.get(ref.toString('hex'));
      if (row) found.push({ ref: row.subject_ref, keyVersion: row.key_version, ...(row.wrapped ? { wrapped: row.wrapped } : {}), ...(row.erased_at ? { erasedAt: row.erased_at } : {}) });
    }
    return found;
  }

  async putSubjectKeys(keyId: string, records: readonly { ref: Buffer; keyVersion: number; wrapped: Buffer }[]): Promise<Buffer[]> {
    if (records.length === 0) return [];
    // ON CONFLICT DO NOTHING waits for a concurrent insert of the same subject and then skips it: the caller reads
    // the key that process stored.
    const inserted = await this.#session.rows<{ subject_ref: Buffer }>(
      `INSERT INTO ${this.#t.subject_keys} (key_id, subject_ref, key_version, wrapped)
       SELECT $1::text, * FROM unnest($2::bytea[], $3::integer[], $4::bytea[]) ON CONFLICT DO NOTHING RETURNING subject_ref`,
      [keyId, records.map((r) => r.ref), records.map((r) => r.keyVersion), records.map((r) => r.wrapped)],
    );
    // A ref given twice is inserted once, by its first record, as SQLite's INSERT OR IGNORE row by row would.
    const fresh = new Set(inserted.map((row) => row.subject_ref.toString('hex')));
    const existing: Buffer[] = [];
    for (const record of records) {
      if (!fresh.delete(record.ref.toString('hex'))) existing.push(record.ref);
    }
    return existing;
  }

  async eraseSubjectKeys(keyId: string, refs: readonly Buffer[], keyVersion: number, erasedAt: string): Promise<number> {
    if (refs.length === 0) return 0;
    return this.#session.transaction(async (tx) => {
      // The wrapped key is overwritten, not only flagged. PostgreSQL keeps the old row version until VACUUM
      // reclaims it (and in its WAL): there is no counterpart to SQLite's secure_delete and WAL truncation.
      const erased = await tx.run(`UPDATE ${this.#t.subject_keys} SET wrapped = NULL, erased_at = $1 WHERE key_id = $2 AND subject_ref = ANY($3::bytea[]) AND wrapped IS NOT NULL`, [
        erasedAt,
        keyId,
        refs,
      ]);
      await tx.run(
        `INSERT INTO ${this.#t.subject_keys} (key_id, subject_ref, key_version, wrapped, erased_at)
         SELECT $1::text, ref, $3::integer, NULL::bytea, $4::text FROM unnest($2::bytea[]) AS ref ON CONFLICT DO NOTHING`,
        [keyId, refs, keyVersion, erasedAt],
      );
      return erased;
    });
  }

  async countSubjectKeys(keyId: string, keyVersion: number): Promise<number> {
    const row = await this.#session.row<{ n: number }>(
      `SELECT (SELECT COUNT(*) FROM ${this.#t.subject_keys} WHERE key_id = $1 AND key_version = $2 AND wrapped IS NOT NULL)
            + (SELECT COUNT(*) FROM ${this.#t.subject_ref_keys} WHERE key_id = $1 AND key_version = $2) AS n`,
      [keyId, keyVersion],
    );
    return row?.n ?? 0;
  }

  async getRefKey(keyId: string): Promise<{ keyVersion: number; wrapped: Buffer } | undefined> {
    const row = await this.#session.row<{ key_version: number; wrapped: Buffer }>(`SELECT key_version, wrapped FROM ${this.#t.subject_ref_keys} WHERE key_id = $1`, [keyId]);
    return row ? { keyVersion: row.key_version, wrapped: row.wrapped } : undefined;
  }

  async putRefKey(keyId: string, keyVersion: number, wrapped: Buffer): Promise<boolean> {
    const sql = `INSERT INTO ${this.#t.subject_ref_keys} (key_id, key_version, wrapped) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`;
    return (await this.#session.run(sql, [keyId, keyVersion, wrapped])) === 1;
  }

  async listSubjectKeysNotUnder(keyId: string, version: number, limit: number): Promise<SubjectKeyRecord[]> {
    // In key order, as SQLite returns them from its WITHOUT ROWID table.
    const rows = await this.#session.rows<{ subject_ref: Buffer; key_version: number; wrapped: Buffer }>(
      `SELECT subject_ref, key_version, wrapped FROM ${this.#t.subject_keys} WHERE key_id = $1 AND key_version <> $2 AND wrapped IS NOT NULL ORDER BY subject_ref LIMIT $3`,
      [keyId, version, sqlLimit(limit)],
    );
    return rows.map((r) => ({ ref: r.subject_ref, keyVersion: r.key_version, wrapped: r.wrapped }));
  }

  async rewrapSubjectKey(keyId: string, ref: Buffer, keyVersion: number, wrapped: Buffer): Promise<void> {
    await this.#session.run(`UPDATE ${this.#t.subject_keys} SET key_version = $1, wrapped = $2 WHERE key_id = $3 AND subject_ref = $4 AND wrapped IS NOT NULL`, [keyVersion, wrapped, keyId, ref]);
  }

  async rewrapRefKey(keyId: string, keyVersion: number, wrapped: Buffer): Promise<void> {
    await this.#session.run(`UPDATE ${this.#t.subject_ref_keys} SET key_version = $1, wrapped = $2 WHERE key_id = $3`, [keyVersion, wrapped, keyId]);
  }

  async addKeyVersion(record: Omit<KeyVersionRecord, 'state'>): Promise<void> {
    await this.#session.transaction(async (tx) => {
      // Two rotations at once queue here, as SQLite's single writer queues them: without the lock, the second
      // would not see the first's new primary and would break the one-primary index instead of demoting it.
      await tx.run(`LOCK TABLE ${this.#t.key_versions} IN SHARE ROW EXCLUSIVE MODE`);
      await tx.run(`UPDATE ${this.#t.key_versions} SET state = 'active' WHERE key_id = $1 AND state = 'primary'`, [record.keyId]);
      await tx.run(
        `INSERT INTO ${this.#t.key_versions} (key_id, version, state, wrapped, provider, created_at, rotation_days) VALUES ($1, $2, 'primary', $3, $4, $5, $6)`,
        [record.keyId, record.version, record.wrapped, record.provider, record.createdAt, record.rotationDays ?? null],
      );
    });
  }

  async listKeyVersions(keyId?: string): Promise<KeyVersionRecord[]> {
    const columns = 'key_id, version, state, wrapped, provider, created_at, rotation_days';
    const rows =
      keyId === undefined
        ? await this.#session.rows<KeyRow>(`SELECT ${columns} FROM ${this.#t.key_versions} ORDER BY key_id, version`)
        : await this.#session.rows<KeyRow>(`SELECT ${columns} FROM ${this.#t.key_versions} WHERE key_id = $1 ORDER BY version`, [keyId]);
    return rows.map(toKeyVersion);
  }

  async destroyKeyVersion(keyId: string, version: number): Promise<void> {
    // The wrapped material is overwritten, not only flagged (the old row version stays until VACUUM: see eraseSubjectKeys).
    const changed = await this.#session.run(`UPDATE ${this.#t.key_versions} SET state = 'destroyed', wrapped = '\\x'::bytea WHERE key_id = $1 AND version = $2`, [keyId, version]);
    if (changed !== 1) throw new SluiceError('SLUICE_KEY_UNKNOWN', `key '${keyId}' has no version ${version}`);
  }
}
