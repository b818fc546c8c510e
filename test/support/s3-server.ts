// An in-process s3rver on 127.0.0.1 for the S3 connector tests: a random port and folder, a log of the
// requests it received (so tests can check headers on the wire), and buckets with random names.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { TlsFixture } from './tls-fixture.ts';

/** The only credentials s3rver accepts (anything else is InvalidAccessKeyId or SignatureDoesNotMatch). */
export const S3RVER_KEY = 'S3RVER';

export interface RecordedRequest {
  method: string;
  /** The path and query, e.g. `/bucket/key?uploads`. */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface S3TestServer {
  /** `http://127.0.0.1:<port>`, or https:// when started with a certificate. */
  endpoint: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** A client with the settings s3rver needs (path style, no streamed checksums), for arranging and checking. */
  client: S3Client;
  /** Creates a bucket named `<label>-<random>` and returns its name. */
  newBucket(label?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startS3Server(options: { tls?: TlsFixture } = {}): Promise<S3TestServer> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const directory = await mkdtemp(join(tmpdir(), 'sluice-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}) });
  const { port } = await server.run();
  const requests: RecordedRequest[] = [];
  // A second listener beside s3rver's own: it sees each request as it arrived.
  server.httpServer.on('request', (request: { method?: string; url?: string; headers: IncomingHttpHeaders }) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
  });
  const endpoint = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(options.tls ? { requestHandler: { httpsAgent: new Agent({ ca: options.tls.cert }) } } : {}),
  });
  return {
    endpoint,
    requests,
    client,
    async newBucket(label = 'sluice') {
      const name = `${label}-${randomBytes(4).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
