// A syslog sender over TLS (RFC 5425): one connection to a collector that carries octet-counted frames. TLS 1.2 or
// newer, the collector's certificate always checked against the CA given (RFC 5425 §5: the transport must
// authenticate the collector), an optional client certificate for mutual TLS, bounded waits everywhere.
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { SluiceError } from '../../errors.ts';

export interface SyslogTlsOptions {
  host: string;
  port: number;
  /** PEM certificate(s) of the CA that issued the collector's certificate. */
  ca: string | Buffer | (string | Buffer)[];
  /** A client certificate (PEM) for collectors that require mutual TLS; with `key`. */
  cert?: string | Buffer;
  /** The client certificate's private key (PEM). Never printed, never part of an error. */
  key?: string | Buffer;
  /** The name expected in the collector's certificate (and sent as SNI); default the host, unless it is an address. */
  servername?: string;
  /** From the TCP connect to the end of the TLS handshake (default 10 s). */
  connectTimeoutMs?: number;
  /** How long the collector may stop reading before a send fails (default 30 s). */
  drainTimeoutMs?: number;
  /** After the handshake, how long to wait for a sign the collector accepted it (a session ticket; default 500 ms). */
  acceptanceWaitMs?: number;
  /** How long a clean close may take before the connection is dropped (default 5 s). */
  closeTimeoutMs?: number;
}

/** Error codes of a failed handshake or certificate check, as node:tls and OpenSSL name them. */
const TLS_ERROR = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|EPROTO)/;

/** "host:port", with brackets around an IPv6 address. */
export function collectorName(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

function failure(collector: string, what: string, cause?: unknown, retryable = true): SluiceError {
  return new SluiceError('SLUICE_SINK_WRITE_FAILED', `the syslog collector at ${collector} ${what}`, { cause, retryable });
}

/** What went wrong with a socket error, in words that say what to do; only the error code is quoted. */
function describe(collector: string, error: NodeJS.ErrnoException, phase: 'connect' | 'send'): SluiceError {
  const code = error.code ?? 'error';
  // An alert the collector sent about our side of the handshake: it wants a client certificate it trusts.
  if (/ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)$/.test(code)) {
    return failure(collector, `refused the client certificate (${code}): give --cert and --key with a certificate its CA issued`, error, false);
  }
  if (TLS_ERROR.test(code)) {
    return failure(collector, `failed the TLS handshake (${code}): check that --ca holds the CA that issued its certificate, that the certificate names the host (or give --servername), and that it speaks TLS 1.2 or newer`, error, false);
  }
  if (phase === 'connect') return failure(collector, `could not be reached (${code})`, error);
  return failure(collector, `closed the connection (${code})`, error);
}

/**
 * One TLS connection to a syslog collector. `connect` resolves once the handshake succeeded and the collector's
 * certificate verified; `send` writes a frame and waits while the collector is not reading (backpressure);
 * `close` ends the connection cleanly and reports any error the collector raised on the way.
 */
export class SyslogTlsClient {
  readonly collector: string;
  readonly #socket: TLSSocket;
  readonly #drainTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  #failure: SluiceError | undefined;
  #closed = false;
  #ending = false;
  #brokenListeners: ((error: SluiceError) => void)[] = [];

  private constructor(socket: TLSSocket, collector: string, options: SyslogTlsOptions) {
    this.#socket = socket;
    this.collector = collector;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    socket.on('error', (error: NodeJS.ErrnoException) => this.#fail(describe(collector, error, 'send')));
    // A collector never closes first: if it does, whatever was sent since it stopped reading may be lost.
    const hungUp = () => {
      if (!this.#ending) this.#fail(failure(collector, 'closed the connection'));
    };
    socket.on('end', hungUp);
    socket.on('close', () => {
      hungUp();
      this.#closed = true;
    });
    // A long tail may sit idle for hours: keepalives find a collector that vanished.
    socket.setKeepAlive(true, 30_000);
  }

  static connect(options: SyslogTlsOptions): Promise<SyslogTlsClient> {
    const collector = collectorName(options.host, options.port);
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const settleMs = Math.min(options.acceptanceWaitMs ?? 500, timeoutMs);
    // RFC 6066 §3: SNI carries host names only, never addresses; an address is then checked against the IP SANs.
    const servername = options.servername ?? (isIP(options.host) === 0 ? options.host : undefined);
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: options.host,
        port: options.port,
        ca: options.ca,
        ...(options.cert !== undefined ? { cert: options.cert } : {}),
        ...(options.key !== undefined ? { key: options.key } : {}),
        ...(servername !== undefined ? { servername } : {}),
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
      });
      let settled = false;
      let handshaken = false;
      let acceptance: NodeJS.Timeout | undefined;
      const settle = (error: SluiceError | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(acceptance);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.off('session', onSession);
        if (error) {
          socket.destroy();
          reject(error);
        } else resolve(new SyslogTlsClient(socket, collector, options));
      };
      const onError = (error: NodeJS.ErrnoException) => settle(describe(collector, error, 'connect'));
      const onClose = () =>
        settle(
          handshaken
            ? failure(collector, 'closed the connection right after the TLS handshake: if it requires a client certificate, give --cert and --key with one its CA issued', undefined, false)
            : failure(collector, 'closed the connection during the TLS handshake: is it a TLS listener?'),
        );
      // Emitted from inside OpenSSL's read: writing before it returns would corrupt the record stream.
      const onSession = () => setImmediate(() => settle(undefined));
      const timer = setTimeout(() => settle(failure(collector, `did not complete the TLS handshake within ${timeoutMs} ms: check the address, and that it is a TLS listener`)), timeoutMs);
      socket.once('secureConnect', () => {
        handshaken = true;
        // In TLS 1.3 the client's side of the handshake completes before the server has checked the client's
        // certificate: a server that refuses it says so afterwards, with an alert or by closing, and whatever was
        // sent meanwhile is lost (syslog has no acknowledgements). A server that accepted sends its session
        // tickets (RFC 8446 §4.6.1) at once: wait for one, or for a moment for servers that send none.
        acceptance = setTimeout(() => settle(undefined), settleMs);
      });
      socket.on('session', onSession);
      socket.on('error', onError);
      socket.on('close', onClose);
    });
  }

  /** Writes one frame; waits (at most drainTimeoutMs) while the collector is not keeping up. */
  async send(frame: Uint8Array): Promise<void> {
    this.#throwIfBroken();
    if (this.#socket.write(frame)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: SluiceError) => {
        clearTimeout(timer);
        this.#socket.off('drain', onDrain);
        this.#socket.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(this.#failure ?? failure(this.collector, 'closed the connection'));
      const timer = setTimeout(() => {
        this.#fail(failure(this.collector, `stopped reading for ${this.#drainTimeoutMs} ms`));
        this.#socket.destroy();
        done(this.#failure);
      }, this.#drainTimeoutMs);
      this.#socket.on('drain', onDrain);
      this.#socket.on('close', onClose);
    });
  }

  /** Ends the connection (TLS close_notify, then FIN) and waits for the collector to close its side. */
  async close(): Promise<void> {
    if (!this.#closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.#socket.destroy(), this.#closeTimeoutMs);
        this.#socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        this.#ending = true;
        // RFC 5425 §4.4: the sender closes with a TLS close_notify (end() sends it, then the FIN).
        this.#socket.end();
      });
    }
    if (this.#failure) throw this.#failure;
  }

  /** Calls `listener` once, when the connection breaks (an idle tail learns of it before its next event). */
  onBroken(listener: (error: SluiceError) => void): void {
    if (this.#failure) listener(this.#failure);
    else this.#brokenListeners.push(listener);
  }

  /** Drops the connection at once (after a failure elsewhere). */
  destroy(): void {
    this.#socket.destroy();
  }

  #fail(error: SluiceError): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const listener of this.#brokenListeners.splice(0)) listener(error);
  }

  #throwIfBroken(): void {
    if (this.#failure) throw this.#failure;
    if (this.#closed || this.#socket.destroyed) throw failure(this.collector, 'closed the connection');
  }
}
