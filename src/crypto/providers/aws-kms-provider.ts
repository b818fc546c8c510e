// The AWS KMS key provider: the root key is a KMS key; key material is sealed and opened by KMS Encrypt and
// Decrypt with an encryption context (KMS's associated data), through the AWS SDK, over HTTPS.
import { Agent } from 'node:https';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { SluiceError } from '../../errors.ts';
import type { KeyProvider } from './key-provider.ts';

/** Which KMS key, where. Credentials come from the SDK's default chain (environment, profile, role). */
export interface AwsKmsOptions {
  keyId: string;
  region: string;
  /** Another endpoint (a VPC endpoint, or a test double); HTTPS only. */
  endpoint?: string;
  /** A private CA for the endpoint's certificate (PEM). */
  ca?: Buffer;
}

/** The KMS encryption context carrying Sluice's associated data (key id and version binding). */
function context(aad: Buffer): Record<string, string> {
  return { 'sluice:binding': aad.toString('base64') };
}

function kmsError(operation: string, error: unknown): SluiceError {
  const name = (error as { name?: string }).name ?? 'Error';
  if (operation === 'decrypt' && (name === 'InvalidCiphertextException' || name === 'IncorrectKeyException')) {
    return new SluiceError('SLUICE_DECRYPT_FAILED', 'decryption failed: wrong key or context, or the data was altered');
  }
  const retryable = ['ThrottlingException', 'KMSInternalException', 'DependencyTimeoutException'].includes(name);
  return new SluiceError('SLUICE_KEY_PROVIDER', `AWS KMS refused the ${operation} (${name}): check the key id, region and the credentials' permissions`, { cause: error, retryable });
}

export class AwsKmsKeyProvider implements KeyProvider {
  readonly name = 'aws-kms';
  readonly #client: KMSClient;
  readonly #keyId: string;

  constructor(options: AwsKmsOptions) {
    if (options.endpoint !== undefined && !options.endpoint.startsWith('https://')) {
      throw new SluiceError('SLUICE_KEY_PROVIDER', `AWS KMS is reached over HTTPS only, not ${options.endpoint}`);
    }
    // The SDK warns on every Node 20 process that future versions need Node 22 (../shared/stack.md); the
    // version is pinned here, so the warning says nothing actionable.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.#keyId = options.keyId;
    this.#client = new KMSClient({
      region: options.region,
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      requestHandler: { httpsAgent: new Agent({ minVersion: 'TLSv1.2', keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) }) },
      maxAttempts: 3,
    });
  }

  async wrap(material: Buffer, aad: Buffer): Promise<Buffer> {
    try {
      const out = await this.#client.send(new EncryptCommand({ KeyId: this.#keyId, Plaintext: material, EncryptionContext: context(aad) }));
      if (!out.CiphertextBlob) throw new SluiceError('SLUICE_KEY_PROVIDER', 'AWS KMS answered Encrypt without a ciphertext');
      return Buffer.from(out.CiphertextBlob);
    } catch (error) {
      throw error instanceof SluiceError ? error : kmsError('encrypt', error);
    }
  }

  async unwrap(blob: Buffer, aad: Buffer): Promise<Buffer> {
    try {
      const out = await this.#client.send(new DecryptCommand({ KeyId: this.#keyId, CiphertextBlob: blob, EncryptionContext: context(aad) }));
      if (!out.Plaintext) throw new SluiceError('SLUICE_KEY_PROVIDER', 'AWS KMS answered Decrypt without a plaintext');
      return Buffer.from(out.Plaintext);
    } catch (error) {
      throw error instanceof SluiceError ? error : kmsError('decrypt', error);
    }
  }

  close(): void {
    this.#client.destroy();
  }
}
