// Random bytes drawn from a pooled buffer: randomBytes() costs 5–7 µs per call here (../shared/crypto-perf.md),
// which dominates when a key or nonce is needed per record. The pool is filled from the same CSPRNG.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 64 * 1024;

export class RandomPool {
  #pool = Buffer.alloc(0);
  #offset = 0;

  /** `length` fresh random bytes, copied out of the pool (never handed out twice). */
  take(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    this.fill(out, 0, length);
    return out;
  }

  /** Writes `length` fresh random bytes into `target` at `offset` (small objects are written in place). */
  fill(target: Buffer, offset: number, length: number): void {
    if (length > POOL_BYTES) {
      randomFillSync(target, offset, length);
      return;
    }
    if (this.#offset + length > this.#pool.length) {
      this.#pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
      this.#offset = 0;
    }
    this.#pool.copy(target, offset, this.#offset, this.#offset + length);
    // Used bytes are wiped so the pool never holds a key that was handed out.
    this.#pool.fill(0, this.#offset, this.#offset + length);
    this.#offset += length;
  }
}
