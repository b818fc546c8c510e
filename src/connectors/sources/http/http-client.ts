// One JSON request of the http source, done safely: every hop checked against the egress allowlist, redirects
// followed by hand (credentials never cross to another origin), a deadline over the whole exchange, retries
// of 429/5xx and network failures, one credential renewal after a 401, and errors that name the URL without
// its query values and never quote a response body.
import { STATUS_CODES } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { SluiceError } from '../../../errors.ts';
import type { Authenticator } from './auth.ts';
import { withoutCredentialParameters } from './auth.ts';
import { readJsonBody } from './body-reader.ts';
import type { EgressPolicy } from './egress-policy.ts';
import { lowerCaseHeaders } from './headers.ts';
import { isRetryableStatus, isTransientNetworkError, networkCode, parseRetryAfter, retryDelay } from './retry-policy.ts';
import type { HttpRetrySettings } from './retry-policy.ts';
import { displayUrl } from './safe-url.ts';

export interface HttpTimeouts {
  /** TCP and TLS handshake. */
  connectMs: number;
  /** From the request sent to the response headers, and the longest pause between two body chunks. */
  headersMs: number;
  /** The whole exchange, redirects and body included: a body that trickles in byte by byte ends here. */
  requestMs: number;
}

export interface HttpClientOptions {
  dispatcher: Dispatcher;
  policy: EgressPolicy;
  /** Non-secret headers sent with every request. */
  headers?: Readonly<Record<string, string>>;
  /** The credentials, and the one origin they are sent to. */
  auth?: { authenticator: Authenticator; origin: string };
  timeouts: HttpTimeouts;
  retry: HttpRetrySettings;
  maxResponseBytes: number;
  maxRedirects: number;
  /** The run's shutdown signal: a request in flight is abandoned. */
  signal?: AbortSignal;
  /** Called with the size of each body read, for progress. */
  onBytes?: (bytes: number) => void;
  now?: () => number;
  /** Waits between attempts; tests shorten it. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface HttpRequest {
  url: URL;
  /** Names the request in messages: "page 3", "the OAuth2 token request". */
  label: string;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Readonly<Record<string, string>>;
  /** Hand back a 4xx answer (with its JSON, if any) instead of failing: the token endpoint's errors. */
  returnClientErrors?: boolean;
}

export interface HttpAnswer {
  /** The URL that answered, after redirects. */
  url: URL;
  status: number;
  headers: IncomingHttpHeaders;
  value: unknown;
  bytes: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'sluice-http-source/1';

/** One attempt's outcome, short of success. */
type Setback = { kind: 'unauthorized' } | { kind: 'retry'; error: SluiceError; retryAfterMs?: number };

/** Waits `ms`, or less when the run stops. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, undefined, signal ? { signal } : {});
}

function statusText(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

/** Reads and drops a body we do not use, so the connection can be reused; a huge one is cut off instead. */
async function discard(response: Dispatcher.ResponseData): Promise<void> {
  await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
}

export class HttpClient {
  readonly #o: HttpClientOptions;
  readonly #headers: Record<string, string>;

  constructor(options: HttpClientOptions) {
    this.#o = options;
    // identity: undici does not decompress, and a compressed body would slip past maxResponseBytes as a bomb.
    this.#headers = { accept: 'application/json', 'accept-encoding': 'identity', 'user-agent': USER_AGENT, ...lowerCaseHeaders(options.headers) };
  }

  /** The JSON answer to `request`, after redirects, retries and at most one credential renewal. */
  async request(request: HttpRequest): Promise<HttpAnswer> {
    const { retry } = this.#o;
    const where = `${displayUrl(request.url)} (${request.label})`;
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      let setback: Setback | HttpAnswer;
      try {
        setback = await this.#attempt(request, where);
      } catch (error) {
        const failure = this.#classify(error, where);
        if (!failure.retryable || attempt >= retry.attempts) throw failure;
        setback = { kind: 'retry', error: failure };
      }
      if (!('kind' in setback)) return setback;
      if (setback.kind === 'unauthorized') {
        const authenticator = this.#o.auth?.authenticator;
        if (!authenticator) throw new SluiceError('SLUICE_SOURCE_FAILED', `${where} answered 401 Unauthorized`);
        if (!renewed) {
          // An expired token: read (or fetch) the credentials afresh and try once more, not counted as a retry.
          renewed = true;
          authenticator.renew();
          attempt--;
          continue;
        }
        authenticator.refused();
        throw new SluiceError(
          'SLUICE_SECRET_DENIED',
          `${where} refused the credentials from ${authenticator.references.join(' and ')} (401 Unauthorized), again after they were read afresh; ` +
            'check that the secret holds a valid, unexpired credential for this API',
        );
      }
      if (attempt >= retry.attempts) throw setback.error;
      await (this.#o.wait ?? pause)(retryDelay(attempt, setback.retryAfterMs, retry), this.#o.signal);
    }
  }

  /** One try: the exchange under its deadline, its answer read, or why it fell short. */
  async #attempt(request: HttpRequest, where: string): Promise<Setback | HttpAnswer> {
    const { signal, timeouts } = this.#o;
    const deadline = AbortSignal.timeout(timeouts.requestMs);
    const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      const { response, url, credentialed } = await this.#follow(request, where, both);
      const status = response.statusCode;
      const finalWhere = url.href === request.url.href ? where : `${where}, redirected to ${displayUrl(url)}`;
      const clientError = request.returnClientErrors === true && status >= 400 && status < 500 && status !== 408 && status !== 429;
      if ((status >= 200 && status < 300) || clientError) {
        const body = await readJsonBody(response, finalWhere, this.#o.maxResponseBytes).catch((error: unknown) => {
          if (clientError && error instanceof SluiceError) return { value: undefined, bytes: 0 };
          throw error;
        });
        this.#o.onBytes?.(body.bytes);
        return { url, status, headers: response.headers, value: body.value, bytes: body.bytes };
      }
      await discard(response);
      if (status === 401 && credentialed) return { kind: 'unauthorized' };
      if (isRetryableStatus(status)) {
        const retryAfterMs = parseRetryAfter(response.headers['retry-after'], (this.#o.now ?? Date.now)());
        const error = new SluiceError('SLUICE_SOURCE_FAILED', `${finalWhere} answered ${statusText(status)} ${this.#o.retry.attempts} times; the API is overloaded or down: run again later`, { retryable: true });
        return { kind: 'retry', error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
      }
      throw statusError(finalWhere, status, credentialed);
    } catch (error) {
      if (deadline.aborted && !signal?.aborted && !(error instanceof SluiceError)) {
        const message = `${where} did not answer in full within ${timeouts.requestMs} ms (timeouts.requestMs); the API is slow or stalled: run again later, or raise the timeout`;
        throw new SluiceError('SLUICE_SOURCE_FAILED', message, { cause: error, retryable: true });
      }
      throw error;
    }
  }

  /** Sends the request and follows redirects by hand, each target checked and stripped of credentials off-origin. */
  async #follow(request: HttpRequest, where: string, signal: AbortSignal): Promise<{ response: Dispatcher.ResponseData; url: URL; credentialed: boolean }> {
    const { auth, dispatcher, policy, timeouts } = this.#o;
    let url = request.url;
    // Once a redirect leaves the API's origin, the rest of the chain never carries the credentials (as fetch does).
    let sameOrigin = auth !== undefined && url.origin === auth.origin;
    for (let hop = 0; ; hop++) {
      policy.checkUrl(url, hop === 0 ? where : `${where} redirected to ${displayUrl(url)}`);
      const credentials = sameOrigin && auth ? await auth.authenticator.headers() : {};
      // A key in the query goes only to the API's origin: taken out of every URL (the one returned, stored in
      // positions and shown in errors included), and added to the request there.
      url = withoutCredentialParameters(url, auth?.authenticator);
      let sent = url;
      if (sameOrigin && auth?.authenticator.query) {
        sent = new URL(url.href);
        for (const [name, value] of Object.entries(await auth.authenticator.query())) sent.searchParams.set(name, value);
      }
      const response = await dispatcher.request({
        origin: sent.origin,
        path: `${sent.pathname}${sent.search}`,
        method: request.method ?? 'GET',
        headers: { ...this.#headers, ...lowerCaseHeaders(request.headers), ...credentials },
        body: request.body ?? null,
        signal,
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.headersMs,
      });
      if (!REDIRECTS.has(response.statusCode)) return { response, url, credentialed: sameOrigin };
      const location = response.headers.location;
      await discard(response);
      const fail = (why: string) => new SluiceError('SLUICE_SOURCE_FAILED', `${where} ${why}`);
      if (typeof location !== 'string' || location === '') throw fail(`answered ${statusText(response.statusCode)} without a Location`);
      if ((request.method ?? 'GET') !== 'GET') throw fail(`redirected a ${request.method ?? ''} request; point the option at the final URL`);
      if (hop >= this.#o.maxRedirects) throw fail(`redirected more than maxRedirects (${this.#o.maxRedirects}) times`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw fail('redirected to a Location that is not a URL');
      }
      if (next.username !== '' || next.password !== '') throw fail('redirected to a URL with credentials in it');
      next.hash = '';
      if (next.origin !== url.origin) sameOrigin = false;
      url = next;
    }
  }

  /** A failure as a SluiceError that says where and whether trying again may help. */
  #classify(error: unknown, where: string): SluiceError {
    if (error instanceof SluiceError) return error;
    const code = networkCode(error);
    if (this.#o.signal?.aborted) return new SluiceError('SLUICE_SOURCE_FAILED', `${where} was abandoned: the run is stopping`, { cause: error });
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
      const which = code === 'UND_ERR_CONNECT_TIMEOUT' ? `connect within ${this.#o.timeouts.connectMs} ms (timeouts.connectMs)` : `answer within ${this.#o.timeouts.headersMs} ms (timeouts.headersMs)`;
      return new SluiceError('SLUICE_SOURCE_FAILED', `${where} did not ${which}; run again later, or raise the timeout`, { cause: error, retryable: true });
    }
    const detail = error instanceof Error ? error.message : String(error);
    if (isTransientNetworkError(error)) {
      const cut = code === 'UND_ERR_SOCKET' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' ? ' (the connection closed early: a body cut short gives no partial batch)' : '';
      return new SluiceError('SLUICE_SOURCE_FAILED', `${where} failed: ${code ?? 'network error'}: ${detail}${cut}; run again later`, { cause: error, retryable: true });
    }
    if (code !== undefined && /CERT|TLS|SSL|SELF_SIGNED|ALTNAME|HANDSHAKE/.test(code)) {
      return new SluiceError('SLUICE_SOURCE_FAILED', `${where}: the TLS handshake failed (${code}: ${detail}); check the server certificate, tls.ca and tls.servername`, { cause: error });
    }
    if (/pinned public keys/.test(detail)) {
      return new SluiceError('SLUICE_SOURCE_FAILED', `${where}: ${detail}; the server's key changed or tls.pins is wrong`, { cause: error });
    }
    return new SluiceError('SLUICE_SOURCE_FAILED', `${where} failed: ${code ?? 'error'}: ${detail}`, { cause: error });
  }
}

/** The error for an answer that is neither data, a redirect, nor worth a retry. */
function statusError(where: string, status: number, credentialed: boolean): SluiceError {
  const fix =
    status === 401
      ? credentialed
        ? 'check the credentials'
        : 'no credentials were sent (auth is not set, or the request had left the API\'s origin)'
      : status === 403
        ? 'the credentials may not read this: check their permissions or scopes'
        : status === 404 || status === 410
          ? 'check the url'
          : status < 500
            ? 'check the url, its query parameters and the headers'
            : 'the API cannot serve this request';
  return new SluiceError('SLUICE_SOURCE_FAILED', `${where} answered ${statusText(status)}; ${fix}`);
}
