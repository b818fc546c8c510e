// The batch ledger: a table beside the sink's target where each written batch leaves a row, in the same
// transaction as its records, with a digest of where its records came from. A batch written again after a crash
// (its checkpoint was lost) with the same records finds its row and is skipped, so its rows are in the target
// exactly once, whichever side of the commit the crash fell on. A stream's batch of the same number may hold other
// records on the next attempt (redeliveries come in another order); its digest differs, so it is written: a
// redelivered record may then be written twice, but none is ever dropped.
import type pg from 'pg';
import { sqlState } from './postgres-errors.ts';
import { quoteRelation } from './identifiers.ts';

/**
 * The ledger's run key: the run id, or `<run id>/<task>` for a cluster task, whose batch numbers restart at 1.
 * Retention prunes a run's task rows with the run (prune keeps `<run id>` and `<run id>/…`).
 */
export function ledgerRunKey(run: { runId: string; task?: string }): string {
  return run.task !== undefined ? `${run.runId}/${run.task}` : run.runId;
}

/** The ledger's name; it lives in the target table's schema. */
export const LEDGER_TABLE = 'sluice_sink_batches';

export interface LedgerStatements {
  create: string;
  /** Records a batch; changes nothing (rowCount 0) when the batch is already recorded with the same records. */
  mark: string;
  /** Forgets the batches of other runs committed before a time (the spec's retention). */
  prune: string;
}

export function ledgerStatements(schema: string): LedgerStatements {
  const table = quoteRelation({ schema, name: LEDGER_TABLE });
  return {
    create:
      `CREATE TABLE IF NOT EXISTS ${table} (pipeline text NOT NULL, sink text NOT NULL, run_id text NOT NULL, batch integer NOT NULL, ` +
      `records integer NOT NULL, refs_digest text NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (pipeline, sink, run_id, batch))`,
    mark:
      `INSERT INTO ${table} AS ledger (pipeline, sink, run_id, batch, records, refs_digest) VALUES ($1, $2, $3, $4, $5, $6) ` +
      `ON CONFLICT (pipeline, sink, run_id, batch) DO UPDATE SET records = EXCLUDED.records, refs_digest = EXCLUDED.refs_digest, committed_at = now() ` +
      `WHERE ledger.refs_digest IS DISTINCT FROM EXCLUDED.refs_digest`,
    prune: `DELETE FROM ${table} WHERE pipeline = $1 AND sink = $2 AND run_id <> $3 AND left(run_id, length($3) + 1) <> $3 || '/' AND committed_at < $4`,
  };
}

/**
 * Creates the ledger unless it exists. Two sinks creating it at once can collide in the catalog even with IF NOT
 * EXISTS (a unique violation on pg_type, or duplicate_table); the other one made it, which is all that counts.
 */
export async function ensureLedger(client: pg.ClientBase, statements: LedgerStatements): Promise<void> {
  try {
    await client.query(statements.create);
  } catch (error) {
    const state = sqlState(error);
    if (state !== '23505' && state !== '42P07') throw error;
  }
}
