// Inline markers that accept a finding where it is, as gitleaks' `gitleaks:allow` does: `sluice:allow` anywhere on
// the finding's first line, in whatever comment syntax the file has, or `sluice:allow-next-line` on the line
// directly above it (for lines that cannot end in a comment, such as a YAML block scalar or a PEM block).
import { lineText } from './line-index.ts';

export type AllowMarker = 'sluice:allow' | 'sluice:allow-next-line';

// A marker is a word of its own: `sluice:allowed` or `sluice:allow-list` is not one.
const SAME_LINE = /(?<![\w-])sluice:allow(?![\w-])/;
const NEXT_LINE = /(?<![\w-])sluice:allow-next-line(?![\w-])/;

/** The marker that accepts a finding starting on 1-based `line`, if any. `starts` are the text's line starts. */
export function allowMarker(text: string, starts: readonly number[], line: number): AllowMarker | undefined {
  if (SAME_LINE.test(lineText(text, starts, line))) return 'sluice:allow';
  if (line > 1 && NEXT_LINE.test(lineText(text, starts, line - 1))) return 'sluice:allow-next-line';
  return undefined;
}
