// sluice://name: a secret of the built-in store, read (and audited) through it.
import type { SecretReference } from '../reference.ts';
import type { BuiltinSecretStore } from '../store/builtin-store.ts';
import type { ResolvedValue, SecretProvider } from './secret-provider.ts';

export class BuiltinSecretProvider implements SecretProvider {
  readonly scheme = 'sluice';
  readonly #store: BuiltinSecretStore;

  constructor(store: BuiltinSecretStore) {
    this.#store = store;
  }

  async resolve(reference: SecretReference): Promise<ResolvedValue> {
    if (reference.scheme !== 'sluice') throw new Error(`BuiltinSecretProvider got ${reference.scheme}`);
    return { value: (await this.#store.get(reference.name)).reveal() };
  }
}
