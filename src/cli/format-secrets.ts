// Human text for a secret scan: one line per finding (`file:line:column  rule  message  fix: …  [fingerprint …]`,
// the fingerprint being what an ignore file accepts it by), the files that could hide a credential but were not
// read, the ignore-file entries that matched nothing, and a count of what was found, accepted and excluded.
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
 * `12 suppressed by .sluiceignore, 2 by sluice:allow` (the ignore file first; both markers count as sluice:allow),
 * or '' when none were.
 */
function suppressedText(scan: FolderScan): string {
  const counts = new Map<string, number>();
  for (const { suppression: s } of scan.suppressed) {
    const by = s.kind === 'inSource' ? 'sluice:allow' : s.ignoreFile;
    counts.set(by, (counts.get(by) ?? 0) + 1);
  }
  const order = [...counts].sort(([a], [b]) => Number(a === 'sluice:allow') - Number(b === 'sluice:allow'));
  return order.map(([by, n], i) => `${n} ${i === 0 ? 'suppressed ' : ''}by ${by}`).join(', ');
}

/** `2 folders and 3 files excluded`, or '' when nothing was. */
function excludedText(scan: FolderScan): string {
  const folders = scan.excluded.filter((e) => e.folder).length;
  const files = scan.excluded.length - folders;
  const parts = [...(folders > 0 ? [plural(folders, 'folder')] : []), ...(files > 0 ? [plural(files, 'file')] : [])];
  return parts.length === 0 ? '' : `${parts.join(' and ')} excluded`;
}

/**
 * The scan as text. Paths are shown as `shownRoot/file` (the folder as the user named it), so they can be
 * opened from where the command ran. Accepted findings are counted, not listed.
 */
export function formatSecretScan(scan: FolderScan, shownRoot: string): string {
  const show = (file: string): string => posix.join(shownRoot.split('\\').join('/'), file);
  const lines = scan.findings.map((f) => `${show(f.file)}:${f.line}:${f.column}  ${f.ruleId}  ${f.message}  fix: ${f.fix}  [fingerprint ${f.fingerprint}]`);
  // A binary file is expected and holds no text to scan; the other skips are told one by one.
  for (const s of scan.skipped) if (s.reason !== 'binary') lines.push(`${show(s.file)}: not scanned: ${SKIP_TEXT[s.reason]}`);
  for (const s of scan.stale) {
    const what = s.kind === 'fingerprint' ? 'no finding has this fingerprint' : 'this glob matched no path';
    lines.push(`${s.ignoreFile}:${s.line}: note: stale entry '${s.entry}': ${what}; remove it`);
  }
  const files = new Set(scan.findings.map((f) => f.file)).size;
  const counts = new Map<SkipReason, number>();
  for (const s of scan.skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  const skipped = [...counts].map(([reason, n]) => `${n} ${SKIP_TEXT[reason]}`).join(', ');
  const found = scan.findings.length === 0 ? 'no secrets found' : `${plural(scan.findings.length, 'secret')} found in ${plural(files, 'file')}`;
  const suppressed = suppressedText(scan);
  const excluded = excludedText(scan);
  const scanned = `${plural(scan.scanned, 'file')} scanned${excluded === '' ? '' : `, ${excluded}`}${skipped === '' ? '' : `; skipped: ${skipped}`}`;
  lines.push(`${found}${suppressed === '' ? '' : `, ${suppressed}`} (${scanned})`);
  return lines.join('\n');
}
