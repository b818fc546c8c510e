// The last bytes a reader took from an object, kept so that a batch end can carry a digest of the bytes just
// before it: a resumed run then tells an object edited after the position (resume) from one edited before it.
import { createHash } from 'node:crypto';

/** How many bytes before a batch end are digested, as the file source does. */
export const TAIL_BYTES = 4096;

/** sha256 of the bytes, hex. */
export function tailDigest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class TailWindow {
  #chunks: { start: number; bytes: Buffer }[] = [];
  #total = 0;

  /** Forgets everything: a new object starts. */
  reset(): void {
    this.#chunks = [];
    this.#total = 0;
  }

  /** Adds the next chunk, which starts at `start`; keeps only what the newest chunk's line ends can need. */
  push(start: number, bytes: Buffer): void {
    this.#chunks.push({ start, bytes });
    this.#total += bytes.length;
    // Line ends the reader hands out lie in the newest chunk, so TAIL_BYTES before its start is enough.
    for (let oldest = this.#chunks[0]; oldest && this.#total - oldest.bytes.length >= TAIL_BYTES + bytes.length; oldest = this.#chunks[0]) {
      this.#chunks.shift();
      this.#total -= oldest.bytes.length;
    }
  }

  /** The digest of up to TAIL_BYTES before `offset`, or undefined when the window does not hold them all. */
  digestBefore(offset: number): string | undefined {
    const from = offset - Math.min(TAIL_BYTES, offset);
    const first = this.#chunks[0];
    if (!first || first.start > from) return undefined;
    const parts: Buffer[] = [];
    for (const { start, bytes } of this.#chunks) {
      const lo = Math.max(from, start);
      const hi = Math.min(offset, start + bytes.length);
      if (hi > lo) parts.push(bytes.subarray(lo - start, hi - start));
    }
    const tail = Buffer.concat(parts);
    return tail.length === offset - from ? tailDigest(tail) : undefined;
  }
}
