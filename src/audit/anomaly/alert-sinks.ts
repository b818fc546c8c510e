// Where alerts go besides the audit log: a logger (pino or anything with the same methods), and a webhook over
// HTTPS whose body is signed with HMAC-SHA256, so the receiver can tell Sluice's alerts from anyone else's posts.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors.ts';
import { backoffDelay } from '../../runtime/retry.ts';
import type { Alert } from './detector.ts';

export interface AlertSink {
  readonly name: string;
  /** Delivers one alert; rejects with SLUICE_SINK_WRITE_FAILED when it could not. */
  send(alert: Alert): Promise<void>;
}

/** The log methods an alert needs, as pino has them: an object to merge into the line, then the message. */
type LogMethod = (object: Record<string, unknown>, message: string) => void;
export interface AlertLogger {
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** Writes each alert as one log line at `level` (warn by default), the alert under `alert`. */
export class LogAlertSink implements AlertSink {
  readonly name = 'log';
  readonly #logger: AlertLogger;
  readonly #level: keyof AlertLogger;

  constructor(logger: AlertLogger, options: { level?: keyof AlertLogger } = {}) {
    this.#logger = logger;
    this.#level = options.level ?? 'warn';
  }

  send(alert: Alert): Promise<void> {
    this.#logger[this.#level]({ alert }, `anomaly: ${alert.message}`);
    return Promise.resolve();
  }
}

/** The header carrying `sha256=<hex HMAC-SHA256 of the exact body bytes>`, as GitHub's X-Hub-Signature-256. */
export const SIGNATURE_HEADER = 'x-sluice-signature';
/** HMAC keys shorter than this are refused: RFC 2104 §3 advises keys no shorter than the hash output (32 bytes). */
export const MIN_WEBHOOK_SECRET_LENGTH = 32;

export interface WebhookAlertSinkOptions {
  /** https:// only; no user:password@ (it would end up in logs). */
  url: string;
  /** The shared HMAC key, resolved from a secret reference; only reveal() gives it. */
  secret: { reveal(): string };
  /** PEM CA certificate(s) to trust instead of the system store (a private CA). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Per attempt, from connecting to the status line. */
  timeoutMs?: number;
  /** Tries in all, for 5xx, 408, 429, timeouts and broken connections; other failures are not retried. */
  attempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** For jitter in tests; Math.random by default. */
  random?: () => number;
}

const TLS_ERROR = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|EPROTO)/;

/** The signature header value for `body` under `key`. */
export function signWebhookBody(body: string | Buffer, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** For receivers: whether `header` is the signature of `body` under `secret`, compared in constant time. */
export function verifyWebhookSignature(body: string | Buffer, header: string | undefined, secret: { reveal(): string }): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signWebhookBody(body, secret.reveal()), 'utf8');
  const given = Buffer.from(header, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

type Attempt = { ok: true } | { ok: false; retryable: boolean; what: string; cause?: unknown };

/**
 * POSTs each alert as JSON to an HTTPS endpoint: TLS 1.2 or newer, certificate checked (against `ca` if given),
 * redirects not followed, the body signed in the SIGNATURE_HEADER. Each attempt is bounded by `timeoutMs`, and
 * there are at most `attempts` with exponential backoff and full jitter, so a hanging or failing receiver costs at
 * most attempts × timeoutMs plus the delays. The error names the host and the status, never the secret or the
 * URL's path and query (which may hold a token).
 */
export class WebhookAlertSink implements AlertSink {
  readonly name = 'webhook';
  readonly #url: URL;
  readonly #secret: { reveal(): string };
  readonly #options: Required<Pick<WebhookAlertSinkOptions, 'timeoutMs' | 'attempts' | 'initialDelayMs' | 'maxDelayMs' | 'random'>> & Pick<WebhookAlertSinkOptions, 'ca'>;

  /** Throws SLUICE_SETTINGS_INVALID for a URL that is not https://, credentials in it, a short secret or bad bounds. */
  constructor(options: WebhookAlertSinkOptions) {
    const problems: string[] = [];
    let url: URL | undefined;
    try {
      url = new URL(options.url);
    } catch {
      problems.push('alert webhook url: not a URL');
    }
    if (url && url.protocol !== 'https:') problems.push(`alert webhook url: ${url.protocol}// is refused, alerts are only sent over https://`);
    if (url && (url.username !== '' || url.password !== '')) problems.push('alert webhook url: remove the user:password@ part (the body is signed with the secret instead)');
    if (typeof options.secret?.reveal !== 'function' || options.secret.reveal().length < MIN_WEBHOOK_SECRET_LENGTH) {
      problems.push(`alert webhook secret: needs at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (an HMAC-SHA256 key)`);
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    const attempts = options.attempts ?? 3;
    if (!(Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= 120_000)) problems.push('alert webhook timeoutMs: a whole number of milliseconds from 1 to 120000');
    if (!(Number.isInteger(attempts) && attempts >= 1 && attempts <= 10)) problems.push('alert webhook attempts: a whole number from 1 to 10');
    if (problems.length > 0 || !url) throw new SluiceError('SLUICE_SETTINGS_INVALID', 'the alert webhook settings are not valid', { details: problems });
    this.#url = url;
    this.#secret = options.secret;
    this.#options = {
      timeoutMs,
      attempts,
      initialDelayMs: options.initialDelayMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 5000,
      random: options.random ?? Math.random,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    };
  }

  async send(alert: Alert): Promise<void> {
    const body = Buffer.from(JSON.stringify(alert), 'utf8');
    const signature = signWebhookBody(body, this.#secret.reveal());
    const { attempts } = this.#options;
    let last: Attempt = { ok: false, retryable: true, what: 'not tried' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(backoffDelay(attempt - 1, { attempts, initialDelayMs: this.#options.initialDelayMs, maxDelayMs: this.#options.maxDelayMs }, this.#options.random));
      last = await this.#post(body, signature);
      if (last.ok) return;
      if (!last.retryable) break;
    }
    const failed = last;
    const tries = failed.retryable ? ` on each of ${attempts} attempt${attempts === 1 ? '' : 's'}` : '';
    throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `the alert webhook at ${this.#url.host} ${failed.what}${tries}: check the receiver${failed.retryable ? '' : ' and the sink settings'}`, {
      cause: failed.cause,
      retryable: failed.retryable,
    });
  }

  #post(body: Buffer, signature: string): Promise<Attempt> {
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      const done = (result: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
        req.destroy();
      };
      const headers = { 'content-type': 'application/json', 'content-length': body.length, 'user-agent': 'sluice-alerts', [SIGNATURE_HEADER]: signature };
      // agent: false, so a receiver that hangs keeps no pooled socket; redirects are not followed by node:https.
      const req = request(this.#url, { method: 'POST', headers, agent: false, minVersion: 'TLSv1.2', ...(this.#options.ca !== undefined ? { ca: this.#options.ca } : {}) }, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        if (status >= 200 && status < 300) done({ ok: true });
        else done({ ok: false, retryable: status >= 500 || status === 408 || status === 429, what: `answered HTTP ${status}` });
      });
      const timer = setTimeout(() => done({ ok: false, retryable: true, what: `did not answer within ${this.#options.timeoutMs} ms` }), this.#options.timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? 'error';
        if (TLS_ERROR.test(code)) done({ ok: false, retryable: false, what: `failed the TLS handshake (${code}): give its CA certificate (ca), or fix its certificate`, cause: error });
        else done({ ok: false, retryable: true, what: `could not be reached (${code})`, cause: error });
      });
      req.end(body);
    });
  }
}

export interface AlertDeliveryFailure {
  sink: string;
  alert: Alert;
  error: unknown;
}

/**
 * Sends every alert to every sink: alerts in order within a sink, sinks side by side. A sink that fails does
 * not stop the others; the failures come back for the caller to log (the alert is in the audit log anyway).
 */
export async function sendAlerts(alerts: readonly Alert[], sinks: readonly AlertSink[]): Promise<AlertDeliveryFailure[]> {
  const perSink = await Promise.all(
    sinks.map(async (sink) => {
      const failures: AlertDeliveryFailure[] = [];
      for (const alert of alerts) {
        try {
          await sink.send(alert);
        } catch (error) {
          failures.push({ sink: sink.name, alert, error });
        }
      }
      return failures;
    }),
  );
  return perSink.flat();
}
