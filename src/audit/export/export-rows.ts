// Reads stored audit rows in sequence, a page at a time, and hands each to a sink: up to a fixed sequence number
// (an export of the log as it was), or on and on as events are appended (a live tail), until stopped.
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors.ts';
import type { AuditRow, AuditStore } from '../audit-store.ts';

export interface ExportRowsOptions {
  /** Start after this sequence number (0: from the first event). */
  afterSeq: number;
  /** Stop after this sequence number; undefined with `follow`. */
  upToSeq?: number;
  /** Keep polling for new events until `signal` aborts (or `maxEvents` were handed over). */
  follow?: boolean;
  /** Between polls once caught up (default 500 ms). */
  pollIntervalMs?: number;
  /** Stop after this many events. */
  maxEvents?: number;
  signal?: AbortSignal;
  /** Rows read per query (default 500). */
  pageSize?: number;
}

export interface ExportRowsResult {
  events: number;
  /** The sequence number of the last event handed over (afterSeq when none was): resume with --after this. */
  lastSeq: number;
  /** True when the signal stopped it. */
  stopped: boolean;
}

/**
 * Hands rows after `afterSeq` to `emit` in sequence, awaiting each (so a slow sink slows the reading, never the
 * writer). A missing sequence number stops the export with SLUICE_AUDIT_VERIFY_FAILED: the log has a gap, and
 * 'sluice audit verify' says more. An abort takes effect between events, never in the middle of one.
 */
export async function exportRows(store: Pick<AuditStore, 'readAuditRows'>, options: ExportRowsOptions, emit: (row: AuditRow) => Promise<void>): Promise<ExportRowsResult> {
  const pageSize = options.pageSize ?? 500;
  const max = options.maxEvents ?? Number.POSITIVE_INFINITY;
  const signal = options.signal;
  let next = options.afterSeq + 1;
  let events = 0;
  while (!signal?.aborted) {
    const limit = Math.min(pageSize, max - events, options.upToSeq !== undefined ? options.upToSeq - next + 1 : pageSize);
    if (limit <= 0) break;
    const rows = await store.readAuditRows(next, limit);
    for (const row of rows) {
      if (row.seq !== next) throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', `audit event ${next} is missing (the next stored one is ${row.seq}): run 'sluice audit verify'`);
      await emit(row);
      events++;
      next++;
      if (signal?.aborted) break;
    }
    if (rows.length === limit) continue;
    // Caught up with the writer.
    if (!options.follow) break;
    try {
      await sleep(options.pollIntervalMs ?? 500, undefined, signal ? { signal } : {});
    } catch (error) {
      if (signal?.aborted) break;
      throw error;
    }
  }
  return { events, lastSeq: next - 1, stopped: signal?.aborted === true };
}
