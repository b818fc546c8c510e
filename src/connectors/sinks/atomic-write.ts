// Writes a file so that it appears whole or not at all: temp file, fsync, rename, fsync the directory.
import { open, rename, unlink, readdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

const TEMP_SUFFIX = '.tmp';

/** The temp name next to `path`: hidden, unique per write, recognisable for clean-up. */
function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` atomically. A crash at any point leaves either the old file or the new one under
 * `path`, never a partial one; a temp file may remain, which `removeStaleTemps` clears.
 */
export async function writeFileAtomic(path: string, data: Buffer | string, mode = 0o600): Promise<void> {
  await writeStreamAtomic(path, [typeof data === 'string' ? Buffer.from(data, 'utf8') : data], mode);
}

/** Pieces (and bytes) gathered into one writev: below the usual IOV_MAX of 1024. */
const WRITEV_PIECES = 256;
const WRITEV_BYTES = 4 * 1024 * 1024;

/** Writes every byte of `pieces` at the current position; writev may write less than asked, then the rest follows. */
async function writeAll(handle: FileHandle, pieces: Uint8Array[]): Promise<void> {
  if (pieces.length === 0) return;
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const { bytesWritten } = await handle.writev(pieces);
  if (bytesWritten === total) return;
  // A short write: finish piece by piece from where it stopped (writeFile writes each whole).
  let skip = bytesWritten;
  for (const piece of pieces) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    await handle.writeFile(piece.subarray(skip));
    skip = 0;
  }
}

/** Removes temp files a crashed writer left in `dir` (only those of objects named `namePrefix…`). */
export async function removeStaleTemps(dir: string, namePrefix = ''): Promise<number> {
  let removed = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(`.${namePrefix}`) && name.endsWith(TEMP_SUFFIX)) {
      await unlink(join(dir, name)).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}

/** Like writeFileAtomic, for content that arrives in pieces (bounded memory for large objects). */
export async function writeStreamAtomic(path: string, pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, mode = 0o600): Promise<void> {
  const temp = tempNameFor(path);
  const handle = await open(temp, 'wx', mode);
  try {
    // Pieces are gathered and written with writev: a 64 KiB chunk arrives as ciphertext and tag, and one
    // thread-pool round trip per piece cost more than the encryption.
    let group: Uint8Array[] = [];
    let groupBytes = 0;
    for await (const piece of pieces) {
      group.push(piece);
      groupBytes += piece.length;
      if (group.length >= WRITEV_PIECES || groupBytes >= WRITEV_BYTES) {
        await writeAll(handle, group);
        group = [];
        groupBytes = 0;
      }
    }
    await writeAll(handle, group);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  await fsyncDir(dirname(path));
}
