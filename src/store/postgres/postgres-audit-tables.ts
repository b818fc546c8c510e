// The audit log's tables in the PostgreSQL state store: append-only events, Merkle nodes and signed checkpoints.
import type { RecordedAuditEvent } from '../../audit/audit-event.ts';
import type { AuditChainTuple, AuditCheckpointRow, AuditNode, AuditQuery, AuditRow, AuditStore } from '../../audit/audit-store.ts';
import type { PostgresSession } from './postgres-session.ts';
import { sqlLimit, tablesIn } from './postgres-session.ts';
import { toCheckpoint } from '../store-rows.ts';
import type { CheckpointRow } from '../store-rows.ts';

/** Nodes keyed by position, the last one winning, as SQLite's INSERT OR REPLACE row by row would leave them. */
function lastPerPosition(nodes: readonly AuditNode[]): AuditNode[] {
  return [...new Map(nodes.map((node) => [`${node.level}:${node.index}`, node])).values()];
}

export class PostgresAuditTables implements AuditStore {
  readonly #session: PostgresSession;
  readonly #t: Record<'audit_events' | 'audit_nodes' | 'audit_checkpoints', string>;

  /** Tables in `quotedSchema`, already migrated. */
  constructor(session: PostgresSession, quotedSchema: string) {
    this.#session = session;
    this.#t = tablesIn(quotedSchema, ['audit_events', 'audit_nodes', 'audit_checkpoints']);
  }

  async auditHead(): Promise<{ size: number; chain: Buffer }> {
    const row = await this.#session.row<{ seq: number; hashes: Buffer }>(`SELECT seq, hashes FROM ${this.#t.audit_events} ORDER BY seq DESC LIMIT 1`);
    return row ? { size: row.seq, chain: row.hashes.subarray(32) } : { size: 0, chain: Buffer.alloc(32) };
  }

  async appendAuditRows(expectedSize: number, rows: readonly AuditRow[], nodes: readonly AuditNode[]): Promise<boolean> {
    return this.#session.transaction(async (tx) => {
      // SHARE ROW EXCLUSIVE conflicts with itself and with writers, not with readers: appenders queue here, one at
      // a time, before the head is read. Under READ COMMITTED the head read below takes its snapshot after the
      // lock is granted, so it sees what the appender before us committed (and LOCK takes no snapshot itself).
      await tx.run(`LOCK TABLE ${this.#t.audit_events} IN SHARE ROW EXCLUSIVE MODE`);
      const head = await tx.row<{ size: number }>(`SELECT COALESCE(MAX(seq), 0) AS size FROM ${this.#t.audit_events}`);
      if (head?.size !== expectedSize) return false;
      if (rows.length > 0) {
        // One statement for the whole batch: each column as an array, unnested into rows.
        await tx.run(
          `INSERT INTO ${this.#t.audit_events} (seq, time, action, principal, resource, outcome, event, hashes)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[])`,
          [
            rows.map((r) => r.seq),
            rows.map((r) => r.time),
            rows.map((r) => r.action),
            rows.map((r) => r.principal),
            rows.map((r) => r.resource),
            rows.map((r) => r.outcome),
            rows.map((r) => r.event),
            rows.map((r) => Buffer.concat([r.leaf, r.chain])),
          ],
        );
      }
      const unique = lastPerPosition(nodes);
      if (unique.length > 0) {
        await tx.run(
          `INSERT INTO ${this.#t.audit_nodes} (level, idx, hash) SELECT * FROM unnest($1::integer[], $2::bigint[], $3::bytea[])
           ON CONFLICT (level, idx) DO UPDATE SET hash = EXCLUDED.hash`,
          [unique.map((n) => n.level), unique.map((n) => n.index), unique.map((n) => n.hash)],
        );
      }
      return true;
    });
  }

  async readAuditRows(fromSeq: number, limit: number): Promise<AuditRow[]> {
    const rows = await this.#session.rows<Omit<AuditRow, 'leaf' | 'chain'> & { hashes: Buffer }>(
      `SELECT seq, time, action, principal, resource, outcome, event, hashes FROM ${this.#t.audit_events} WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [fromSeq, sqlLimit(limit)],
    );
    return rows.map(({ hashes, ...row }) => ({ ...row, leaf: hashes.subarray(0, 32), chain: hashes.subarray(32) }));
  }

  async readAuditChain(fromSeq: number, limit: number): Promise<AuditChainTuple[]> {
    return this.#session.tuples<AuditChainTuple>(`SELECT seq, event, encode(hashes, 'hex') FROM ${this.#t.audit_events} WHERE seq >= $1 ORDER BY seq LIMIT $2`, [fromSeq, sqlLimit(limit)]);
  }

  /**
   * The last seq whose time is before `time`, by binary search over seq (times are nearly monotonic in seq), as
   * the SQLite store does, but in one recursive statement: one round trip instead of one per step.
   */
  async #lastSeqBefore(time: string): Promise<number> {
    const row = await this.#session.row<{ low: number }>(
      `WITH RECURSIVE search (low, high) AS (
         SELECT 0::bigint, COALESCE(MAX(seq), 0) + 1 FROM ${this.#t.audit_events}
         UNION ALL
         SELECT CASE WHEN probe.below THEN (s.low + s.high) / 2 ELSE s.low END,
                CASE WHEN probe.below THEN s.high ELSE (s.low + s.high) / 2 END
         FROM search s
         CROSS JOIN LATERAL (
           SELECT COALESCE((SELECT e.time FROM ${this.#t.audit_events} e WHERE e.seq = (s.low + s.high) / 2), '') < $1 COLLATE "C" AS below
         ) probe
         WHERE s.high - s.low > 1
       )
       SELECT low FROM search WHERE high - low <= 1`,
      [time],
    );
    // Clocks step back a little between processes: start a margin earlier; the time filter stays exact.
    return Math.max(0, (row?.low ?? 0) - 1000);
  }

  async getAuditNode(level: number, index: number): Promise<Buffer | undefined> {
    return (await this.#session.row<{ hash: Buffer }>(`SELECT hash FROM ${this.#t.audit_nodes} WHERE level = $1 AND idx = $2`, [level, index]))?.hash;
  }

  async putAuditCheckpoint(checkpoint: AuditCheckpointRow): Promise<void> {
    await this.#session.run(`INSERT INTO ${this.#t.audit_checkpoints} (tree_size, root, time, note) VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING`, [
      checkpoint.treeSize,
      checkpoint.root,
      checkpoint.time,
      checkpoint.note,
    ]);
  }

  async listAuditCheckpoints(): Promise<AuditCheckpointRow[]> {
    return (await this.#session.rows<CheckpointRow>(`SELECT tree_size, root, time, note FROM ${this.#t.audit_checkpoints} ORDER BY tree_size`)).map(toCheckpoint);
  }

  async latestAuditCheckpoint(): Promise<AuditCheckpointRow | undefined> {
    const row = await this.#session.row<CheckpointRow>(`SELECT tree_size, root, time, note FROM ${this.#t.audit_checkpoints} ORDER BY tree_size DESC LIMIT 1`);
    return row ? toCheckpoint(row) : undefined;
  }

  async queryAuditEvents(query: AuditQuery): Promise<RecordedAuditEvent[]> {
    let afterSeq = query.afterSeq ?? 0;
    // Time follows sequence (events are appended as they happen): a time bound becomes a sequence bound found by
    // binary search on the primary key, instead of an index every append would pay for.
    if (query.from !== undefined) afterSeq = Math.max(afterSeq, await this.#lastSeqBefore(query.from));
    const values: unknown[] = [afterSeq];
    const where: string[] = ['seq > $1'];
    const filters: [keyof AuditQuery, string][] = [['action', 'action ='], ['principal', 'principal ='], ['resource', 'resource ='], ['outcome', 'outcome ='], ['from', 'time >='], ['to', 'time <=']];
    for (const [key, condition] of filters) {
      const value = query[key];
      if (value !== undefined) {
        values.push(value);
        where.push(`${condition} $${values.length}`);
      }
    }
    values.push(sqlLimit(query.limit));
    const rows = await this.#session.rows<{ event: string }>(`SELECT event FROM ${this.#t.audit_events} WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${values.length}`, values);
    return rows.map((r) => JSON.parse(r.event) as RecordedAuditEvent);
  }
}
