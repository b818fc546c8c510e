// Rewrap: moves an object's data key to the primary version of its key without re-encrypting the payload.
// Only the key block changes; the payload is copied byte for byte, and the new file replaces the old atomically.
import { open } from 'node:fs/promises';
import { writeStreamAtomic } from '../../connectors/sinks/atomic-write.ts';
import type { KeySource } from './envelope.ts';
import { unwrapDataKey, wrapDataKeyFor } from './envelope.ts';
import { encodeKeyBlock, parseHeader } from './object-format.ts';
import { SluiceError } from '../../errors.ts';

/** The longest possible header: binding (10 + 16 KiB in version 2) + key block (1 + 255 + 4 + 2 + 4 KiB). */
const MAX_HEADER_BYTES = 10 + 16 * 1024 + 1 + 255 + 6 + 4096;

/**
 * Rewraps the object at `path` under the primary version of its key. Returns the version it was under and the
 * one it is under now (the same, unchanged, when it already was under the primary version).
 */
export async function rewrapObjectFile(path: string, keys: KeySource): Promise<{ from: number; to: number; changed: boolean }> {
  // One handle for the header and the payload: a file replaced in between cannot pair one object's header with
  // another's payload.
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_HEADER_BYTES, 0);
    const header = parseHeader(buffer.subarray(0, bytesRead), path, true);
    if (!header) throw new SluiceError('SLUICE_OBJECT_MALFORMED', `${path} is not a readable Sluice object`);
    const primary = await keys.primary(header.keyId);
    if (header.keyVersion === primary.version) return { from: header.keyVersion, to: header.keyVersion, changed: false };
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
      for await (const piece of handle.createReadStream({ start: header!.payloadOffset, autoClose: false })) yield piece as Buffer;
    }
    await writeStreamAtomic(path, rewritten());
    return { from: header.keyVersion, to: primary.version, changed: true };
  } finally {
    await handle.close();
  }
}
