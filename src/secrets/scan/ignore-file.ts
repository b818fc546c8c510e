// The ignore file of a secret scan (`.sluiceignore`): the findings a team has accepted, by fingerprint, and the
// paths it does not scan, by glob, as gitleaks' `.gitleaksignore` and `.gitignore` are written. One entry a line;
// `#` starts a comment, at the start of a line or after a blank; blank lines are ignored.
import { readFile } from 'node:fs/promises';
import { ioFailure, SluiceError } from '../../errors.ts';
import { GlobError, pathGlob } from './glob.ts';
import type { PathGlob } from './glob.ts';
import { scanSecrets } from './scan.ts';

/** The default ignore file, looked for in the scanned folder. */
export const IGNORE_FILE = '.sluiceignore';

/** A finding's fingerprint as scanText makes it: 16 hex digits of a hash, then `:n`. */
export const FINGERPRINT = /^[0-9a-f]{16}:[1-9][0-9]*$/;

interface EntryBase {
  /** 1-based line in the ignore file. */
  line: number;
  /** The entry as written, comment cut off. */
  text: string;
  /** The comment after the entry on its line, if any: why it was accepted. */
  justification?: string;
}

export interface FingerprintEntry extends EntryBase {
  kind: 'fingerprint';
}

export interface GlobEntry extends EntryBase {
  kind: 'glob';
  glob: PathGlob;
}

export type IgnoreEntry = FingerprintEntry | GlobEntry;

export interface IgnoreFile {
  /** How outputs name the file: as the user gave it, or `.sluiceignore`. */
  name: string;
  /** Absolute. */
  path: string;
  entries: IgnoreEntry[];
}

/** The entry and the comment after it: a `#` at the start or after a blank starts the comment. */
function splitComment(line: string): { entry: string; comment: string | undefined } {
  const at = line.search(/(?:^|\s)#/);
  if (at < 0) return { entry: line.trim(), comment: undefined };
  const comment = line.slice(line.indexOf('#', at) + 1).trim();
  return { entry: line.slice(0, at).trim(), comment: comment === '' ? undefined : comment };
}

/**
 * Parses an ignore file's text. Every line that cannot be used is reported at once, as `name:line: problem`, in a
 * SLUICE_USAGE error. A comment that itself looks like a credential is not kept as a justification, so it never
 * reaches an output.
 */
export function parseIgnoreFile(text: string, name: string, path: string): IgnoreFile {
  const entries: IgnoreEntry[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const { entry, comment } = splitComment(raw);
    if (entry === '') return;
    const justification = comment !== undefined && scanSecrets(comment).length === 0 ? comment : undefined;
    const base = { line, text: entry, ...(justification === undefined ? {} : { justification }) };
    if (FINGERPRINT.test(entry)) {
      entries.push({ ...base, kind: 'fingerprint' });
      return;
    }
    try {
      entries.push({ ...base, kind: 'glob', glob: pathGlob(entry) });
    } catch (error) {
      if (!(error instanceof GlobError)) throw error;
      problems.push(`${name}:${line}: '${entry}' cannot be used: ${error.message}`);
    }
  });
  if (problems.length > 0) {
    throw new SluiceError('SLUICE_USAGE', `${name} has ${problems.length === 1 ? 'a line' : `${problems.length} lines`} that cannot be used; fix or remove ${problems.length === 1 ? 'it' : 'them'}`, { details: problems });
  }
  return { name, path, entries };
}

/** Reads and parses an ignore file. Throws SLUICE_IO_FAILED when it cannot be read, SLUICE_USAGE when a line is bad. */
export async function readIgnoreFile(path: string, name: string): Promise<IgnoreFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw ioFailure('SLUICE_IO_FAILED', `cannot read the ignore file ${name}`, error);
  }
  return parseIgnoreFile(text, name, path);
}
