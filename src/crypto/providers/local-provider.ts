// The local key provider: a 256-bit root key from SLUICE_MASTER_KEY or a key file (mode 0600), wrapping key
// material with AES-256-GCM. For development and single machines; production belongs in an HSM or a KMS.
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { SluiceError } from '../../errors.ts';
import { GCM_KEY_BYTES, GCM_NONCE_BYTES, openGcm, sealGcm } from '../aes-gcm.ts';
import type { KeyProvider } from './key-provider.ts';

export class LocalKeyProvider implements KeyProvider {
  readonly name = 'local';
  readonly #root: Buffer;

  constructor(root: Buffer) {
    if (root.length !== GCM_KEY_BYTES) throw new SluiceError('SLUICE_KEY_PROVIDER', `the local root key must be ${GCM_KEY_BYTES} bytes`);
    this.#root = Buffer.from(root);
    root.fill(0);
  }

  async wrap(material: Buffer, aad: Buffer): Promise<Buffer> {
    const nonce = randomBytes(GCM_NONCE_BYTES);
    return Buffer.concat([nonce, sealGcm(this.#root, nonce, material, aad)]);
  }

  async unwrap(blob: Buffer, aad: Buffer): Promise<Buffer> {
    return openGcm(this.#root, blob.subarray(0, GCM_NONCE_BYTES), blob.subarray(GCM_NONCE_BYTES), aad);
  }

  close(): void {
    this.#root.fill(0);
  }
}

/** Parses a root key written as 64 hex digits or as base64 of 32 bytes. */
export function parseRootKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== GCM_KEY_BYTES) {
    throw new SluiceError('SLUICE_KEY_PROVIDER', `${where} must hold a 256-bit root key as 64 hex digits or base64 of 32 bytes`);
  }
  return key;
}

/**
 * The local root key: SLUICE_MASTER_KEY when set, else the key file. The file must be private (mode 0600 or
 * stricter): a root key readable by group or others is refused.
 */
export async function loadLocalRootKey(keyFile: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  const fromEnv = env.SLUICE_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return parseRootKey(fromEnv, 'SLUICE_MASTER_KEY');
  let info;
  try {
    info = await stat(keyFile);
  } catch {
    throw new SluiceError('SLUICE_KEY_PROVIDER', `no root key: set SLUICE_MASTER_KEY, or create ${keyFile} with 'sluice keys init'`);
  }
  if ((info.mode & 0o077) !== 0) {
    throw new SluiceError('SLUICE_KEY_PROVIDER', `${keyFile} is readable by group or others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it`);
  }
  return parseRootKey(await readFile(keyFile, 'utf8'), keyFile);
}

/** Writes a new random root key file (mode 0600); refuses to replace one. */
export async function createLocalRootKey(keyFile: string): Promise<void> {
  const key = randomBytes(GCM_KEY_BYTES);
  try {
    await writeFile(keyFile, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new SluiceError('SLUICE_KEY_PROVIDER', `${keyFile} exists already; a root key is never replaced`);
    throw error;
  } finally {
    key.fill(0);
  }
}
