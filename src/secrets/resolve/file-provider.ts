// file:///run/secrets/name: a mounted secret (Docker and Kubernetes secrets, systemd credentials). A file
// every user may read is refused: the point of a mounted secret is that only this service reads it.
import { open } from 'node:fs/promises';
import { SluiceError } from '../../errors.ts';
import type { SecretReference } from '../reference.ts';
import type { ResolvedValue, SecretProvider } from './secret-provider.ts';

/** A credential file is small; anything larger is the wrong file. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

export class FileSecretProvider implements SecretProvider {
  readonly scheme = 'file';

  async resolve(reference: SecretReference): Promise<ResolvedValue> {
    if (reference.scheme !== 'file') throw new Error(`FileSecretProvider got ${reference.scheme}`);
    const { path, text } = reference;
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `${text}: there is no file at ${path}. Mount the secret there, or fix the reference.`);
      if (code === 'EACCES' || code === 'EPERM') throw new SluiceError('SLUICE_SECRET_DENIED', `${text}: this process (uid ${process.getuid?.() ?? '?'}) may not read ${path}. Give it read access (owner or group).`);
      throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: ${path} cannot be read (${code ?? 'error'})`, { cause: error });
    }
    try {
      // fstat on the open handle: the file checked is the file read (no swap between a stat and the open).
      const stat = await handle.stat();
      if (!stat.isFile()) throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `${text}: ${path} is not a regular file`);
      if ((stat.mode & 0o004) !== 0) {
        const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
        throw new SluiceError('SLUICE_SECRET_DENIED', `${text}: ${path} is readable by every user (mode ${mode}), so Sluice refuses it. Run chmod o-r on it (Kubernetes: defaultMode: 0440 on the secret volume).`);
      }
      if (stat.size > MAX_SECRET_FILE_BYTES) throw new SluiceError('SLUICE_SECRET_DENIED', `${text}: ${path} holds ${stat.size} bytes, more than a credential (at most ${MAX_SECRET_FILE_BYTES})`);
      const content = await handle.readFile({ encoding: 'utf8' });
      // Files written by `echo` or editors end with a newline that is not part of the credential.
      const value = content.replace(/\r?\n$/, '');
      if (value === '') throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `${text}: ${path} is empty`);
      return { value };
    } finally {
      await handle.close();
    }
  }
}
