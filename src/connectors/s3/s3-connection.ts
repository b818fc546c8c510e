// An S3 client made from the shared options: credentials resolved just in time from secret references (or the
// SDK's default chain), TLS by Sluice's client policy, and failures mapped to Sluice errors that name the place.
import { Agent } from 'node:https';
import type * as S3Module from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { _Object, CommonPrefix, S3ClientConfig } from '@aws-sdk/client-s3';
import type { ErrorCode } from '../../errors.ts';
import { SluiceError } from '../../errors.ts';
import type { CreateContext, SecretSource } from '../../spec/component.ts';
import { loadClientTls } from '../../tls/client-tls.ts';
import type { S3ConnectionOptions } from './s3-options.ts';
import { endpointLabel } from './s3-options.ts';
import { PIN_MISMATCH, s3Failure } from './s3-errors.ts';

/** How long resolved credentials are used before they are resolved again (the SDK refreshes 5 minutes early). */
const CREDENTIAL_REUSE_MS = 15 * 60_000;
/** S3 deletes at most 1000 keys per DeleteObjects request. */
const DELETE_BATCH = 1000;

/** One page of a listing. */
export interface ListPage {
  objects: _Object[];
  /** With a delimiter: the "folders" one level down, e.g. `prefix/pipeline/run-id/`. */
  folders: CommonPrefix[];
}

/** The SDK's checksum behaviour for the options: see `checksums` in s3ConnectionShape for why. */
export function checksumSetting(options: S3ConnectionOptions): 'WHEN_SUPPORTED' | 'WHEN_REQUIRED' {
  const mode = options.checksums ?? (options.endpoint === undefined ? 'when-supported' : 'when-required');
  return mode === 'when-supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
}

function credentialProvider(options: S3ConnectionOptions, secrets: SecretSource | undefined): S3ClientConfig['credentials'] {
  const { accessKeyId, secretAccessKey, sessionToken } = options;
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined; // the SDK's default chain
  if (!secrets) throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', 'the S3 credentials are secret references, but no secret resolver was given');
  // A function, not values: the SDK asks again when `expiration` nears, and the resolver then rereads a
  // reference that was invalidated after a refusal (a rotated key).
  return async () => {
    const [id, key, token] = await Promise.all([secrets.resolve(accessKeyId), secrets.resolve(secretAccessKey), sessionToken === undefined ? undefined : secrets.resolve(sessionToken)]);
    return {
      accessKeyId: id.reveal(),
      secretAccessKey: key.reveal(),
      ...(token ? { sessionToken: token.reveal() } : {}),
      expiration: new Date(Date.now() + CREDENTIAL_REUSE_MS),
    };
  };
}

/** The AWS SDK's S3 module, loaded when a connector opens: commands that never touch S3 do not pay for its import. */
export type S3Sdk = typeof S3Module;

export class S3Connection {
  readonly client: S3Client;
  /** The SDK's commands, for the connectors to build requests with. */
  readonly sdk: S3Sdk;
  readonly bucket: string;
  /** Where requests go, for messages. */
  readonly endpoint: string;
  readonly #code: ErrorCode;
  readonly #options: S3ConnectionOptions;
  readonly #secrets: SecretSource | undefined;

  private constructor(sdk: S3Sdk, client: S3Client, options: S3ConnectionOptions, code: ErrorCode, secrets: SecretSource | undefined) {
    this.sdk = sdk;
    this.client = client;
    this.bucket = options.bucket;
    this.endpoint = endpointLabel(options);
    this.#code = code;
    this.#options = options;
    this.#secrets = secrets;
  }

  /**
   * A client for the options. `code` is the connector's error code (a sink's or a source's). Nothing is sent
   * yet: call checkBucket() to find a missing bucket or refused credentials before any data moves.
   */
  static async open(options: S3ConnectionOptions, context: CreateContext, code: ErrorCode): Promise<S3Connection> {
    // The SDK warns on every Node 20 process that versions after January 2027 need Node 22 (../shared/stack.md);
    // the version is pinned, so the warning says nothing actionable.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const tls = await loadClientTls(options.tls, context.baseDir, context.secrets);
    const checkIdentity = tls.checkServerIdentity;
    if (checkIdentity) {
      // The pin check's refusal reaches the SDK as a bare Error: a code lets s3Failure say what happened.
      tls.checkServerIdentity = (host, certificate) => {
        const refused = checkIdentity(host, certificate);
        return refused && Object.assign(refused, { code: PIN_MISMATCH });
      };
    }
    const credentials = credentialProvider(options, context.secrets);
    const checksums = checksumSetting(options);
    const sdk = await import('@aws-sdk/client-s3');
    const client = new sdk.S3Client({
      region: options.region,
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...(credentials !== undefined ? { credentials } : {}),
      requestChecksumCalculation: checksums,
      responseChecksumValidation: checksums,
      // A stalled transfer fails after a minute without a byte (a whole-request limit would cut long downloads).
      requestHandler: { httpsAgent: new Agent({ ...tls, keepAlive: true }), connectionTimeout: 10_000, socketTimeout: 60_000 },
      maxAttempts: 3,
      // The endpoint is the spec's alone: AWS_ENDPOINT_URL or a profile's endpoint_url could otherwise send the
      // data and the signed requests elsewhere, past the rule that plain HTTP is for this machine only.
      ignoreConfiguredEndpointUrls: true,
    });
    return new S3Connection(sdk, client, options, code, context.secrets);
  }

  /** `s3://bucket/key`. */
  uri(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** The failure as a Sluice error; a refusal of the credentials also drops their cached values. */
  fail(error: unknown, action: string): SluiceError {
    const credentials = [this.#options.accessKeyId, this.#options.secretAccessKey, this.#options.sessionToken].filter((ref): ref is string => ref !== undefined);
    const failure = s3Failure(error, { code: this.#code, action, bucket: this.bucket, endpoint: this.endpoint, credentials });
    if (failure.credentialsRefused) for (const ref of credentials) this.#secrets?.invalidate(ref);
    return failure.error;
  }

  /** Fails early, naming the bucket, when it does not exist or the credentials are refused. */
  async checkBucket(): Promise<void> {
    try {
      await this.client.send(new this.sdk.HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw this.fail(error, `reach bucket '${this.bucket}'`);
    }
  }

  /** The listing under `prefix`, a page at a time, in key order (S3 lists keys by their UTF-8 bytes). */
  async *list(prefix: string, options: { delimiter?: string; startAfter?: string } = {}): AsyncGenerator<ListPage, void, undefined> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new this.sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(options.delimiter !== undefined ? { Delimiter: options.delimiter } : {}),
            ...(options.startAfter !== undefined && token === undefined ? { StartAfter: options.startAfter } : {}),
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw this.fail(error, `list ${this.uri(prefix)}`);
      }
      yield { objects: page.Contents ?? [], folders: page.CommonPrefixes ?? [] };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Deletes every object under `prefix` (which must end in `/`); returns how many. */
  async deleteUnder(prefix: string): Promise<number> {
    if (!prefix.endsWith('/')) throw new SluiceError(this.#code, `refusing to delete under ${this.uri(prefix)}: not a folder prefix`);
    let deleted = 0;
    let keys: string[] = [];
    const flush = async (): Promise<void> => {
      if (keys.length === 0) return;
      let out;
      try {
        out = await this.client.send(new this.sdk.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
      } catch (error) {
        throw this.fail(error, `delete objects under ${this.uri(prefix)}`);
      }
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new SluiceError(this.#code, `cannot delete ${failed.length} object(s) under ${this.uri(prefix)}, e.g. ${this.uri(first?.Key ?? '?')} (${first?.Code ?? 'unknown error'}); check the credentials' s3:DeleteObject permission`, { retryable: failed.some((f) => f.Code === 'InternalError' || f.Code === 'SlowDown') });
      }
      deleted += keys.length;
      keys = [];
    };
    // A page's keys are deleted before the next page is asked for: continuation tokens carry the last key
    // listed, so removing keys already listed skips nothing, and memory stays at one page.
    for await (const page of this.list(prefix)) {
      for (const object of page.objects) {
        if (object.Key === undefined) continue;
        keys.push(object.Key);
        if (keys.length === DELETE_BATCH) await flush();
      }
      await flush();
    }
    return deleted;
  }

  close(): void {
    this.client.destroy();
  }
}
