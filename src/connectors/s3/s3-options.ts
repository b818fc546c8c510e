// The options every S3 connector shares (where the bucket is, how to reach it, which credentials) and the rules
// object keys follow, so that a sink's prefix can never leave its place in the bucket.
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { secretReference } from '../../spec/secret-reference-schema.ts';
import { clientTlsSchema } from '../../tls/client-tls.ts';
import type { InsecureOptOut } from '../../spec/component.ts';

/** S3 bucket naming rules (general purpose buckets): 3 to 63 lowercase letters, digits, dots and hyphens. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** S3 keys are at most 1024 bytes; a prefix leaves room for `<pipeline>/<run id>/part-NNNNNN.jsonl.sluice`. */
const MAX_PREFIX_BYTES = 512;
const MAX_KEY_BYTES = 1024;

/**
 * The characters AWS lists as safe in object keys ("Object key naming guidelines": letters, digits and
 * `! - _ . * ' ( )`), plus `/` between folders and `=` for Hive-style partitions (`dt=2024-01-31/`).
 */
const SAFE_KEY_CHARACTERS = /^[A-Za-z0-9!\-_.*'()/=]*$/;

/** Why a sink prefix (or a key built on it) is refused, or undefined when it is fine. Same rules as file sink names. */
export function prefixProblem(prefix: string, maxBytes = MAX_PREFIX_BYTES): string | undefined {
  if (prefix === '') return undefined;
  if (Buffer.byteLength(prefix) > maxBytes) return `it is longer than ${maxBytes} bytes`;
  if (prefix.startsWith('/')) return 'it starts with /; write it without the leading slash (exports/, not /exports/)';
  if (!SAFE_KEY_CHARACTERS.test(prefix)) return "it has a character outside letters, digits, / and ! - _ . * ' ( ) =";
  const segments = prefix.replace(/\/$/, '').split('/');
  const bad = segments.find((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad !== undefined) return `it has a '${bad || '(empty)'}' segment`;
  return undefined;
}

/** A sink prefix as a folder: empty, or ending in exactly one `/`. */
export function folderPrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** The key of `name` under a sink prefix, checked again as a whole (defence in depth: names come from code). */
export function objectKey(prefix: string, name: string): string {
  const key = folderPrefix(prefix) + name;
  const problem = prefixProblem(key, MAX_KEY_BYTES);
  if (problem !== undefined || key.endsWith('/')) {
    throw new SluiceError('SLUICE_SINK_PATH_ESCAPE', `object key ${JSON.stringify(key)} is refused: ${problem ?? 'it names a folder'}`);
  }
  return key;
}

import { isLoopbackHost } from '../loopback-host.ts';
export { isLoopbackHost };

/** Why an endpoint URL is refused as such, whatever the other options say; undefined when it is well formed. */
function endpointProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'it is not a URL; write it as https://host[:port]';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `it uses ${url.protocol}; S3 is reached over https://`;
  if (url.username !== '' || url.password !== '') return 'it carries a user name or password; credentials go in accessKeyId and secretAccessKey as secret references';
  if (url.search !== '' || url.hash !== '') return 'it has a query or fragment; give only the scheme, host, port and path';
  return undefined;
}

export const checksumModes = ['when-supported', 'when-required'] as const;

/** How a connector reaches a bucket: shared by the s3 sink and the s3 source. */
export const s3ConnectionShape = {
  bucket: z.string().regex(BUCKET, 'a bucket name is 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit').describe('The bucket.'),
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'a region is lowercase letters, digits and hyphens, e.g. eu-west-1')
    .default('us-east-1')
    .describe("The bucket's AWS region (us-east-1 by default). S3-compatible servers mostly ignore it."),
  endpoint: z
    .string()
    .superRefine((text, context) => {
      const problem = endpointProblem(text);
      if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .describe('An S3-compatible server or a VPC endpoint instead of AWS, e.g. https://minio.internal:9000. HTTPS only, except plain http:// to this machine with insecureLoopbackHttp.'),
  insecureLoopbackHttp: z
    .boolean()
    .default(false)
    .describe(
      'Allow a plain http:// endpoint on this machine (127.0.0.1, ::1, localhost), for a local test server such as s3rver or MinIO. ' +
        'Requests and their signatures then travel unencrypted on the loopback interface (objects are still sealed by Sluice). Other hosts always need https://.',
    ),
  forcePathStyle: z
    .boolean()
    .optional()
    .describe('Address the bucket in the path (https://host/bucket/key) rather than the host name. By default on when endpoint is set (most S3-compatible servers need it), off for AWS.'),
  accessKeyId: secretReference().optional().describe('The access key id, as a secret reference. Without accessKeyId and secretAccessKey the AWS SDK default chain is used (environment, shared profile, web identity, container or instance role).'),
  secretAccessKey: secretReference().optional().describe('The secret access key, as a secret reference; required with accessKeyId.'),
  sessionToken: secretReference().optional().describe('A session token for temporary credentials, as a secret reference; only with accessKeyId and secretAccessKey.'),
  checksums: z
    .enum(checksumModes)
    .optional()
    .describe(
      "Request checksums: when-supported has the SDK add a CRC checksum to every upload, which S3 verifies; when-required sends one only where S3 demands it. " +
        'By default when-supported for AWS and when-required with an endpoint, because S3-compatible servers mishandle the streamed checksum framing (s3rver stores it inside the object). ' +
        'Either way each object is authenticated by its own envelope encryption when it is read.',
    ),
  tls: clientTlsSchema.optional().describe('TLS settings for an https:// endpoint: a private CA, a client certificate, public key pins. Verification is always on.'),
};

export type S3ConnectionOptions = z.output<z.ZodObject<typeof s3ConnectionShape>>;

type IssueAdder = (path: string, message: string) => void;

/** The rules between connection options, for a superRefine of each connector's spec. */
export function checkConnection(options: S3ConnectionOptions, issue: IssueAdder): void {
  if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
    issue(options.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey', 'give accessKeyId and secretAccessKey together, or neither to use the AWS default credential chain');
  }
  if (options.sessionToken !== undefined && options.accessKeyId === undefined) issue('sessionToken', 'a sessionToken goes with accessKeyId and secretAccessKey');
  const endpoint = options.endpoint === undefined || endpointProblem(options.endpoint) !== undefined ? undefined : new URL(options.endpoint);
  if (endpoint?.protocol === 'http:') {
    if (!isLoopbackHost(endpoint.hostname)) issue('endpoint', `plain http:// is refused for ${endpoint.hostname}: use https:// (only a loopback endpoint may use http, with insecureLoopbackHttp: true)`);
    else if (!options.insecureLoopbackHttp) issue('endpoint', 'a plain http:// endpoint on this machine needs insecureLoopbackHttp: true, which says that requests travel unencrypted; or use https://');
    if (options.tls !== undefined) issue('tls', 'tls settings apply to an https:// endpoint only');
  }
  if (options.insecureLoopbackHttp && endpoint?.protocol !== 'http:') issue('insecureLoopbackHttp', 'insecureLoopbackHttp applies only to an http:// endpoint on this machine; remove it');
}

/** The endpoint requests go to, for messages: the endpoint as given, or AWS's regional one. */
export function endpointLabel(options: S3ConnectionOptions): string {
  return options.endpoint ?? `https://s3.${options.region}.amazonaws.com`;
}

/** `s3://bucket/prefix` without a trailing slash: how validation compares the places two sinks write to. */
export function s3Target(bucket: string, prefix: string): string {
  const path = prefix.replace(/\/+$/, '');
  return path === '' ? `s3://${bucket}` : `s3://${bucket}/${path}`;
}

/** The opt-outs `sluice check` reports: plain HTTP to a loopback endpoint. */
export function s3InsecureOptOuts(options: { insecureLoopbackHttp?: boolean | undefined; endpoint?: string | undefined }): InsecureOptOut[] {
  return options.insecureLoopbackHttp ? [{ at: ['insecureLoopbackHttp'], allows: `requests to ${options.endpoint ?? 'the endpoint'} in plain HTTP (loopback only)` }] : [];
}
