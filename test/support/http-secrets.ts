// A secret source double for the http source's tests: values by reference, set and rotated by the test, with a
// log of what was resolved and invalidated. Named as a double: the real resolver is tested in src/secrets/.
import { SluiceError } from '../../src/errors.ts';
import { Secret } from '../../src/secrets/secret.ts';
import type { SecretSource } from '../../src/spec/component.ts';

export class SecretsDouble implements SecretSource {
  readonly #values: Map<string, string>;
  readonly resolved: string[] = [];
  readonly invalidated: string[] = [];

  constructor(values: Record<string, string> = {}) {
    this.#values = new Map(Object.entries(values));
  }

  /** Changes a value, as a rotation in the secret manager would. */
  set(reference: string, value: string): void {
    this.#values.set(reference, value);
  }

  async resolve(reference: string): Promise<Secret> {
    this.resolved.push(reference);
    const value = this.#values.get(reference);
    if (value === undefined) throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `no secret at ${reference}`);
    return new Secret(value, reference);
  }

  invalidate(reference: string): void {
    this.invalidated.push(reference);
  }
}
