// The Vault Transit key provider: the root key is a Transit key inside HashiCorp Vault; key material is sealed
// and opened by Vault's encrypt/decrypt endpoints (with associated data), over HTTPS only.
import { request } from 'node:https';
import { SluiceError } from '../../errors.ts';
import type { KeyProvider } from './key-provider.ts';

/** Where the Transit key is, and how to reach Vault. */
export interface VaultTransitOptions {
  /** https://vault.example:8200 */
  address: string;
  mount: string;
  keyName: string;
  /** The Vault token. Never logged, never part of an error. */
  token: string;
  /** A private CA for Vault's certificate (PEM). */
  ca?: Buffer;
  timeoutMs?: number;
}

export class VaultTransitKeyProvider implements KeyProvider {
  readonly name = 'vault-transit';
  readonly #options: VaultTransitOptions;
  readonly #base: URL;

  constructor(options: VaultTransitOptions) {
    const base = new URL(options.address);
    if (base.protocol !== 'https:') throw new SluiceError('SLUICE_KEY_PROVIDER', `Vault is reached over HTTPS only, not ${base.protocol}`);
    this.#options = options;
    this.#base = base;
  }

  async wrap(material: Buffer, aad: Buffer): Promise<Buffer> {
    const body = await this.#call('encrypt', { plaintext: material.toString('base64'), associated_data: aad.toString('base64') });
    const ciphertext = (body.data as { ciphertext?: unknown } | undefined)?.ciphertext;
    if (typeof ciphertext !== 'string' || !ciphertext.startsWith('vault:v')) throw new SluiceError('SLUICE_KEY_PROVIDER', 'Vault answered encrypt without a ciphertext');
    return Buffer.from(ciphertext, 'utf8');
  }

  async unwrap(blob: Buffer, aad: Buffer): Promise<Buffer> {
    const body = await this.#call('decrypt', { ciphertext: blob.toString('utf8'), associated_data: aad.toString('base64') });
    const plaintext = (body.data as { plaintext?: unknown } | undefined)?.plaintext;
    if (typeof plaintext !== 'string') throw new SluiceError('SLUICE_KEY_PROVIDER', 'Vault answered decrypt without a plaintext');
    return Buffer.from(plaintext, 'base64');
  }

  close(): void {}

  /** POST /v1/<mount>/<operation>/<key> with the token header; maps Vault's answers to Sluice errors. */
  #call(operation: 'encrypt' | 'decrypt', payload: object): Promise<Record<string, unknown>> {
    const url = new URL(`/v1/${encodeURIComponent(this.#options.mount)}/${operation}/${encodeURIComponent(this.#options.keyName)}`, this.#base);
    const data = Buffer.from(JSON.stringify(payload), 'utf8');
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': data.length, 'x-vault-token': this.#options.token },
          minVersion: 'TLSv1.2',
          ...(this.#options.ca ? { ca: this.#options.ca } : {}),
          timeout: this.#options.timeoutMs ?? 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            // A Transit answer is small: anything larger is not one.
            if (size > 1 << 20) req.destroy(new SluiceError('SLUICE_KEY_PROVIDER', 'Vault answered with more than 1 MiB'));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status === 200) {
              try {
                resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
              } catch {
                reject(new SluiceError('SLUICE_KEY_PROVIDER', 'Vault answered with a body that is not JSON'));
              }
            } else if (status === 400 && operation === 'decrypt') {
              reject(new SluiceError('SLUICE_DECRYPT_FAILED', 'decryption failed: wrong key or context, or the data was altered'));
            } else if (status === 403 || status === 401) {
              reject(new SluiceError('SLUICE_KEY_PROVIDER', `Vault refused the ${operation} (HTTP ${status}): check the token and its policy for ${this.#options.mount}/${operation}/${this.#options.keyName}`));
            } else {
              reject(new SluiceError('SLUICE_KEY_PROVIDER', `Vault answered the ${operation} with HTTP ${status}`, { retryable: status >= 500 || status === 429 }));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new SluiceError('SLUICE_KEY_PROVIDER', `Vault did not answer within ${this.#options.timeoutMs ?? 10_000} ms`, { retryable: true })));
      req.on('error', (error) => reject(error instanceof SluiceError ? error : new SluiceError('SLUICE_KEY_PROVIDER', `cannot reach Vault at ${this.#base.origin}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, { cause: error, retryable: true })));
      req.end(data);
    });
  }
}
