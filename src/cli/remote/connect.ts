// Opens the API client a remote verb uses: the CA and client certificate files read, the credential resolved
// from its reference with the bootstrap providers (env:// and file://: a remote verb opens no state store) and,
// through the resolver, registered for redaction before anything can print it.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { ApiClient } from '../api-client.ts';
import { SluiceError, ioFailure } from '../../errors.ts';
import { SecretResolver } from '../../secrets/resolve/secret-resolver.ts';
import { EnvSecretProvider } from '../../secrets/resolve/env-provider.ts';
import { FileSecretProvider } from '../../secrets/resolve/file-provider.ts';
import type { Secret } from '../../secrets/secret.ts';
import type { RemoteTarget } from './remote-target.ts';

async function readPem(cwd: string, file: string, what: string, marker: RegExp): Promise<Buffer> {
  let pem: Buffer;
  try {
    pem = await readFile(resolve(cwd, file));
  } catch (error) {
    throw ioFailure('SLUICE_IO_FAILED', `cannot read the ${what} ${file}`, error);
  }
  // Checked here: a file that is not PEM would otherwise fail later as an obscure TLS error.
  if (!marker.test(pem.toString('latin1'))) throw new SluiceError('SLUICE_USAGE', `${file} holds no PEM ${what}: give the file that starts with '-----BEGIN …-----'`);
  return pem;
}

async function resolveCredential(reference: string): Promise<Secret> {
  const resolver = new SecretResolver({ providers: [new EnvSecretProvider(), new FileSecretProvider()] });
  try {
    return await resolver.resolve(reference);
  } finally {
    await resolver.close();
  }
}

/** The client for `target`; the caller closes it. */
export async function openApiClient(target: RemoteTarget, cwd: string): Promise<ApiClient> {
  const certificate = /-----BEGIN CERTIFICATE-----/;
  const ca = target.serverCa !== undefined ? await readPem(cwd, target.serverCa, 'CA certificate (--server-ca)', certificate) : undefined;
  const clientCert =
    target.clientCert !== undefined && target.clientKey !== undefined
      ? { cert: await readPem(cwd, target.clientCert, 'client certificate (--client-cert)', certificate), key: await readPem(cwd, target.clientKey, 'private key (--client-key)', /-----BEGIN [A-Z ]*PRIVATE KEY-----/) }
      : undefined;
  const credential = target.credential !== undefined ? await resolveCredential(target.credential) : undefined;
  return new ApiClient({ server: target.server, ...(credential ? { credential } : {}), ...(ca ? { ca } : {}), ...(clientCert ? { clientCert } : {}) });
}

/** Runs `work` with a client of the server the global options name, and closes it after. */
export async function withApiClient<T>(context: CliContext, work: (client: ApiClient) => Promise<T>): Promise<T> {
  const target = context.global.remote;
  if (target === undefined) throw new Error('withApiClient called without --server');
  const client = await openApiClient(target, context.cwd);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
