// A TEST DOUBLE of AWS Secrets Manager (no AWS here): an HTTPS server on 127.0.0.1 speaking the documented AWS
// JSON 1.1 protocol for secretsmanager.GetSecretValue: POST / with X-Amz-Target and application/x-amz-json-1.1,
// {ARN, Name, VersionId, SecretString | SecretBinary, VersionStages, CreatedDate} answers, and HTTP 400 errors
// whose body names the error in `__type`. It checks that requests are SigV4-signed with a known access key id
// (UnrecognizedClientException otherwise); it does not verify signatures.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { TlsFixture } from './tls-fixture.ts';

export const SM_REGION = 'eu-west-1';
export const SM_ACCOUNT = '111122223333';

/** A stored secret: a string (SecretString) or bytes (SecretBinary). */
export type StoredSecret = string | Buffer;

export interface SmCall {
  target: string;
  secretId: string | undefined;
  accessKeyId: string | undefined;
  status: number;
}

export interface SmDouble {
  endpoint: string;
  calls: SmCall[];
  switches: {
    /** Answer every GetSecretValue with AccessDeniedException. */
    accessDenied: boolean;
    /** Accept requests and never answer them. */
    hang: boolean;
  };
  /** The full ARN of a stored secret (name + '-' + six characters, as Secrets Manager makes them). */
  arnOf(name: string): string;
  close(): Promise<void>;
}

export async function startSecretsManagerDouble(tls: TlsFixture, accessKeyId: string, secrets: Record<string, StoredSecret>): Promise<SmDouble> {
  const calls: SmCall[] = [];
  const switches: SmDouble['switches'] = { accessDenied: false, hang: false };
  const suffix = (name: string) => Buffer.from(name).toString('hex').slice(0, 6).padEnd(6, 'a');
  const arnOf = (name: string) => `arn:aws:secretsmanager:${SM_REGION}:${SM_ACCOUNT}:secret:${name}-${suffix(name)}`;
  // GetSecretValue takes a name or an ARN (the full one; partial ARNs are out of scope here).
  const find = (secretId: string): string | undefined => Object.keys(secrets).find((name) => name === secretId || arnOf(name) === secretId);

  const server = createServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const credential = /^AWS4-HMAC-SHA256 Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
      let input: { SecretId?: unknown };
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: unknown };
      } catch {
        input = {};
      }
      const call: SmCall = { target, secretId: typeof input.SecretId === 'string' ? input.SecretId : undefined, accessKeyId: credential, status: 0 };
      calls.push(call);
      if (switches.hang) return; // never answered; close() drops the connection
      const reply = (status: number, body: object) => {
        call.status = status;
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(body));
      };
      const error = (type: string, message: string) => reply(400, { __type: type, message });
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.1') return error('SerializationException', 'expected a POST of application/x-amz-json-1.1');
      if (credential !== accessKeyId) return error('UnrecognizedClientException', 'The security token included in the request is invalid.');
      if (target !== 'secretsmanager.GetSecretValue') return error('UnknownOperationException', '');
      if (switches.accessDenied) {
        return error('AccessDeniedException', `User: arn:aws:iam::${SM_ACCOUNT}:user/test is not authorized to perform: secretsmanager:GetSecretValue on resource: ${call.secretId ?? ''}`);
      }
      const name = call.secretId === undefined ? undefined : find(call.secretId);
      if (name === undefined) return error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      const stored = secrets[name]!;
      return reply(200, {
        ARN: arnOf(name),
        Name: name,
        VersionId: randomUUID(),
        ...(typeof stored === 'string' ? { SecretString: stored } : { SecretBinary: stored.toString('base64') }),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_523_477_145.713,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    calls,
    switches,
    arnOf,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
