// Calls from a pipeline thread to the thread that started it, over a MessagePort: the state store, the key
// provider and the secret resolver stay where they were opened (one SQLite connection, one HSM session, one
// resolver cache), and the threads reach them by name. Errors come back with their code and a scrubbed message;
// bytes come back as Buffers, as the callers expect.
import type { MessagePort } from 'node:worker_threads';
import { isRetryable, isSluiceError, SluiceError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import { redactions } from '../../secrets/redaction.ts';

/** A call as it crosses: which object, which method, the (structured-cloneable) arguments. */
export interface CallMessage {
  kind: 'call';
  id: number;
  target: string;
  method: string;
  args: unknown[];
}

/** The answer to call `id`: a value or an error's code and message. */
export interface ReplyMessage {
  kind: 'reply';
  id: number;
  value?: unknown;
  error?: { code?: string; errno?: string; retryable: boolean; message: string };
}

/** What the answering side exposes: objects by name, each a set of async methods. */
export type CallTargets = Record<string, Record<string, (...args: never[]) => unknown>>;

/** Answers one call against `targets`; the reply never carries a secret the resolver knows. */
export async function answerCall(targets: CallTargets, message: CallMessage): Promise<ReplyMessage> {
  try {
    const target = targets[message.target];
    const method = target?.[message.method];
    if (typeof method !== 'function') throw new SluiceError('SLUICE_THREAD', `a pipeline thread called ${message.target}.${message.method}, which the run does not offer`);
    const value: unknown = await (method as (...args: unknown[]) => unknown).apply(target, message.args.map(reviveBuffers));
    return { kind: 'reply', id: message.id, value };
  } catch (error) {
    const text = redactions.scrub(error instanceof Error ? error.message : String(error));
    const errno = (error as { code?: unknown } | null)?.code;
    const code = isSluiceError(error) ? { code: error.code } : typeof errno === 'string' ? { errno } : {};
    return { kind: 'reply', id: message.id, error: { ...code, retryable: isRetryable(error), message: text } };
  }
}

/** Turns the Uint8Arrays a structured clone makes of Buffers back into Buffers (no copy), at any depth. */
export function reviveBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(reviveBuffers);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = reviveBuffers(inner);
    return out;
  }
  return value;
}

/** The error a reply carries, as the caller would have seen it: its code, and whether a retry may succeed. */
function replyError(error: NonNullable<ReplyMessage['error']>): Error {
  if (error.code !== undefined) return new SluiceError(error.code as ErrorCode, error.message, { retryable: error.retryable });
  return Object.assign(new Error(error.message), error.errno !== undefined ? { code: error.errno } : {});
}

/** The calling side: sends calls on a port and settles each with its reply. */
export class ThreadCaller {
  readonly #port: MessagePort;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #next = 1;

  constructor(port: MessagePort) {
    this.#port = port;
  }

  /** Settles the call a reply answers; returns false for any other message. */
  settle(message: unknown): boolean {
    const reply = message as Partial<ReplyMessage> | null;
    if (reply?.kind !== 'reply' || typeof reply.id !== 'number') return false;
    const pending = this.#pending.get(reply.id);
    if (!pending) return true;
    this.#pending.delete(reply.id);
    if (reply.error) {
      pending.reject(replyError(reply.error));
    } else {
      pending.resolve(reviveBuffers(reply.value));
    }
    return true;
  }

  call<T>(target: string, method: string, args: unknown[]): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const message: CallMessage = { kind: 'call', id, target, method, args };
      try {
        this.#port.postMessage(message);
      } catch (error) {
        this.#pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * An object whose every method is a call to `target` (for interfaces of async methods, like the state store).
   * `then` is left undefined, so awaiting the object itself does not call anything.
   */
  proxy<T extends object>(target: string): T {
    return new Proxy({} as T, {
      get: (_, name) => (typeof name !== 'string' || name === 'then' ? undefined : (...args: unknown[]) => this.call(target, name, args)),
    });
  }
}
