// Scans a folder (or one file) for literal credentials: every text file is read once and given to the secret
// scanner, and each match becomes a finding with its file (relative to the scanned root, `/`-separated), line
// and column, rule and fix. A finding never carries the value, nor a plain hash of it. What a team has accepted
// is set apart, not dropped: findings under an inline marker or named by fingerprint in the ignore file are
// suppressed, and paths named by a glob are not read.
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ioFailure } from '../../errors.ts';
import type { SecretFamily, SecretMatch } from './secret-match.ts';
import { scanSecrets } from './scan.ts';
import { lineStarts, lineText, positionAt } from './line-index.ts';
import { SECRET_FIX, secretMessage, secretRule } from './rule-catalogue.ts';
import { allowMarker } from './allow-marker.ts';
import type { AllowMarker } from './allow-marker.ts';
import type { PathGlob } from './glob.ts';
import type { GlobEntry, IgnoreEntry, IgnoreFile } from './ignore-file.ts';

/** Files larger than this are not read (reported as skipped): data dumps and build outputs, not config. */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
/** How much of a file is looked at for a NUL byte to call it binary (as git and grep do). */
const BINARY_SNIFF_BYTES = 8192;
/** Folders never entered: version-control metadata and installed dependencies. */
const SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['.git', '.hg', '.svn', 'node_modules']);

/**
 * Lockfiles of package managers. They are scanned (registry credentials leak into `resolved` URLs and auth
 * entries), but nothing inside one of their digests (`sha512-…`, `h1:…`, hex checksums) is ever reported.
 */
const LOCKFILES: ReadonlySet<string> = new Set([
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'deno.lock', 'Cargo.lock', 'go.sum', 'poetry.lock', 'Pipfile.lock', 'pdm.lock', 'uv.lock',
  'composer.lock', 'Gemfile.lock', 'mix.lock', 'pubspec.lock', 'Podfile.lock', 'Package.resolved', 'flake.lock', 'packages.lock.json', 'gradle.lockfile', 'conan.lock',
]);

export function isLockfile(name: string): boolean {
  return LOCKFILES.has(basename(name));
}

/** One literal credential. Lines and columns are 1-based (UTF-16 code units); `endColumn` is exclusive, as in SARIF. */
export interface SecretFinding {
  /** Relative to the scanned root, with `/` separators. */
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  ruleId: string;
  family: SecretFamily;
  message: string;
  fix: string;
  /** How sure the rule is, in (0, 1]. */
  confidence: number;
  /**
   * Stable across runs and line moves, so code-scanning tools match re-runs: a hash of the rule, the file and the
   * finding's line with every secret on it cut out, then `:n` for the n-th such finding in the file.
   */
  fingerprint: string;
  /** Set when the finding was accepted; such a finding is in FolderScan.suppressed, not in findings. */
  suppression?: Suppression;
}

/**
 * Why a finding was accepted (SARIF 2.1.0 §3.35.3, suppression.kind): a marker in the file itself, or an entry
 * of the ignore file, with the comment beside it as the justification.
 */
export type Suppression =
  | { kind: 'inSource'; marker: AllowMarker }
  | { kind: 'external'; ignoreFile: string; line: number; justification?: string };

export interface SuppressedFinding extends SecretFinding {
  suppression: Suppression;
}

/** A file or folder not read because a glob names it (a folder is not entered at all). */
export interface ExcludedPath {
  file: string;
  folder: boolean;
  glob: string;
  /** `--exclude`, or the ignore file's name. */
  by: string;
}

/** An ignore-file entry that matched nothing in this scan: the finding was fixed or the path is gone. */
export interface StaleEntry {
  ignoreFile: string;
  line: number;
  entry: string;
  kind: IgnoreEntry['kind'];
}

export type SkipReason = 'binary' | 'too-large' | 'outside-root' | 'unreadable';

export interface SkippedFile {
  file: string;
  reason: SkipReason;
}

export interface FolderScan {
  /** The scanned folder (for a single file, its folder), absolute. */
  root: string;
  /** How many files were read and scanned. */
  scanned: number;
  /** The findings not accepted: any one of them fails the check. */
  findings: SecretFinding[];
  suppressed: SuppressedFinding[];
  excluded: ExcludedPath[];
  stale: StaleEntry[];
  skipped: SkippedFile[];
  /** The ignore file used, if any. */
  ignoreFile?: { name: string; path: string };
}

export interface ScanFilesOptions {
  maxFileBytes?: number;
  /** Paths not to read (`--exclude`). */
  exclude?: readonly PathGlob[];
  /** Accepted fingerprints and paths not to read. */
  ignore?: IgnoreFile;
}

/** The digests lockfiles pin packages with: SRI (npm, yarn, pnpm, bun), Go's h1:, prefixed and bare hex. */
const DIGEST = /^(?:(?:sha1|sha256|sha384|sha512)-[A-Za-z0-9+/]{20,}={0,2}|h1:[A-Za-z0-9+/]{20,}={0,2}|(?:sha1|sha224|sha256|sha384|sha512|md5|blake2b|blake3):[0-9a-fA-F]{32,128}|[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128})$/;
const MAX_DIGEST = 1024;

/** Characters that end a word around a match when looking for the digest it may sit in. */
function endsDigestWord(c: number): boolean {
  return c <= 32 || c === 34 || c === 39 || c === 44 || c === 35 || c === 61 || c === 123 || c === 125 || c === 91 || c === 93 || c === 40 || c === 41 || c === 60 || c === 62 || c === 59;
}

/** Whether the match lies inside a digest (the word around it, `=` padding aside, is one). */
export function withinDigest(text: string, m: Pick<SecretMatch, 'start' | 'end'>): boolean {
  let s = m.start;
  while (s > 0 && m.start - s < MAX_DIGEST && !endsDigestWord(text.charCodeAt(s - 1))) s--;
  let e = m.end;
  while (e < text.length && e - m.end < MAX_DIGEST && !endsDigestWord(text.charCodeAt(e))) e++;
  return DIGEST.test(text.slice(s, e));
}

/** The line of a finding with every match on it cut out and blanks folded: what its fingerprint hashes. */
function lineContext(text: string, starts: readonly number[], line: number, matches: readonly SecretMatch[]): string {
  const from = starts[line - 1]!;
  const content = lineText(text, starts, line);
  const to = from + content.length;
  let out = '';
  let at = from;
  for (const m of matches) {
    if (m.end <= from || m.start >= to) continue;
    if (m.start > at) out += text.slice(at, m.start);
    at = Math.max(at, m.end);
  }
  if (at < to) out += text.slice(at, to);
  return out.replace(/\s+/g, ' ').trim();
}

/**
 * Finds the literal credentials in one file's text. `file` is how findings name it; in a lockfile, matches inside
 * package digests are dropped. A finding under a `sluice:allow` marker carries it as its suppression.
 */
export function scanText(text: string, file: string, options: { lockfile?: boolean } = {}): SecretFinding[] {
  let matches = scanSecrets(text);
  if (options.lockfile === true) matches = matches.filter((m) => !withinDigest(text, m));
  if (matches.length === 0) return [];
  const starts = lineStarts(text);
  const markers = text.includes('sluice:allow');
  const contexts = new Map<number, string>();
  const ordinals = new Map<string, number>();
  return matches.map((m) => {
    const start = positionAt(starts, m.start);
    const end = positionAt(starts, m.end);
    let context = contexts.get(start.line);
    if (context === undefined) {
      // Matches are sorted and disjoint, so those on this line are found by scanning near it.
      context = lineContext(text, starts, start.line, matches);
      contexts.set(start.line, context);
    }
    const hash = createHash('sha256').update(`${m.rule}\0${file}\0${context}`).digest('hex').slice(0, 16);
    const n = (ordinals.get(hash) ?? 0) + 1;
    ordinals.set(hash, n);
    const marker = markers ? allowMarker(text, starts, start.line) : undefined;
    return {
      file,
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
      ruleId: m.rule,
      family: secretRule(m.rule).family,
      message: secretMessage(m.rule),
      fix: SECRET_FIX,
      confidence: Math.round(m.confidence * 100) / 100,
      fingerprint: `${hash}:${n}`,
      ...(marker === undefined ? {} : { suppression: { kind: 'inSource', marker } satisfies Suppression }),
    };
  });
}

/** A glob that excludes paths, where it came from, and its ignore-file entry (to tell whether it matched). */
interface Exclusion {
  glob: PathGlob;
  by: string;
  entry?: GlobEntry;
}

interface Walk {
  root: string;
  maxFileBytes: number;
  exclusions: Exclusion[];
  scanned: number;
  findings: SecretFinding[];
  excluded: ExcludedPath[];
  skipped: SkippedFile[];
  /** The ignore-file entries that matched something. */
  used: Set<IgnoreEntry>;
}

/** Whether a glob names this path; every glob that does counts as used, not only the first. */
function excludes(rel: string, folder: boolean, walk: Walk): boolean {
  let first: Exclusion | undefined;
  for (const exclusion of walk.exclusions) {
    if (!exclusion.glob.matches(rel, folder)) continue;
    first ??= exclusion;
    if (exclusion.entry !== undefined) walk.used.add(exclusion.entry);
  }
  if (first !== undefined) walk.excluded.push({ file: rel, folder, glob: first.glob.glob, by: first.by });
  return first !== undefined;
}

/** UTF-8, with a byte-order mark dropped (so columns match what editors show); invalid bytes become U+FFFD. */
const decoder = new TextDecoder('utf-8');

async function scanFile(path: string, rel: string, walk: Walk): Promise<void> {
  if (excludes(rel, false, walk)) return;
  let bytes: Buffer;
  try {
    if ((await stat(path)).size > walk.maxFileBytes) {
      walk.skipped.push({ file: rel, reason: 'too-large' });
      return;
    }
    bytes = await readFile(path);
  } catch {
    walk.skipped.push({ file: rel, reason: 'unreadable' });
    return;
  }
  if (bytes.length > walk.maxFileBytes) {
    walk.skipped.push({ file: rel, reason: 'too-large' });
    return;
  }
  if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
    walk.skipped.push({ file: rel, reason: 'binary' });
    return;
  }
  walk.scanned++;
  walk.findings.push(...scanText(decoder.decode(bytes), rel, { lockfile: isLockfile(rel) }));
}

/** Whether `target` (real) is the root or inside it. */
function insideRoot(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || !(rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel));
}

/**
 * A symbolic link is never followed. One that leads inside the root needs no following: its target is scanned at
 * its own path (code-scanning tools cannot show results on a link anyway). One that leads out is reported.
 */
async function onSymlink(path: string, rel: string, walk: Walk): Promise<void> {
  let target: string;
  try {
    target = await realpath(path);
  } catch {
    return; // a dangling link: nothing to read
  }
  if (!insideRoot(walk.root, target)) walk.skipped.push({ file: rel, reason: 'outside-root' });
}

async function walkFolder(dir: string, rel: string, walk: Walk): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    walk.skipped.push({ file: rel === '' ? '.' : rel, reason: 'unreadable' });
    return;
  }
  entries.sort((a, b) => compare(a.name, b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const entryRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isSymbolicLink()) await onSymlink(path, entryRel, walk);
    else if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name) && !excludes(entryRel, true, walk)) await walkFolder(path, entryRel, walk);
    } else if (entry.isFile()) await scanFile(path, entryRel, walk);
    // FIFOs, sockets and devices are not files to read (opening a FIFO would block).
  }
}

/** Code-unit order: the same on every machine and locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byPlace(a: SecretFinding, b: SecretFinding): number {
  return compare(a.file, b.file) || a.line - b.line || a.column - b.column || compare(a.ruleId, b.ruleId);
}

/**
 * Sets apart the findings accepted inline or by a fingerprint of the ignore file (an inline marker wins, so a
 * fingerprint it makes redundant is reported stale), and lists the ignore-file entries that matched nothing.
 */
function accept(all: readonly SecretFinding[], walk: Walk, ignore: IgnoreFile | undefined): Pick<FolderScan, 'findings' | 'suppressed' | 'stale'> {
  const fingerprints = new Map<string, IgnoreEntry>();
  for (const entry of ignore?.entries ?? []) if (entry.kind === 'fingerprint') fingerprints.set(entry.text, entry);
  const findings: SecretFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of all) {
    const entry = fingerprints.get(finding.fingerprint);
    if (finding.suppression !== undefined) suppressed.push({ ...finding, suppression: finding.suppression });
    else if (entry !== undefined && ignore !== undefined) {
      walk.used.add(entry);
      const suppression: Suppression = { kind: 'external', ignoreFile: ignore.name, line: entry.line, ...(entry.justification === undefined ? {} : { justification: entry.justification }) };
      suppressed.push({ ...finding, suppression });
    } else findings.push(finding);
  }
  if (ignore === undefined) return { findings, suppressed, stale: [] };
  const stale = ignore.entries.filter((e) => !walk.used.has(e)).map((e) => ({ ignoreFile: ignore.name, line: e.line, entry: e.text, kind: e.kind }));
  return { findings, suppressed, stale };
}

/**
 * Scans `path` (a folder, walked recursively, or one file) for literal credentials. Findings come sorted by file,
 * line and column. Globs (`exclude`, and those of the ignore file) are matched against paths relative to the
 * scanned folder. Throws SLUICE_IO_FAILED when `path` itself cannot be read.
 */
export async function scanFiles(path: string, options: ScanFilesOptions = {}): Promise<FolderScan> {
  const absolute = resolve(path);
  let root: string;
  let isFolder: boolean;
  try {
    isFolder = (await stat(absolute)).isDirectory();
    root = isFolder ? await realpath(absolute) : dirname(absolute);
  } catch (error) {
    throw ioFailure('SLUICE_IO_FAILED', `cannot scan ${path}`, error);
  }
  const { ignore } = options;
  const exclusions: Exclusion[] = (options.exclude ?? []).map((glob) => ({ glob, by: '--exclude' }));
  if (ignore !== undefined) for (const entry of ignore.entries) if (entry.kind === 'glob') exclusions.push({ glob: entry.glob, by: ignore.name, entry });
  const walk: Walk = { root, maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, exclusions, scanned: 0, findings: [], excluded: [], skipped: [], used: new Set() };
  if (isFolder) await walkFolder(root, '', walk);
  else await scanFile(absolute, basename(absolute), walk);
  walk.findings.sort(byPlace);
  walk.skipped.sort((a, b) => compare(a.file, b.file));
  walk.excluded.sort((a, b) => compare(a.file, b.file));
  return {
    root,
    scanned: walk.scanned,
    ...accept(walk.findings, walk, ignore),
    excluded: walk.excluded,
    skipped: walk.skipped,
    ...(ignore === undefined ? {} : { ignoreFile: { name: ignore.name, path: ignore.path } }),
  };
}
