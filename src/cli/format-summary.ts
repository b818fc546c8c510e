// Human text for the end-of-run summary.
import type { RunRecord } from '../store/state-store.ts';

function n(value: number): string {
  return value.toLocaleString('en-US');
}

/** What a summary shows of a run: a record of the state store, or a run as the API answers it. */
export type RunSummary = Pick<RunRecord, 'id' | 'pipeline' | 'status' | 'attempts' | 'totals' | 'error'>;

export function throughput(run: Pick<RunRecord, 'totals'>): number {
  return run.totals.activeMs > 0 ? (run.totals.recordsIn / run.totals.activeMs) * 1000 : 0;
}

export function formatSummary(run: RunSummary, extra: { outputs?: { sink: string; location: string }[]; quarantineDir?: string; resumedAfterBatch?: number; pruned?: number } = {}): string {
  const t = run.totals;
  const lines = [
    `run ${run.id} of ${run.pipeline}: ${run.status}${run.attempts > 1 ? ` after ${run.attempts} attempts` : ''}`,
  ];
  if (extra.resumedAfterBatch) lines.push(`  resumed after batch ${n(extra.resumedAfterBatch)} (committed batches were kept)`);
  lines.push(`  records in        ${n(t.recordsIn)}`);
  for (const [sink, count] of Object.entries(t.recordsOut)) lines.push(`  records out       ${n(count)}  -> ${sink}`);
  lines.push(`  quarantined       ${n(t.quarantined)}${t.quarantined > 0 && extra.quarantineDir ? `  (reasons in ${extra.quarantineDir})` : ''}`);
  const protectedTotal = Object.values(t.protectedFields).reduce((a, b) => a + b, 0);
  lines.push(`  protected values  ${n(protectedTotal)}${protectedTotal > 0 ? `  (${Object.entries(t.protectedFields).map(([k, v]) => `${k} ${n(v)}`).join(', ')})` : ''}`);
  const found = Object.entries(t.piiFound).sort(([a], [b]) => a.localeCompare(b));
  if (found.length > 0) lines.push(`  PII found         ${found.map(([type, count]) => `${type} ${n(count)}`).join(', ')}`);
  if (t.unknownFieldsDropped > 0) lines.push(`  undeclared fields dropped  ${n(t.unknownFieldsDropped)}`);
  lines.push(`  batches           ${n(t.batches)}`);
  lines.push(`  duration          ${(t.activeMs / 1000).toFixed(2)} s  (${n(Math.round(throughput(run)))} records/s)`);
  for (const output of extra.outputs ?? []) lines.push(`  output            ${output.sink}: ${output.location}`);
  if (extra.pruned) lines.push(`  retention         removed the outputs of ${n(extra.pruned)} expired run folder(s)`);
  if (run.error) lines.push(`  error             ${run.error}`);
  return lines.join('\n');
}

/** The table of `sluice runs`: one line a run, newest first as given. */
export function formatRunTable(runs: readonly RunSummary[]): string {
  const lines = ['RUN                       PIPELINE            STATUS     IN          OUT         QUARANTINED  RECORDS/S'];
  for (const run of runs) {
    const out = Math.max(0, ...Object.values(run.totals.recordsOut));
    lines.push(`${run.id.padEnd(25)} ${run.pipeline.padEnd(19)} ${run.status.padEnd(10)} ${String(run.totals.recordsIn).padEnd(11)} ${String(out).padEnd(11)} ${String(run.totals.quarantined).padEnd(12)} ${Math.round(throughput(run))}`);
  }
  return lines.join('\n');
}
