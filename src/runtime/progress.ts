// Progress of a run: a bar with rate and ETA on a terminal, a plain line every few seconds otherwise.

export interface ProgressSnapshot {
  records: number;
  /** Bytes of input read and, when known, in all. */
  done: number;
  total?: number;
}

export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void;
  finish(): void;
}

export const silentProgress: ProgressReporter = { update: () => undefined, finish: () => undefined };

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function line(snapshot: ProgressSnapshot, startedAt: number, barWidth: number): string {
  const elapsed = (Date.now() - startedAt) / 1000;
  const rate = elapsed > 0 ? snapshot.records / elapsed : 0;
  const fraction = snapshot.total ? Math.min(1, snapshot.done / snapshot.total) : undefined;
  const eta = fraction !== undefined && fraction > 0 ? (elapsed / fraction) * (1 - fraction) : NaN;
  const rateText = `${Math.round(rate).toLocaleString('en-US')} records/s`;
  const count = `${snapshot.records.toLocaleString('en-US')} records`;
  if (fraction === undefined) return `${count}  ${rateText}`;
  const bar = barWidth > 0 ? `[${'#'.repeat(Math.round(fraction * barWidth)).padEnd(barWidth, '.')}] ` : '';
  return `${bar}${(fraction * 100).toFixed(1).padStart(5)}%  ${count}  ${rateText}  ETA ${formatDuration(eta)}`;
}

/** A bar redrawn in place on a terminal, at most ten times a second. */
export function terminalProgress(stream: NodeJS.WriteStream): ProgressReporter {
  const startedAt = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(snapshot) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      drawn = true;
      stream.write(`\r\x1b[2K${line(snapshot, startedAt, 30)}`);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

/** One plain line every `everyMs` (default 5 s), for logs and CI. */
export function plainProgress(stream: NodeJS.WritableStream, everyMs = 5000): ProgressReporter {
  const startedAt = Date.now();
  let last = startedAt;
  return {
    update(snapshot) {
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      stream.write(`progress: ${line(snapshot, startedAt, 0)}\n`);
    },
    finish: () => undefined,
  };
}
