// The s3 sink: one sealed JSON Lines object per batch in an S3 bucket (or an S3-compatible server), uploaded in
// parts when large, under the same names as the file sink so a rewritten batch replaces its object.
import { Readable } from 'node:stream';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { expiredRunIds } from '../../runtime/run-id.ts';
import { defineSink } from '../../spec/component.ts';
import type { CreateContext } from '../../spec/component.ts';
import { S3Connection } from '../s3/s3-connection.ts';
import { checkConnection, folderPrefix, objectKey, prefixProblem, s3ConnectionShape, s3Target } from '../s3/s3-options.ts';
import { s3InsecureOptOuts } from '../s3/s3-options.ts';
import { Sink } from '../sink.ts';
import type { SinkBatch, SinkRunInfo, SinkSettings } from '../sink.ts';
import { batchObjectName } from './file-sink.ts';

const MiB = 1024 * 1024;
/** S3's smallest part (but the last): objects up to this size go in one PutObject. */
const PART_BYTES = 5 * MiB;
/** Parts in flight at once: at most PART_BYTES × this is buffered by the uploader. */
const PARTS_IN_FLIGHT = 2;

const s3SinkSpec = z
  .strictObject({
    ...s3ConnectionShape,
    prefix: z
      .string()
      .default('')
      .superRefine((prefix, context) => {
        const problem = prefixProblem(prefix);
        if (problem !== undefined) context.addIssue({ code: 'custom', message: `the prefix is refused: ${problem}` });
      })
      .describe("The folder in the bucket objects go under, e.g. exports/crm/ (a trailing / is added). Letters, digits, / and ! - _ . * ' ( ) = only."),
    serverSideEncryption: z
      .enum(['AES256', 'aws:kms'])
      .optional()
      .describe("Ask S3 to encrypt objects at rest as well (SSE-S3 with AES256, or SSE-KMS with aws:kms), in addition to Sluice's own envelope encryption, which is always on."),
    kmsKeyId: z.string().min(1).optional().describe('The KMS key (id, ARN or alias) for serverSideEncryption: aws:kms; the bucket default key when omitted.'),
  })
  .superRefine((options, context) => {
    const issue = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    checkConnection(options, issue);
    if (options.kmsKeyId !== undefined && options.serverSideEncryption !== 'aws:kms') issue('kmsKeyId', 'kmsKeyId applies only to serverSideEncryption: aws:kms');
  })
  .describe('Writes each batch as one encrypted JSON Lines object: s3://<bucket>/<prefix><pipeline>/<run id>/part-<batch>.jsonl.sluice.');

type S3SinkOptions = z.output<typeof s3SinkSpec>;

export class S3Sink extends Sink {
  readonly #options: S3SinkOptions;
  readonly #context: CreateContext;
  readonly #prefix: string;
  #connection: S3Connection | undefined;
  #run: SinkRunInfo | undefined;

  constructor(options: S3SinkOptions, settings: SinkSettings, context: CreateContext) {
    super(settings);
    this.#options = options;
    this.#context = context;
    this.#prefix = folderPrefix(options.prefix);
  }

  protected async _open(run: SinkRunInfo): Promise<void> {
    this.#run = run;
    this.#connection ??= await S3Connection.open(this.#options, this.#context, 'SLUICE_SINK_WRITE_FAILED');
    await this.#connection.checkBucket();
  }

  protected async _write(batch: SinkBatch): Promise<string> {
    const connection = this.#connection;
    if (!connection || !this.#run) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' was written before it was opened`);
    const key = objectKey(this.#prefix, batchObjectName(this.#run, batch.batch));
    const { serverSideEncryption, kmsKeyId } = this.#options;
    const params: PutObjectCommandInput = {
      Bucket: connection.bucket,
      Key: key,
      // The pieces go to the uploader as a stream: it gathers at most a part's worth at a time, never the object.
      Body: Readable.from(batch.pieces, { objectMode: false }),
      ContentType: 'application/octet-stream',
      ...(serverSideEncryption !== undefined ? { ServerSideEncryption: serverSideEncryption } : {}),
      ...(kmsKeyId !== undefined ? { SSEKMSKeyId: kmsKeyId } : {}),
    };
    // A failed multipart upload is aborted (leavePartsOnError: false), so no orphaned parts are billed.
    // Loaded on the first upload, so that commands that never write to S3 do not pay for its import.
    const { Upload } = await import('@aws-sdk/lib-storage');
    const upload = new Upload({ client: connection.client, params, partSize: PART_BYTES, queueSize: PARTS_IN_FLIGHT, leavePartsOnError: false });
    try {
      await upload.done();
    } catch (error) {
      throw connection.fail(error, `write ${connection.uri(key)}`);
    }
    return connection.uri(key);
  }

  /** The folder of a pipeline's runs, `<prefix><pipeline>/`. */
  #pipelinePrefix(pipeline: string): string {
    return `${this.#prefix}${pipeline}/`;
  }

  protected override async _prune(before: Date, keepRunId: string): Promise<string[]> {
    const connection = this.#connection;
    if (!connection || !this.#run) return [];
    const pipelinePrefix = this.#pipelinePrefix(this.#run.pipeline);
    const runIds: string[] = [];
    for await (const page of connection.list(pipelinePrefix, { delimiter: '/' })) {
      for (const folder of page.folders) {
        const name = folder.Prefix?.slice(pipelinePrefix.length, -1);
        if (name) runIds.push(name);
      }
    }
    const expired = expiredRunIds(runIds, before, keepRunId);
    for (const runId of expired) await connection.deleteUnder(`${pipelinePrefix}${runId}/`);
    return expired;
  }

  protected override async _discard(runId: string): Promise<boolean> {
    const connection = this.#connection;
    if (!connection || !this.#run) return false;
    // Run ids come from the state store; this keeps an odd one from naming another folder (or the pipeline's).
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(runId)) throw new SluiceError('SLUICE_SINK_PATH_ESCAPE', `run id ${JSON.stringify(runId)} is not one Sluice makes; its objects are not removed`);
    await connection.deleteUnder(`${this.#pipelinePrefix(this.#run.pipeline)}${runId}/`);
    return true;
  }

  protected override async _close(): Promise<void> {
    this.#connection?.close();
    this.#connection = undefined;
  }

  describe(): string {
    const { bucket } = this.#options;
    return this.#run ? `s3://${bucket}/${this.#pipelinePrefix(this.#run.pipeline)}${this.#run.runId}/` : `s3://${bucket}/${this.#prefix}`;
  }
}

export const s3Sink = defineSink({
  name: 's3',
  summary: 'Writes encrypted JSON Lines objects to an S3 bucket or an S3-compatible server, one object per batch, in parts when large.',
  spec: s3SinkSpec,
  insecureOptOuts: s3InsecureOptOuts,
  examples: [
    { bucket: 'acme-exports', prefix: 'crm/', region: 'eu-west-1', serverSideEncryption: 'aws:kms', kmsKeyId: 'alias/sluice-exports' },
    { bucket: 'exports', endpoint: 'https://minio.internal:9000', accessKeyId: 'env://MINIO_ACCESS_KEY', secretAccessKey: 'file:///run/secrets/minio-secret-key', tls: { ca: 'certs/internal-ca.pem' } },
    { bucket: 'test-exports', endpoint: 'http://127.0.0.1:4569', insecureLoopbackHttp: true, accessKeyId: 'env://S3_ACCESS_KEY', secretAccessKey: 'env://S3_SECRET_KEY' },
  ],
  create: (options, settings, context) => new S3Sink(options, settings, context),
  target: (options) => s3Target(options.bucket, options.prefix),
});
