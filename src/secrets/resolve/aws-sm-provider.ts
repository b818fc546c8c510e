// aws-sm://name#key: an AWS Secrets Manager secret (by name or ARN) read with GetSecretValue through the AWS SDK,
// over HTTPS; with #key, one field of its JSON SecretString.
import { Agent } from 'node:https';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { GetSecretValueCommandOutput, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { SluiceError } from '../../errors.ts';
import type { SecretReference } from '../reference.ts';
import type { ResolvedValue, SecretProvider } from './secret-provider.ts';

export interface AwsSecretsManagerOptions {
  region: string;
  /** Another endpoint (a VPC endpoint, or a test double); HTTPS only. */
  endpoint?: string;
  /** A private CA for the endpoint's certificate (PEM). */
  ca?: Buffer;
  /**
   * Credentials for tests and special cases. Leave unset in production: the SDK's default chain (environment,
   * profile, SSO, container or instance role) finds them, and rotates them.
   */
  credentials?: SecretsManagerClientConfig['credentials'];
  /** How long one HTTP attempt may take. Default 10 s. The resolver's own time bound still applies. */
  timeoutMs?: number;
}

type AwsSmReference = Extract<SecretReference, { scheme: 'aws-sm' }>;

/** Secrets Manager's error names (the `__type` of a JSON 1.1 error), by what they mean for the caller. */
const NOT_FOUND = new Set(['ResourceNotFoundException']);
const DENIED = new Set(['AccessDeniedException', 'UnrecognizedClientException', 'ExpiredTokenException', 'InvalidSignatureException']);
/** Worth another try later: the service or the network, not the request. */
const RETRYABLE = new Set(['InternalServiceError', 'ThrottlingException', 'TimeoutError', 'RequestTimeout', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE']);
const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

function errorName(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown } | null;
  // Network errors surface with a generic name and the errno in `code`.
  if (typeof e?.code === 'string' && (e.name === 'Error' || e.name === undefined)) return e.code;
  return typeof e?.name === 'string' ? e.name : 'Error';
}

/**
 * The Sluice error for an SDK failure. Only the error's name goes into the message: AWS messages quote ARNs and
 * principals, and SDK messages about credentials can quote configuration, so neither is repeated.
 */
function smError(reference: AwsSmReference, error: unknown): SluiceError {
  const name = errorName(error);
  const text = reference.text;
  if (NOT_FOUND.has(name)) {
    return new SluiceError('SLUICE_SECRET_NOT_FOUND', `${text}: Secrets Manager has no secret ${reference.secretId} in this account and region (ResourceNotFoundException). Check the name or ARN and the region.`);
  }
  if (DENIED.has(name)) {
    return new SluiceError('SLUICE_SECRET_DENIED', `${text}: Secrets Manager refused GetSecretValue (${name}): the credentials must be valid and allowed secretsmanager:GetSecretValue on this secret (and kms:Decrypt on its key if it is customer-managed).`, { cause: error });
  }
  if (name === 'CredentialsProviderError') {
    return new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: the AWS SDK found no credentials (environment, shared profile, SSO, container or instance role): give this process an identity allowed to read the secret`, { cause: error });
  }
  if (name === 'AbortError') {
    return new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: the read from Secrets Manager was stopped (the caller gave up)`, { cause: error, retryable: true });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (TLS_ERROR.test(name) || (typeof code === 'string' && TLS_ERROR.test(code))) {
    return new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: the TLS handshake with Secrets Manager failed (${typeof code === 'string' ? code : name}): give the endpoint's CA certificate (ca), or fix its certificate`, { cause: error });
  }
  if (/^E[A-Z]+$/.test(name)) {
    return new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: cannot reach Secrets Manager (${name})`, { cause: error, retryable: RETRYABLE.has(name) });
  }
  // DecryptionFailure (KMS refused the secret's key), InternalServiceError, throttling, timeouts.
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: Secrets Manager failed (${name}${status !== undefined ? `, HTTP ${status}` : ''})`, {
    cause: error,
    retryable: RETRYABLE.has(name) || (status !== undefined && status >= 500),
  });
}

function notFound(reference: AwsSmReference, problem: string): SluiceError {
  return new SluiceError('SLUICE_SECRET_NOT_FOUND', `${reference.text}: ${problem}`);
}

export class AwsSecretsManagerProvider implements SecretProvider {
  readonly scheme = 'aws-sm';
  readonly #client: SecretsManagerClient;

  constructor(options: AwsSecretsManagerOptions) {
    // SLUICE_SECRET_UNAVAILABLE, as for Vault: the references are fine, this provider as configured is not.
    if (options.endpoint !== undefined && !options.endpoint.startsWith('https://')) {
      throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', `AWS Secrets Manager is reached over HTTPS only, not ${options.endpoint.split('://')[0] ?? 'that'}://`);
    }
    // The SDK warns on every Node 20 process that future versions need Node 22 (../shared/stack.md); the
    // version is pinned, so the warning says nothing actionable.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#client = new SecretsManagerClient({
      region: options.region,
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      requestHandler: {
        httpsAgent: new Agent({ minVersion: 'TLSv1.2', keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) }),
        connectionTimeout: timeoutMs,
        requestTimeout: timeoutMs,
        throwOnRequestTimeout: true,
      },
      maxAttempts: 3,
    });
  }

  async resolve(reference: SecretReference, signal: AbortSignal): Promise<ResolvedValue> {
    if (reference.scheme !== 'aws-sm') throw new Error(`AwsSecretsManagerProvider got ${reference.scheme}`);
    let out: GetSecretValueCommandOutput;
    try {
      out = await this.#client.send(new GetSecretValueCommand({ SecretId: reference.secretId }), { abortSignal: signal });
    } catch (error) {
      throw smError(reference, error);
    }
    const secretString = out.SecretString;
    if (secretString === undefined) {
      throw notFound(reference, out.SecretBinary !== undefined ? 'the secret holds a binary value (SecretBinary) and no SecretString: Sluice reads string secrets. Store it as a string (base64 if need be).' : 'Secrets Manager answered without a SecretString');
    }
    if (reference.key === undefined) {
      if (secretString === '') throw notFound(reference, 'the SecretString is empty');
      return { value: secretString };
    }
    let map: unknown;
    try {
      map = JSON.parse(secretString);
    } catch {
      map = undefined;
    }
    if (map === null || typeof map !== 'object' || Array.isArray(map)) {
      throw notFound(reference, `the secret is not a JSON map, so no #key can be read from it. Drop '#${reference.key}' to read the whole SecretString, or store the secret as JSON key/value pairs.`);
    }
    const fields = map as Record<string, unknown>;
    if (!Object.hasOwn(fields, reference.key)) {
      throw notFound(reference, `the secret's JSON map has no key '${reference.key}' (it has ${Object.keys(fields).length} keys). Fix the #key, or add it to the secret.`);
    }
    const value = fields[reference.key];
    if (typeof value !== 'string') {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a map' : `a ${typeof value}`;
      throw notFound(reference, `the key '${reference.key}' holds ${kind}, not a string. Store the credential as a string.`);
    }
    if (value === '') throw notFound(reference, `the key '${reference.key}' is empty`);
    return { value };
  }

  close(): void {
    this.#client.destroy();
  }
}
