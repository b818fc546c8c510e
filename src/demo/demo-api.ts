// The quickstart's demo API: a small HTTPS JSON API on loopback that serves customer records page by page to
// a bearer token, as a CRM's API would. It exists so the quickstart runs the classic case end to end on one
// machine; it is not a production server.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { TLS_CIPHERS, TLS_MIN_VERSION } from '../tls/cipher-policy.ts';

/** What the demo API serves and how. */
export interface DemoApiOptions {
  /** The records, served in order. */
  records: readonly unknown[];
  /** The bearer token a client must send. */
  token: string;
  /** The server certificate and key (PEM). */
  cert: string;
  key: string;
  /** Records per page (default 100). */
  pageSize?: number;
  host?: string;
  /** 0 picks a free port. */
  port: number;
}

export interface DemoApi {
  /** The first page's URL, e.g. https://127.0.0.1:8443/v1/customers. */
  url: string;
  port: number;
  /** How many requests it answered (each page is one). */
  requests(): number;
  close(): Promise<void>;
}

const PATH = '/v1/customers';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares the presented token with the expected one in constant time (over their digests, so lengths don't leak). */
function authorized(request: IncomingMessage, expected: Buffer): boolean {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer (\S+)$/.exec(header);
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * Starts the demo API: `GET /v1/customers[?cursor=N]` answers `{"data": [...], "next": "<url>" | null}` to a
 * request with the right bearer token, 401 otherwise.
 */
export async function startDemoApi(options: DemoApiOptions): Promise<DemoApi> {
  const expected = digest(options.token);
  const pageSize = options.pageSize ?? 100;
  const host = options.host ?? '127.0.0.1';
  let served = 0;
  let base = '';
  const server: Server = createServer({ cert: options.cert, key: options.key, minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS }, (request, response) => {
    served++;
    const url = new URL(request.url ?? '/', base);
    if (request.method !== 'GET' || url.pathname !== PATH) return send(response, 404, { error: 'not found' });
    if (!authorized(request, expected)) return send(response, 401, { error: 'a valid bearer token is required' }, { 'www-authenticate': 'Bearer realm="demo"' });
    const cursor = Number(url.searchParams.get('cursor') ?? '0');
    if (!Number.isInteger(cursor) || cursor < 0) return send(response, 400, { error: 'cursor must be a whole number' });
    const data = options.records.slice(cursor, cursor + pageSize);
    const nextCursor = cursor + data.length;
    send(response, 200, { data, next: nextCursor < options.records.length ? `${base}${PATH}?cursor=${nextCursor}` : null });
  });
  server.listen(options.port, host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  base = `https://${host}:${port}`;
  return {
    url: `${base}${PATH}`,
    port,
    requests: () => served,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
