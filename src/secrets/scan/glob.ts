// Path globs for excluding files from a secret scan, as `.gitignore` and `.sluiceignore` users write them: `*`,
// `?`, `[a-z]`, `[!a]`, `{a,b}` and a `**` segment, matched against a `/`-separated path relative to the scanned
// folder. Written here rather than taken from path.matchesGlob (experimental in Node 20, and it warns on stderr
// when first used) or a dependency; glob.test.ts checks it against path.matchesGlob on generated globs.

/** A brace group may not expand a glob to more than this many alternatives (`{a,b}{c,d}…` grows exponentially). */
export const MAX_ALTERNATIVES = 256;

/** Why a glob cannot be used. */
export class GlobError extends Error {
  override name = 'GlobError';
}

/** The next index after the `]` closing the class opened at `open`, or -1 when it is not closed. */
function classEnd(glob: string, open: number): number {
  let i = open + 1;
  if (glob[i] === '!' || glob[i] === '^') i++;
  if (glob[i] === ']') i++; // a `]` first in a class is a member, as in POSIX and minimatch
  for (; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === ']') return i + 1;
  }
  return -1;
}

/**
 * The alternatives a glob's brace groups stand for, as bash and minimatch expand them: `a{b,c{d,e}}` is `ab`,
 * `acd`, `ace`. A group without a top-level comma (`{x}`), or one never closed, is kept as written.
 */
export function expandBraces(glob: string): string[] {
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '\\') {
      i++;
      continue;
    }
    if (glob[i] !== '{') continue;
    let depth = 0;
    let end = -1;
    const commas: number[] = [];
    for (let j = i; j < glob.length && end < 0; j++) {
      const c = glob[j];
      if (c === '\\') j++;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) end = j;
      else if (c === ',' && depth === 1) commas.push(j);
    }
    if (end < 0 || commas.length === 0) continue;
    const cuts = [i, ...commas, end];
    const parts = cuts.slice(1).map((cut, k) => glob.slice(cuts[k]! + 1, cut));
    const out: string[] = [];
    for (const part of parts) {
      out.push(...expandBraces(glob.slice(0, i) + part + glob.slice(end + 1)));
      if (out.length > MAX_ALTERNATIVES) throw new GlobError(`its braces expand to more than ${MAX_ALTERNATIVES} alternatives`);
    }
    return out;
  }
  return [glob];
}

const escapeRegExp = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/** One `[…]` class as a regular-expression class that never matches `/`. */
function classToRegExp(body: string): string {
  let i = 0;
  let negated = false;
  if (body[0] === '!' || body[0] === '^') {
    negated = true;
    i = 1;
  }
  let out = '';
  for (; i < body.length; i++) {
    let c = body[i]!;
    const escaped = c === '\\' && i + 1 < body.length;
    if (escaped) c = body[++i]!;
    // A `-` between two members makes a range; first, last or escaped, it is itself.
    if (c === '-' && !escaped && out !== '' && i + 1 < body.length) out += '-';
    else out += c === '-' ? '\\-' : escapeRegExp(c);
  }
  return negated ? `[^/${out}]` : `(?!/)[${out}]`;
}

/** One path segment of a glob (no `/`, not `**`) as a regular expression. */
function segmentToRegExp(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\') out += escapeRegExp(segment[++i] ?? '\\');
    else if (c === '*') {
      while (segment[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = classEnd(segment, i);
      if (end < 0) out += '\\[';
      else {
        out += classToRegExp(segment.slice(i + 1, end - 1));
        i = end - 1;
      }
    } else out += escapeRegExp(c);
  }
  return out;
}

/** Splits on the `/`s that are not inside a `[…]` class. */
function segments(glob: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === '[') {
      const end = classEnd(glob, i);
      if (end > 0 && !glob.slice(i, end).includes('/')) i = end - 1;
    } else if (glob[i] === '/') {
      out.push(glob.slice(from, i));
      from = i + 1;
    }
  }
  out.push(glob.slice(from));
  return out;
}

/**
 * One brace-free glob as a regular-expression source. A `**` segment stands for any number of segments; a `.`
 * segment, or an empty one between two slashes, for none (as path.matchesGlob reads them inside a glob); a `..`
 * segment is refused, since paths never leave the folder.
 */
function alternativeToRegExp(glob: string): string {
  const named = segments(glob).filter((s, i, all) => s !== '.' && (s !== '' || i === 0 || i === all.length - 1));
  if (named.includes('..')) throw new GlobError('a `..` segment would lead out of the scanned folder');
  const parts = named.filter((s, i, all) => !(s === '**' && all[i - 1] === '**'));
  let out = '';
  parts.forEach((part, i) => {
    const first = i === 0;
    const afterGlobstar = !first && parts[i - 1] === '**';
    if (part === '**') {
      if (i === parts.length - 1) out += first ? '[^/]+(?:/[^/]+)*' : '(?:/[^/]+)+';
      else out += first ? '(?:[^/]+/)*' : '/(?:[^/]+/)*';
    } else out += (first || afterGlobstar ? '' : '/') + segmentToRegExp(part);
  });
  return out;
}

/**
 * A glob as a regular expression over whole `/`-separated paths. Unlike path.matchesGlob, `*`, `?` and `**`
 * also match names that start with a dot, as in `.gitignore`: `config/**` covers `config/.env`.
 */
export function globToRegExp(glob: string): RegExp {
  const sources = expandBraces(glob).map(alternativeToRegExp);
  try {
    return new RegExp(`^(?:${sources.join('|')})$`, 'u');
  } catch {
    throw new GlobError('it has a character class that cannot be read (a range out of order, such as [z-a]?)');
  }
}

/** A glob of an ignore file or `--exclude`, with the conventions of `.gitignore`. */
export interface PathGlob {
  /** As written. */
  glob: string;
  /** Whether it names this path (relative to the scanned folder, `/`-separated). */
  matches(path: string, isFolder: boolean): boolean;
}

/**
 * A path glob as `.gitignore` reads one: with no `/` but a trailing one it matches a name at any depth (`*.snap`
 * is `**\/*.snap`); a leading `/` (or `./`) anchors it to the scanned folder; a trailing `/` matches only folders. A folder
 * that matches is not entered, so `test/data` and `test/data/**` both exclude all of it. Throws GlobError.
 */
export function pathGlob(glob: string): PathGlob {
  let body = glob;
  const folderOnly = body.endsWith('/') && !body.endsWith('\\/');
  if (folderOnly) body = body.replace(/\/+$/, '');
  const anchored = body.startsWith('/') || body.startsWith('./');
  body = body.replace(/^(?:\.?\/+)+/, '');
  if (body === '') throw new GlobError('it names no path');
  if (body.startsWith('!')) throw new GlobError('negation (`!`) is not supported: list only what to exclude');
  const regExp = globToRegExp(anchored || segments(body).length > 1 ? body : `**/${body}`);
  return { glob, matches: (path, isFolder) => (isFolder || !folderOnly) && regExp.test(path) };
}
