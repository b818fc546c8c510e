// The PKCS#11 key provider: the root key lives in an HSM token as a sensitive, non-extractable AES-256 key;
// key material is sealed and opened inside the token with CKM_AES_GCM (with associated data), so the root key
// never enters this process. Tested against SoftHSM2.
import pkcs11js from 'pkcs11js';
import { randomBytes } from 'node:crypto';
import { SluiceError } from '../../errors.ts';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES } from '../aes-gcm.ts';
import type { KeyProvider } from './key-provider.ts';

/** Where the root key is: the PKCS#11 library, the token (by label) and the key (by label). */
export interface Pkcs11Options {
  library: string;
  tokenLabel: string;
  keyLabel: string;
  /** The user PIN. Never logged; held only for the login. */
  pin: string;
  /** Generate the root key in the token when it has none with this label (keys init). */
  createKey?: boolean;
}

/** One initialized module per library in this process: C_Initialize may run only once. */
const modules = new Map<string, { module: pkcs11js.PKCS11; users: number }>();

function acquire(library: string): pkcs11js.PKCS11 {
  const known = modules.get(library);
  if (known) {
    known.users++;
    return known.module;
  }
  const module = new pkcs11js.PKCS11();
  try {
    module.load(library);
    module.C_Initialize();
  } catch (error) {
    throw new SluiceError('SLUICE_KEY_PROVIDER', `cannot load the PKCS#11 library ${library}: ${(error as Error).message}`, { cause: error });
  }
  modules.set(library, { module, users: 1 });
  return module;
}

function release(library: string): void {
  const known = modules.get(library);
  if (!known) return;
  if (--known.users > 0) return;
  modules.delete(library);
  known.module.C_Finalize();
  known.module.close();
}

export class Pkcs11KeyProvider implements KeyProvider {
  readonly name = 'pkcs11';
  readonly #library: string;
  readonly #module: pkcs11js.PKCS11;
  readonly #session: Buffer;
  readonly #key: Buffer;
  #closed = false;

  private constructor(library: string, module: pkcs11js.PKCS11, session: Buffer, key: Buffer) {
    this.#library = library;
    this.#module = module;
    this.#session = session;
    this.#key = key;
  }

  /** Logs in to the token and finds (or, with createKey, generates) the root key. */
  static open(options: Pkcs11Options): Pkcs11KeyProvider {
    const module = acquire(options.library);
    let session: Buffer | undefined;
    try {
      const slot = module.C_GetSlotList(true).find((s) => module.C_GetTokenInfo(s).label.trim() === options.tokenLabel);
      if (!slot) throw new SluiceError('SLUICE_KEY_PROVIDER', `no PKCS#11 token labelled '${options.tokenLabel}' in ${options.library}`);
      session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      try {
        module.C_Login(session, pkcs11js.CKU_USER, options.pin);
      } catch (error) {
        // Login state is per token and process: another provider of this process may have logged in already.
        if (!/CKR_USER_ALREADY_LOGGED_IN/.test((error as Error).message)) {
          // The PIN is never part of the message.
          throw new SluiceError('SLUICE_KEY_PROVIDER', `the PKCS#11 token '${options.tokenLabel}' refused the login (${(error as Error).message.split(':')[0]})`);
        }
      }
      const key = findKey(module, session, options.keyLabel) ?? (options.createKey ? generateKey(module, session, options.keyLabel) : undefined);
      if (!key) throw new SluiceError('SLUICE_KEY_PROVIDER', `the PKCS#11 token '${options.tokenLabel}' has no key labelled '${options.keyLabel}'; create it with 'sluice keys init'`);
      return new Pkcs11KeyProvider(options.library, module, session, key);
    } catch (error) {
      if (session) module.C_CloseSession(session);
      release(options.library);
      throw error;
    }
  }

  async wrap(material: Buffer, aad: Buffer): Promise<Buffer> {
    const iv = randomBytes(GCM_NONCE_BYTES);
    this.#module.C_EncryptInit(this.#session, gcm(iv, aad), this.#key);
    const sealed = this.#module.C_Encrypt(this.#session, material, Buffer.alloc(material.length + GCM_TAG_BYTES));
    return Buffer.concat([iv, sealed]);
  }

  async unwrap(blob: Buffer, aad: Buffer): Promise<Buffer> {
    if (blob.length < GCM_NONCE_BYTES + GCM_TAG_BYTES) throw new SluiceError('SLUICE_DECRYPT_FAILED', 'decryption failed: wrong key or context, or the data was altered');
    try {
      this.#module.C_DecryptInit(this.#session, gcm(blob.subarray(0, GCM_NONCE_BYTES), aad), this.#key);
      const sealed = blob.subarray(GCM_NONCE_BYTES);
      return Buffer.from(this.#module.C_Decrypt(this.#session, sealed, Buffer.alloc(sealed.length)));
    } catch {
      throw new SluiceError('SLUICE_DECRYPT_FAILED', 'decryption failed: wrong key or context, or the data was altered');
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // No C_Logout: login state is shared by every session of the process (PKCS#11 v2.40 §5.6), so logging out
    // here would log out other providers too. Closing the last session ends the login.
    this.#module.C_CloseSession(this.#session);
    release(this.#library);
  }
}

/** CKM_AES_GCM with a 96-bit IV, a 128-bit tag and associated data (PKCS#11 v2.40 CK_GCM_PARAMS). */
function gcm(iv: Buffer, aad: Buffer): pkcs11js.Mechanism {
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad, ivBits: 96, tagBits: 128 } as pkcs11js.AesGCM };
}

function findKey(module: pkcs11js.PKCS11, session: Buffer, label: string): Buffer | undefined {
  module.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_LABEL, value: label },
  ]);
  try {
    return module.C_FindObjects(session) ?? undefined;
  } finally {
    module.C_FindObjectsFinal(session);
  }
}

/** An AES-256 key generated inside the token: persistent, private, sensitive, never extractable. */
function generateKey(module: pkcs11js.PKCS11, session: Buffer, label: string): Buffer {
  return module.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_ENCRYPT, value: true },
    { type: pkcs11js.CKA_DECRYPT, value: true },
  ]);
}
