// HTTPS test servers on 127.0.0.1 for the http source: one handler per test, the requests each server saw,
// and the certificate written to a file for the source's tls.ca. Real node:https servers, not doubles.
import { createServer } from 'node:https';
import type { ServerOptions } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsFixture } from './tls-fixture.ts';

export interface SeenRequest {
  method: string;
  /** The path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request; what it returns (a promise, the response from writeHead) is awaited and ignored. */
export type Handler = (request: SeenRequest, response: ServerResponse, raw: IncomingMessage) => unknown;

export interface HttpsTestServer {
  port: number;
  /** https://127.0.0.1:<port> */
  origin: string;
  url(path: string): string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts an HTTPS server on 127.0.0.1 with `tls`'s certificate. `options` adds mTLS settings and the like. */
export async function startHttpsServer(tls: TlsFixture, handler: Handler, options: ServerOptions = {}): Promise<HttpsTestServer> {
  const requests: SeenRequest[] = [];
  const server = createServer({ key: tls.key, cert: tls.cert, ...options }, (raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const seen = { method: raw.method ?? 'GET', path: raw.url ?? '/', headers: raw.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(seen);
      Promise.resolve(handler(seen, response, raw)).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `https://127.0.0.1:${port}`;
  return {
    port,
    origin,
    url: (path) => `${origin}${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // Endless test bodies keep their sockets open: close them rather than wait.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with a JSON body. */
export function sendJson(response: ServerResponse, value: unknown, status = 200, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
  response.end(body);
}

/** The certificate as a PEM file in a new temporary folder (the folder is the spec's baseDir). */
export function caFile(tls: TlsFixture): { dir: string; ca: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-http-'));
  writeFileSync(join(dir, 'ca.pem'), tls.cert);
  return { dir, ca: 'ca.pem' };
}

/**
 * A throwaway RSA certificate for 127.0.0.1, for the pin tests: node:tls gives a peer's RSA key as SPKI DER
 * (what pins hash) but an EC key as its bare point, so pins of EC servers need src/tls to read the raw cert.
 */
export function rsaCertificate(): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tls-rsa-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}
