// Random bytes drawn from a pooled buffer: randomBytes() costs 5–7 µs per call here (../shared/crypto-perf.md),
// which dominates when a key or nonce is needed per record. The pool is filled from the same CSPRNG.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 64 * 1024;

export class RandomPool {
  #pool = Buffer.alloc(0);
  #offset = 0;

  /** `length` fresh random bytes, copied out of the pool (never handed out twice). */
  take(length: number): Buffer {
    if (length > POOL_BYTES) return randomFillSync(Buffer.alloc(length));
    if (this.#offset + length > this.#pool.length) {
      this.#pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
      this.#offset = 0;
    }
    const out = Buffer.from(this.#pool.subarray(this.#offset, this.#offset + length));
    // Used bytes are wiped so the pool never holds a key that was handed out.
    this.#pool.fill(0, this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }
}
