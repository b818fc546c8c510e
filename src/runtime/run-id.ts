// Run ids: sortable by start time, unique enough for one state store, safe as a path segment.
import { randomBytes } from 'node:crypto';
import { parseDuration } from '../spec/duration.ts';

export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** When a run started, read from its id; undefined for an id not made by newRunId. */
export function runIdTime(runId: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]+$/.exec(runId);
  if (!match) return undefined;
  const [y = 0, mo = 1, d, h, mi, s] = match.slice(1).map(Number);
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** Run folders under `dir` whose run started before `before`, except `keep`. */
export function expiredRunIds(names: readonly string[], before: Date, keep: string): string[] {
  return names.filter((name) => {
    const started = runIdTime(name);
    return name !== keep && started !== undefined && started < before;
  });
}

/** Runs that started before this are past the spec's `retention` (undefined: a retention that does not parse). */
export function retentionCutoff(retention: string, now = Date.now()): Date | undefined {
  const keepMs = parseDuration(retention);
  return keepMs === undefined ? undefined : new Date(now - keepMs);
}
