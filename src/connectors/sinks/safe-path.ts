// Object names that cannot escape a sink's directory: checked as text, then against the real path on disk.
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { SluiceError } from '../../errors.ts';

const MAX_SEGMENT_BYTES = 255;

function escape(name: string, why: string): SluiceError {
  return new SluiceError('SLUICE_SINK_PATH_ESCAPE', `object name ${JSON.stringify(name)} is refused: ${why}`);
}

/**
 * Checks an object name (relative, '/'-separated) and returns its path under `root`. Refuses absolute names,
 * '..' and '.' segments, backslashes, NUL and control characters, and segments over 255 bytes.
 */
export function objectPath(root: string, name: string): string {
  if (name.length === 0) throw escape(name, 'it is empty');
  if (isAbsolute(name) || name.startsWith('/')) throw escape(name, 'it is absolute');
  if (name.includes('\\')) throw escape(name, 'it contains a backslash');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw escape(name, 'it contains a control character');
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw escape(name, `it has a '${segment || '(empty)'}' segment`);
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw escape(name, 'a segment is longer than 255 bytes');
  }
  const full = resolve(root, name);
  const rel = relative(resolve(root), full);
  if (rel.startsWith('..') || isAbsolute(rel)) throw escape(name, 'it resolves outside the sink directory');
  return full;
}

/** Checks that `dir` (created already) really lies inside `root`, following symlinks planted in between. */
export async function assertInside(root: string, dir: string): Promise<void> {
  const [realRoot, realDir] = await Promise.all([realpath(root), realpath(dir)]);
  if (realDir !== realRoot && !realDir.startsWith(realRoot + sep)) {
    throw new SluiceError('SLUICE_SINK_PATH_ESCAPE', `${dir} resolves to ${realDir}, outside the sink directory ${realRoot} (a symbolic link?); remove the link`);
  }
}


/**
 * Creates `name` (a checked object name of a folder) under `root` one segment at a time, refusing any segment
 * that is a symbolic link, so nothing is ever created outside the root through a planted link.
 */
export async function mkdirInside(root: string, name: string): Promise<string> {
  let current = resolve(root);
  for (const segment of objectPath(root, name).slice(current.length + 1).split(sep)) {
    current = resolve(current, segment);
    const info = await lstat(current).catch(() => undefined);
    if (info?.isSymbolicLink()) {
      throw new SluiceError('SLUICE_SINK_PATH_ESCAPE', `${current} is a symbolic link; sinks do not follow links inside their directory. Remove it`);
    }
    if (!info) await mkdir(current, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    else if (!info.isDirectory()) throw new SluiceError('SLUICE_SINK_PATH_ESCAPE', `${current} exists and is not a folder; move it away`);
  }
  await assertInside(root, current);
  return current;
}
