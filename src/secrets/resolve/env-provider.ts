// env://NAME: a variable of the process environment (how containers and CI usually hand over secrets).
import { SluiceError } from '../../errors.ts';
import type { SecretReference } from '../reference.ts';
import type { ResolvedValue, SecretProvider } from './secret-provider.ts';

export class EnvSecretProvider implements SecretProvider {
  readonly scheme = 'env';
  readonly #env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  async resolve(reference: SecretReference): Promise<ResolvedValue> {
    if (reference.scheme !== 'env') throw new Error(`EnvSecretProvider got ${reference.scheme}`);
    const value = this.#env[reference.name];
    if (value === undefined || value === '') {
      throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `${reference.text}: the environment variable ${reference.name} is not set (or is empty). Set it in the environment Sluice runs in.`);
    }
    return { value };
  }
}
