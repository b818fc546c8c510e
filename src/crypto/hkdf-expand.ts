// HKDF-Expand alone (RFC 5869 §2.3), which node:crypto does not offer: its hkdf() always runs Extract first.
// C2SP chunked encryption derives its keys with Expand only, from an input key that is already uniform.
import { createHmac } from 'node:crypto';
import { SluiceError } from '../errors.ts';

const HASH_LENGTH = { sha256: 32, sha512: 64 } as const;
export type HkdfHash = keyof typeof HASH_LENGTH;

/**
 * OKM = T(1) || T(2) || … truncated to `length`, where T(i) = HMAC-Hash(PRK, T(i-1) || info || i)
 * (RFC 5869 §2.3). HMAC itself is node:crypto's.
 */
export function hkdfExpand(hash: HkdfHash, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const hashLength = HASH_LENGTH[hash];
  // RFC 5869 §2.3: L <= 255*HashLen; PRK is at least HashLen octets.
  if (!Number.isInteger(length) || length < 1 || length > 255 * hashLength) {
    throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `HKDF-Expand output length must be 1..${255 * hashLength} bytes`);
  }
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; blocks.length * hashLength < length; i++) {
    previous = createHmac(hash, prk).update(previous).update(info).update(Uint8Array.of(i)).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}
