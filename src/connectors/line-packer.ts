// Packs lines of text (JSON Lines) into pieces of exactly one 64 KiB payload chunk, writing each line straight
// into the piece's buffer. Joining the strings and encoding the result once per piece cost twice as much (V8
// builds a rope of the joined strings, flattens it, then encodes it into a fresh buffer), and pieces that did
// not fall on chunk boundaries made the encryptor copy every chunk to line it up.
import { WRITE_CHUNK_BYTES } from '../crypto/envelope/object-format.ts';

/** Bytes per piece: one chunk of the object's payload (WRITE_CHUNK_BYTES), so chunks are sealed without copies. */
export const PIECE_BYTES = WRITE_CHUNK_BYTES;
/** Room past a piece's end for the line that crosses it (larger lines get a larger buffer). */
const SLACK_BYTES = 4096;

export class LinePacker {
  #buffer = Buffer.allocUnsafe(0);
  #used = 0;

  /** Adds `text` and a newline; pushes every piece this completes onto `full`. */
  add(text: string, full: Buffer[]): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair, 2 units, takes 4). A long line is
    // measured instead, so that it does not reserve three times its size.
    const most = (text.length > PIECE_BYTES ? Buffer.byteLength(text, 'utf8') : text.length * 3) + 1;
    if (this.#used + most > this.#buffer.length) this.#grow(this.#used + most);
    this.#used += this.#buffer.write(text, this.#used, 'utf8');
    this.#buffer[this.#used++] = 0x0a;
    if (this.#used < PIECE_BYTES) return;
    // Every whole piece is a view of this buffer; only what is left after the last one (less than a piece) is
    // copied, into the buffer that starts the next piece. A line of many megabytes is copied once, not per piece.
    const whole = Math.floor(this.#used / PIECE_BYTES) * PIECE_BYTES;
    for (let at = 0; at < whole; at += PIECE_BYTES) full.push(this.#buffer.subarray(at, at + PIECE_BYTES));
    const next = Buffer.allocUnsafe(PIECE_BYTES + SLACK_BYTES);
    this.#buffer.copy(next, 0, whole, this.#used);
    this.#used -= whole;
    this.#buffer = next;
  }

  /** The last, partial piece, if it holds anything; the packer starts afresh. */
  finish(): Buffer | undefined {
    const last = this.#used > 0 ? this.#buffer.subarray(0, this.#used) : undefined;
    this.#buffer = Buffer.allocUnsafe(0);
    this.#used = 0;
    return last;
  }

  #grow(bytes: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(PIECE_BYTES + SLACK_BYTES, bytes));
    this.#buffer.copy(bigger, 0, 0, this.#used);
    this.#buffer = bigger;
  }
}
