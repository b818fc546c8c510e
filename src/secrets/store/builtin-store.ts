// The built-in secret store (sluice://name), the embedded default: values sealed with AES-256-GCM under the
// keyring's 'secrets' key, bound to their name and version, with the metadata rotation needs. Every read is
// checked against the read policy and audited, and a read that cannot be audited fails (fail closed).
import { randomBytes } from 'node:crypto';
import { SluiceError } from '../../errors.ts';
import { GCM_NONCE_BYTES, openGcm, sealGcm } from '../../crypto/aes-gcm.ts';
import type { KeySource } from '../../crypto/envelope/envelope.ts';
import type { AuditAction, AuditActor } from '../../audit/audit-event.ts';
import type { AuditRecorder } from '../../audit/audit-log.ts';
import { STORE_NAME } from '../reference.ts';
import { Secret } from '../secret.ts';
import type { SecretRecord, SecretRecordStore } from './secret-record-store.ts';

/** The keyring key that seals stored secrets. */
export const SECRETS_KEY_ID = 'secrets';
/** A stored value is a credential, not a document. */
export const MAX_SECRET_BYTES = 64 * 1024;
const DAY_MS = 86_400_000;

/** Whether `actor` may read secret `name`: undefined when allowed, else why not (shown to the caller). */
export type ReadPolicy = (actor: AuditActor, name: string) => string | undefined;

/** What `list` shows: everything but the value. */
export type SecretMetadata = Omit<SecretRecord, 'sealed'> & { overdue: boolean };

export interface BuiltinSecretStoreOptions {
  store: SecretRecordStore;
  keys: KeySource;
  /** Where reads and changes are recorded; a read that cannot be recorded fails. */
  audit: AuditRecorder;
  actor: AuditActor;
  readPolicy: ReadPolicy;
  /** The run or request reads belong to, for the audit log. */
  requestId?: string;
  now?: () => Date;
}

/** The associated data of a sealed value: it opens only as this name at this version under this key version. */
function valueAad(name: string, version: number, keyId: string, keyVersion: number): Buffer {
  return Buffer.from(`sluice/secret/v1\u0000${name}\u0000${version}\u0000${keyId}\u0000${keyVersion}`, 'utf8');
}

function checkName(name: string): void {
  if (!STORE_NAME.test(name)) throw new SluiceError('SLUICE_USAGE', `secret names are lower-case letters, digits and ._/- inside (at most 128), as in crm/api-token; '${name}' is not one`);
}

function checkValue(name: string, value: string): void {
  if (value.length === 0) throw new SluiceError('SLUICE_USAGE', `the value for '${name}' is empty`);
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) throw new SluiceError('SLUICE_USAGE', `the value for '${name}' is larger than ${MAX_SECRET_BYTES} bytes: a secret store holds credentials, not documents`);
}

/** Whether a secret has outlived its max age at `now`. */
export function isOverdue(record: Pick<SecretRecord, 'rotatedAt' | 'maxAgeDays'>, now: Date): boolean {
  return record.maxAgeDays !== undefined && now.getTime() - Date.parse(record.rotatedAt) > record.maxAgeDays * DAY_MS;
}

export class BuiltinSecretStore {
  readonly #options: BuiltinSecretStoreOptions;

  constructor(options: BuiltinSecretStoreOptions) {
    this.#options = options;
  }

  /** Adds a secret; refused if it exists (rotate changes a value, so that it is never replaced by mistake). */
  async set(name: string, value: string, options: { maxAgeDays?: number } = {}): Promise<SecretMetadata> {
    checkName(name);
    checkValue(name, value);
    const at = this.#now().toISOString();
    const record = { name, version: 1, createdAt: at, rotatedAt: at, ...(options.maxAgeDays !== undefined ? { maxAgeDays: options.maxAgeDays } : {}), ...(await this.#seal(name, 1, value)) };
    if (!(await this.#options.store.putSecret(record, undefined))) {
      throw new SluiceError('SLUICE_USAGE', `secret '${name}' exists already; use 'sluice secrets rotate ${name}' to give it a new value`);
    }
    await this.#audit('secret.create', name, 'success');
    return this.#metadata(record);
  }

  /** Gives a secret a new value (version + 1). The max age is kept unless a new one is given. */
  async rotate(name: string, value: string, options: { maxAgeDays?: number } = {}): Promise<SecretMetadata> {
    const current = await this.#existing(name);
    checkValue(name, value);
    const version = current.version + 1;
    const maxAgeDays = options.maxAgeDays ?? current.maxAgeDays;
    const record: SecretRecord = {
      name,
      version,
      createdAt: current.createdAt,
      rotatedAt: this.#now().toISOString(),
      ...(current.lastReadAt !== undefined ? { lastReadAt: current.lastReadAt } : {}),
      ...(maxAgeDays !== undefined ? { maxAgeDays } : {}),
      ...(await this.#seal(name, version, value)),
    };
    if (!(await this.#options.store.putSecret(record, current.version))) {
      throw new SluiceError('SLUICE_USAGE', `secret '${name}' was changed by someone else while rotating; run the rotation again`);
    }
    await this.#audit('secret.rotate', name, 'success');
    return this.#metadata(record);
  }

  /**
   * Reads a value for `actor`: checked against the read policy, audited (allowed or denied), and its last-read
   * time kept. A read whose audit event cannot be written fails.
   */
  async get(name: string): Promise<Secret> {
    checkName(name);
    const refusal = this.#options.readPolicy(this.#options.actor, name);
    if (refusal !== undefined) {
      await this.#audit('secret.read', name, 'denied', 'SLUICE_SECRET_DENIED');
      throw new SluiceError('SLUICE_SECRET_DENIED', `sluice://${name}: ${refusal}`);
    }
    const record = await this.#options.store.getSecret(name);
    if (!record) {
      await this.#audit('secret.read', name, 'failure', 'SLUICE_SECRET_NOT_FOUND');
      throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `sluice://${name}: there is no such secret in the built-in store. Add it with 'sluice secrets set ${name}'.`);
    }
    let value: string;
    try {
      const material = await this.#options.keys.material(record.keyId, record.keyVersion);
      const plaintext = openGcm(material, record.sealed.subarray(0, GCM_NONCE_BYTES), record.sealed.subarray(GCM_NONCE_BYTES), valueAad(name, record.version, record.keyId, record.keyVersion));
      value = plaintext.toString('utf8');
      plaintext.fill(0);
    } catch (error) {
      await this.#audit('secret.read', name, 'failure', (error as SluiceError).code ?? 'error');
      throw error;
    }
    // Audited before the value is handed out: no audit, no value.
    await this.#audit('secret.read', name, 'success');
    await this.#options.store.markSecretRead(name, this.#now().toISOString());
    return new Secret(value, `sluice://${name}`);
  }

  async list(): Promise<SecretMetadata[]> {
    return (await this.#options.store.listSecrets()).map((record) => this.#metadata(record));
  }

  async remove(name: string): Promise<void> {
    checkName(name);
    if (!(await this.#options.store.deleteSecret(name))) throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `sluice://${name}: there is no such secret in the built-in store`);
    await this.#audit('secret.delete', name, 'success');
  }

  /** Re-seals every secret not under the primary version of the secrets key (after a key rotation). */
  async reseal(): Promise<number> {
    const primary = await this.#primary();
    let moved = 0;
    for (const record of await this.#options.store.listSecrets()) {
      if (record.keyId === SECRETS_KEY_ID && record.keyVersion === primary.version) continue;
      const material = await this.#options.keys.material(record.keyId, record.keyVersion);
      const plaintext = openGcm(material, record.sealed.subarray(0, GCM_NONCE_BYTES), record.sealed.subarray(GCM_NONCE_BYTES), valueAad(record.name, record.version, record.keyId, record.keyVersion));
      const sealed = this.#sealWith(primary, record.name, record.version, plaintext);
      plaintext.fill(0);
      if (await this.#options.store.resealSecret(record.name, record.version, primary.version, sealed)) moved++;
    }
    return moved;
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  async #primary(): Promise<{ version: number; material: Buffer }> {
    await this.#options.keys.ensure(SECRETS_KEY_ID);
    return this.#options.keys.primary(SECRETS_KEY_ID);
  }

  async #seal(name: string, version: number, value: string): Promise<Pick<SecretRecord, 'keyId' | 'keyVersion' | 'sealed'>> {
    const primary = await this.#primary();
    const plaintext = Buffer.from(value, 'utf8');
    const sealed = this.#sealWith(primary, name, version, plaintext);
    plaintext.fill(0);
    return { keyId: SECRETS_KEY_ID, keyVersion: primary.version, sealed };
  }

  #sealWith(primary: { version: number; material: Buffer }, name: string, version: number, plaintext: Buffer): Buffer {
    // A random 96-bit nonce per value: NIST SP 800-38D §8.3 allows 2^32 of them under one key version, far
    // beyond the writes a secret store sees between key rotations.
    const nonce = randomBytes(GCM_NONCE_BYTES);
    return Buffer.concat([nonce, sealGcm(primary.material, nonce, plaintext, valueAad(name, version, SECRETS_KEY_ID, primary.version))]);
  }

  async #existing(name: string): Promise<SecretRecord> {
    checkName(name);
    const record = await this.#options.store.getSecret(name);
    if (!record) throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `sluice://${name}: there is no such secret in the built-in store. Add it with 'sluice secrets set ${name}'.`);
    return record;
  }

  #metadata(record: SecretRecord): SecretMetadata {
    const { sealed: _sealed, ...metadata } = record;
    return { ...metadata, overdue: isOverdue(record, this.#now()) };
  }

  async #audit(action: AuditAction, name: string, outcome: 'success' | 'failure' | 'denied', reason?: string): Promise<void> {
    try {
      await this.#options.audit.append({
        time: this.#now().toISOString(),
        actor: this.#options.actor,
        action,
        resource: `secret:${name}`,
        outcome,
        ...(this.#options.requestId !== undefined ? { requestId: this.#options.requestId } : {}),
        source: 'local',
        ...(reason !== undefined ? { reason } : {}),
      });
    } catch (error) {
      throw new SluiceError('SLUICE_STATE_STORE', `the audit log cannot be written, so ${action} of '${name}' is refused: ${(error as Error).message}`, { cause: error });
    }
  }
}
