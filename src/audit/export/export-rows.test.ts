// Paging over the stored rows: in sequence across pages, up to a fixed end or on and on (a tail), bounded by
// maxEvents, stopped by a signal even while it waits, and refusing to skip over a missing sequence number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditRow } from '../audit-store.ts';
import { isSluiceError } from '../../errors.ts';
import { exportRows } from './export-rows.ts';

function row(seq: number): AuditRow {
  return { seq, time: '2026-01-01T00:00:00.000Z', action: 'data.read', principal: 'os:a(1)', resource: 'r', outcome: 'success', event: `{"seq":${seq}}`, leaf: Buffer.alloc(32), chain: Buffer.alloc(32) };
}

/** A store of rows (seqs given), counting the reads. */
function storeOf(seqs: number[]) {
  const rows = seqs.map(row);
  const reads: [number, number][] = [];
  return {
    rows,
    reads,
    readAuditRows: async (fromSeq: number, limit: number) => {
      reads.push([fromSeq, limit]);
      return rows.filter((r) => r.seq >= fromSeq).slice(0, limit);
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('pages through the rows after afterSeq up to upToSeq, in order', async () => {
  const store = storeOf(range(1, 25));
  const seen: number[] = [];
  const result = await exportRows(store, { afterSeq: 3, upToSeq: 21, pageSize: 5 }, async (r) => void seen.push(r.seq));
  assert.deepEqual(seen, range(4, 21));
  assert.deepEqual(result, { events: 18, lastSeq: 21, stopped: false });
  assert.deepEqual(store.reads, [[4, 5], [9, 5], [14, 5], [19, 3]]);
});

test('maxEvents bounds the export; afterSeq past the end exports nothing', async () => {
  const seen: number[] = [];
  assert.deepEqual(await exportRows(storeOf(range(1, 10)), { afterSeq: 0, maxEvents: 4, pageSize: 3 }, async (r) => void seen.push(r.seq)), { events: 4, lastSeq: 4, stopped: false });
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(await exportRows(storeOf(range(1, 3)), { afterSeq: 9, upToSeq: 3 }, () => Promise.reject(new Error('no'))), { events: 0, lastSeq: 9, stopped: false });
});

test('a missing sequence number stops the export (SLUICE_AUDIT_VERIFY_FAILED) after the events before it', async () => {
  const seen: number[] = [];
  await assert.rejects(
    exportRows(storeOf([1, 2, 4, 5]), { afterSeq: 0 }, async (r) => void seen.push(r.seq)),
    (e) => isSluiceError(e, 'SLUICE_AUDIT_VERIFY_FAILED') && /audit event 3 is missing \(the next stored one is 4\)/.test(e.message),
  );
  assert.deepEqual(seen, [1, 2]);
});

test('follow: picks up rows appended later; the signal stops it while it waits', async () => {
  const store = storeOf(range(1, 2));
  const controller = new AbortController();
  const seen: number[] = [];
  const running = exportRows(store, { afterSeq: 0, follow: true, pollIntervalMs: 20, signal: controller.signal }, async (r) => {
    seen.push(r.seq);
  });
  await new Promise((r) => setTimeout(r, 60));
  store.rows.push(row(3), row(4));
  for (let i = 0; i < 100 && seen.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
  const abortedAt = Date.now();
  controller.abort();
  const result = await running;
  assert.ok(Date.now() - abortedAt < 100, 'stopped without waiting out the interval');
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(result, { events: 4, lastSeq: 4, stopped: true });
});

test('an abort takes effect between events, never in the middle of one', async () => {
  const controller = new AbortController();
  const seen: number[] = [];
  const result = await exportRows(storeOf(range(1, 10)), { afterSeq: 0, follow: true, signal: controller.signal }, async (r) => {
    if (r.seq === 3) controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 5));
    seen.push(r.seq);
  });
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(result, { events: 3, lastSeq: 3, stopped: true });
});
