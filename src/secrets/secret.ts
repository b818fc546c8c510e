// A resolved secret value as a type that never prints: every accidental path to output (string
// interpolation, JSON, util.inspect, console.log, pino) shows [REDACTED]. Only reveal() gives the value, and
// it is rare and easy to grep for.
import { inspect } from 'node:util';

export const REDACTED = '[REDACTED]';

export class Secret {
  // An ES private field: invisible to Object.keys, JSON.stringify, structuredClone and util.inspect.
  readonly #value: string;
  /** The reference it was resolved from (env://TOKEN): not secret, safe to show. */
  readonly reference: string;

  constructor(value: string, reference: string) {
    this.#value = value;
    this.reference = reference;
  }

  /** The value, for the one call that sends it where it belongs (a header, a driver). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
