// Rewrap: moves an object's data key to the primary version of its key without re-encrypting the payload.
// Only the key block changes; the payload is copied byte for byte, and the new file replaces the old atomically.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { writeStreamAtomic } from '../../connectors/sinks/atomic-write.ts';
import type { KeySource } from './envelope.ts';
import { unwrapDataKey, wrapDataKeyFor } from './envelope.ts';
import { encodeKeyBlock, parseHeader } from './object-format.ts';

/** The longest possible header: binding (9 + 16 KiB) + key block (1 + 255 + 4 + 2 + 4 KiB). */
const MAX_HEADER_BYTES = 9 + 16 * 1024 + 1 + 255 + 6 + 4096;

/**
 * Rewraps the object at `path` under the primary version of its key. Returns the versions it moved between,
 * or undefined when it already was under the primary version.
 */
export async function rewrapObjectFile(path: string, keys: KeySource): Promise<{ from: number; to: number } | undefined> {
  const handle = await open(path, 'r');
  let prefix: Buffer;
  try {
    const buffer = Buffer.alloc(MAX_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_HEADER_BYTES, 0);
    prefix = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const header = parseHeader(prefix, path, true);
  if (!header) return undefined;
  const primary = await keys.primary(header.keyId);
  if (header.keyVersion === primary.version) return undefined;
  const dataKey = await unwrapDataKey(header, keys, path);
  let keyBlock: Buffer;
  try {
    keyBlock = encodeKeyBlock(header.keyId, primary.version, wrapDataKeyFor(primary.material, dataKey, header.keyId, primary.version, header.binding));
  } finally {
    dataKey.fill(0);
  }
  async function* rewritten(): AsyncGenerator<Uint8Array> {
    yield header!.binding;
    yield keyBlock;
    for await (const piece of createReadStream(path, { start: header!.payloadOffset })) yield piece as Buffer;
  }
  await writeStreamAtomic(path, rewritten());
  return { from: header.keyVersion, to: primary.version };
}
