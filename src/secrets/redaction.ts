// The redaction registry: every secret value Sluice resolves is registered here, and every output path (log
// lines, CLI output and errors, run errors in the state store, quarantine records, API answers) passes its
// text through scrub(). That catches the leaks a type cannot: a remote that echoes a token back in a 401
// body, a driver whose exception message quotes a connection string.
import { REDACTED } from './secret.ts';

/**
 * Values shorter than this are not scrubbed: blanking every "1234" or "admin" would garble ordinary output
 * and make scrubbing a denial of service on the logs. Resolving one logs a warning (see SecretResolver).
 */
export const MIN_SCRUBBED_LENGTH = 6;

/** The encodings a value travels in: as written, JSON-escaped, URL-encoded, and base64 (an auth header). */
export function encodingsOf(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  // A base64 form ends with padding that depends on what follows it in a longer encoding: match without it.
  const base64 = [bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')];
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), ...base64]);
  return [...forms].filter((form) => form.length >= MIN_SCRUBBED_LENGTH);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export class RedactionRegistry {
  readonly #values = new Set<string>();
  #pattern: RegExp | undefined;

  /** Registers a secret value (and its usual encodings). Short values are not registered: see MIN_SCRUBBED_LENGTH. */
  register(value: string): boolean {
    if (value.length < MIN_SCRUBBED_LENGTH) return false;
    let added = false;
    for (const form of encodingsOf(value)) {
      if (!this.#values.has(form)) {
        this.#values.add(form);
        added = true;
      }
    }
    if (added) this.#pattern = undefined;
    return true;
  }

  /** Forgets a value (a secret that was rotated out and is no longer in use anywhere). */
  unregister(value: string): void {
    for (const form of encodingsOf(value)) this.#values.delete(form);
    this.#pattern = undefined;
  }

  get size(): number {
    return this.#values.size;
  }

  /** `text` with every registered value replaced by [REDACTED]. */
  scrub(text: string): string {
    if (this.#values.size === 0) return text;
    // One alternation, longest first so a value containing another is replaced whole.
    this.#pattern ??= new RegExp([...this.#values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
    return text.replace(this.#pattern, REDACTED);
  }

  /** A copy of a JSON-like value with every string (keys included) scrubbed: for API answers and summaries. */
  scrubDeep<T>(value: T): T {
    if (this.#values.size === 0) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.scrub(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.scrub(k), walk(x)]));
      }
      return v;
    };
    return walk(value) as T;
  }
}

/**
 * The process's registry. Process-wide on purpose: a secret resolved by any component must be scrubbed from
 * every output of the process, and outputs (the logger, the CLI streams) are process-wide too.
 */
export const redactions = new RedactionRegistry();
