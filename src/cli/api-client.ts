// A client of the control plane API for the CLI: HTTPS under Sluice's TLS policy (plain HTTP to a loopback
// host only, for `serve --insecure-dev`), a bearer credential that no message ever quotes, and error answers
// turned back into SluiceErrors with the server's code.
import { Agent, fetch } from 'undici';
import { ERROR_CODES, SluiceError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import type { Secret } from '../secrets/secret.ts';
import { redactions } from '../secrets/redaction.ts';
import { TLS_CIPHERS, TLS_MIN_VERSION } from '../tls/cipher-policy.ts';
import { serverUrl } from './remote/server-url.ts';

export interface ApiClientOptions {
  /** The server's base URL: https://host:port, or http:// to a loopback host. */
  server: string;
  /** Sent as `Authorization: Bearer …`; absent when the client certificate alone identifies the caller. */
  credential?: Secret;
  /** CA certificates (PEM) to trust for the server instead of the system's roots. */
  ca?: string | Buffer;
  /** A client certificate and its key (PEM), for mutual TLS. */
  clientCert?: { cert: string | Buffer; key: string | Buffer };
  /** How long one request may take, connection included. Default 60 s. */
  timeoutMs?: number;
}

export type QueryValue = string | number | undefined;

/** The largest answer read: a page of 1000 audit events is far below it; anything larger is not this API. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

// RFC 6750 §2.1: b64token, the only characters a bearer credential may hold.
const BEARER_TOKEN = /^[A-Za-z0-9._~+/=-]+$/;

/** Certificate verification failures that mean the client does not trust the server's CA. */
const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE']);

/** The server closed the connection without answering. */
const CLOSED = new Set(['ECONNRESET', 'UND_ERR_SOCKET']);

/** What to do about other failed connections, by the error code Node or undici gives them. */
const CONNECT_HINTS: Record<string, string> = {
  CERT_HAS_EXPIRED: "the server's certificate has expired: renew it on the server",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet: check the clocks of both machines",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not name this host: connect by a name or address it lists, or reissue it",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a client certificate: pass --client-cert FILE and --client-key FILE',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: "the server does not trust the client certificate: use one issued by the server's client CA",
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server refused the client certificate: use one issued by its client CA',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS here: a server started with --insecure-dev is reached with http:// on loopback',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the server does not speak TLS here: a server started with --insecure-dev is reached with http:// on loopback',
  ECONNREFUSED: "nothing listens there: is 'sluice serve' running, on this port?",
  ENOTFOUND: 'the host name does not resolve: check the --server URL',
  EAI_AGAIN: 'the host name could not be resolved just now: try again',
  ETIMEDOUT: 'the server did not answer in time: check the address and the network',
  UND_ERR_CONNECT_TIMEOUT: 'the server did not answer in time: check the address and the network',
};

const RETRYABLE_CONNECT = new Set(['EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNRESET', 'UND_ERR_SOCKET', 'ECONNREFUSED']);

/** Why a server closes the connection without answering, by what this client sent. */
function closedHint(plainHttp: boolean, clientCert: boolean): string {
  if (plainHttp) return 'the server closed the connection: an HTTPS server reached with http:// does that, so use https://';
  // TLS 1.3 (RFC 8446 §4.4.2.4): a server that requires a client certificate aborts after the handshake, which
  // the client sees as a closed connection rather than an alert.
  if (!clientCert) return 'the server closed the connection: it may require a client certificate (pass --client-cert FILE and --client-key FILE); otherwise try again';
  return 'the server closed the connection: it may have refused the client certificate (use one its client CA issued); otherwise try again';
}

const TRUST_HINT = "the server's certificate was not issued by a CA this client trusts: pass --server-ca FILE (or set SLUICE_SERVER_CA) naming the CA that issued it ('sluice certs init' writes certs/ca.pem)";

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The innermost coded error of a failed fetch (undici wraps the socket's error as `cause`, sometimes twice). */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (codeOf(current) !== undefined || cause === undefined) return current;
    current = cause;
  }
  return current;
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

export class ApiClient {
  /** The server's origin (scheme, host, port): safe to show. */
  readonly origin: string;
  readonly #base: URL;
  readonly #agent: Agent;
  readonly #credential: Secret | undefined;
  readonly #timeoutMs: number;
  readonly #clientCert: boolean;

  constructor(options: ApiClientOptions) {
    this.#base = serverUrl(options.server);
    this.origin = this.#base.origin;
    if (options.credential !== undefined && !BEARER_TOKEN.test(options.credential.reveal())) {
      throw new SluiceError('SLUICE_USAGE', `the credential that ${options.credential.reference} names is not a bearer token (letters, digits and ._~+/=- only): check what it holds`);
    }
    this.#credential = options.credential;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#clientCert = options.clientCert !== undefined;
    this.#agent = new Agent({
      connect: {
        minVersion: TLS_MIN_VERSION,
        ciphers: TLS_CIPHERS,
        timeout: Math.min(this.#timeoutMs, 10_000),
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.clientCert !== undefined ? { cert: options.clientCert.cert, key: options.clientCert.key } : {}),
      },
    });
  }

  get(path: string, query: Record<string, QueryValue> = {}): Promise<unknown> {
    return this.request('GET', path, query);
  }

  post(path: string): Promise<unknown> {
    return this.request('POST', path, {});
  }

  /** PUTs `body` as JSON. */
  put(path: string, body: unknown): Promise<unknown> {
    return this.request('PUT', path, {}, body);
  }

  /** Sends a request to `path` (under /api/v1, already encoded) and returns the parsed JSON answer, or throws a SluiceError. */
  async request(method: 'GET' | 'POST' | 'PUT', path: string, query: Record<string, QueryValue>, body?: unknown): Promise<unknown> {
    const url = new URL(this.#base.pathname.replace(/\/+$/, '') + path, this.#base);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#credential !== undefined) headers.authorization = `Bearer ${this.#credential.reveal()}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    let text: string;
    try {
      // Redirects are not followed: one could carry the credential to another host or down to plain HTTP.
      response = await fetch(url, { method, headers, redirect: 'manual', dispatcher: this.#agent, signal: AbortSignal.timeout(this.#timeoutMs), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      text = await this.#readAnswer(response.body);
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      throw this.#connectFailure(method, path, error);
    }
    if (response.status >= 300 && response.status < 400) {
      throw new SluiceError('SLUICE_SOURCE_FAILED', `${this.origin} answered ${response.status} with a redirect${response.headers.get('location') ? ` to ${response.headers.get('location')}` : ''}; point --server at the address that answers itself`);
    }
    if (!response.ok) throw this.#errorAnswer(response.status, text);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SluiceError('SLUICE_SOURCE_FAILED', `${this.origin} answered ${method} ${path} with something that is not JSON: is --server the base URL of a Sluice control plane?`);
    }
  }

  /** The answer's body as text, refused past MAX_ANSWER_BYTES rather than held in memory. */
  async #readAnswer(body: ReadableStream<Uint8Array> | null): Promise<string> {
    if (body === null) return '';
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      // Leaving the loop by a throw cancels the stream (the iterator's return()).
      if (size > MAX_ANSWER_BYTES) {
        throw new SluiceError('SLUICE_SOURCE_FAILED', `${this.origin} answered with more than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB: is --server the base URL of a Sluice control plane?`);
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #errorAnswer(status: number, text: string): SluiceError {
    let body: { error?: { code?: unknown; message?: unknown; requestId?: unknown; details?: unknown } } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    const error = body?.error;
    // A retry may help when the server is busy or throttling, never when it refused the request itself.
    const retryable = status === 429 || status >= 500;
    if (typeof error?.message !== 'string') {
      return new SluiceError('SLUICE_SOURCE_FAILED', `${this.origin} answered ${status} without a Sluice error: is --server the base URL of a Sluice control plane?`, { retryable });
    }
    const code = isErrorCode(error.code) ? error.code : 'SLUICE_SOURCE_FAILED';
    const request = typeof error.requestId === 'string' ? ` (request ${error.requestId})` : '';
    const hint = status === 401 && this.#credential === undefined ? "; no credential was sent: set SLUICE_API_KEY, or pass --credential env://NAME or file:///path" : '';
    const details = Array.isArray(error.details) ? error.details.filter((d): d is string => typeof d === 'string').map((d) => redactions.scrub(d)) : [];
    return new SluiceError(code, redactions.scrub(`the server answered ${status}: ${error.message}${request}${hint}`), { details, retryable });
  }

  #connectFailure(method: string, path: string, error: unknown): SluiceError {
    if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
      return new SluiceError('SLUICE_IO_FAILED', `${method} ${this.origin}${path} got no answer within ${this.#timeoutMs / 1000} s: try again, or check the server's log`, { cause: error, retryable: true });
    }
    const cause = rootCause(error);
    const code = codeOf(cause);
    const hint = code === undefined ? undefined : UNTRUSTED.has(code) ? TRUST_HINT : CLOSED.has(code) ? closedHint(this.#base.protocol === 'http:', this.#clientCert) : CONNECT_HINTS[code];
    const detail = code ?? (cause instanceof Error ? cause.message : String(cause));
    return new SluiceError('SLUICE_IO_FAILED', redactions.scrub(`cannot reach ${this.origin} (${detail})${hint ? `: ${hint}` : ''}`), { cause: error, retryable: code !== undefined && RETRYABLE_CONNECT.has(code) });
  }
}
