// Human text for a secret scan: one line per finding (`file:line:column  rule  message  fix: …`), the files
// that could hide a credential but were not read, and a count.
import { posix } from 'node:path';
import type { FolderScan, SkipReason } from '../secrets/scan/scan-files.ts';

const SKIP_TEXT: Record<SkipReason, string> = {
  binary: 'binary',
  'too-large': 'larger than the size limit',
  'outside-root': 'a symbolic link leading out of the folder',
  unreadable: 'unreadable',
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The scan as text. Paths are shown as `shownRoot/file` (the folder as the user named it), so they can be
 * opened from where the command ran.
 */
export function formatSecretScan(scan: FolderScan, shownRoot: string): string {
  const show = (file: string): string => posix.join(shownRoot.split('\\').join('/'), file);
  const lines = scan.findings.map((f) => `${show(f.file)}:${f.line}:${f.column}  ${f.ruleId}  ${f.message}  fix: ${f.fix}`);
  // A binary file is expected and holds no text to scan; the other skips are told one by one.
  for (const s of scan.skipped) if (s.reason !== 'binary') lines.push(`${show(s.file)}: not scanned: ${SKIP_TEXT[s.reason]}`);
  const files = new Set(scan.findings.map((f) => f.file)).size;
  const counts = new Map<SkipReason, number>();
  for (const s of scan.skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  const skipped = [...counts].map(([reason, n]) => `${n} ${SKIP_TEXT[reason]}`).join(', ');
  const found = scan.findings.length === 0 ? 'no secrets found' : `${plural(scan.findings.length, 'secret')} found in ${plural(files, 'file')}`;
  lines.push(`${found} (${plural(scan.scanned, 'file')} scanned${skipped === '' ? '' : `; skipped: ${skipped}`})`);
  return lines.join('\n');
}
