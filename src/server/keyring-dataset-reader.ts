// Reads what a pipeline wrote at rest, for the datasets routes: sealed objects decrypted through the keyring
// (each segment verified before its plaintext is released), checked to be the object the store says it is
// (its authenticated context names the pipeline, dataset and run), tokens and subject-sealed values turned back.
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StringDecoder } from 'node:string_decoder';
import { SluiceError } from '../errors.ts';
import { openObject } from '../crypto/envelope/envelope.ts';
import type { KeySource } from '../crypto/envelope/envelope.ts';
import { detokenize } from '../crypto/tokens.ts';
import { openSubjectValue } from '../crypto/subjects/subject-keys.ts';
import type { SubjectKeyStore } from '../crypto/subjects/subject-key-store.ts';

/** Reads datasets: the interface the routes use (tests can give a reader of their own). */
export interface DatasetReader {
  /** The JSON lines of the object at `location`, which must have been written as `expected`. */
  lines(location: string, expected: { pipeline: string; dataset: string; run: string }): AsyncIterable<string>;
  detokenize(token: string, key: string, domain: string): Promise<string>;
  /** Opens an `enc_…` value; throws SLUICE_SUBJECT_ERASED for an erased subject. */
  openSubject(value: string, key: string): Promise<string>;
}

export class KeyringDatasetReader implements DatasetReader {
  readonly #keys: KeySource;
  readonly #subjects: SubjectKeyStore;

  constructor(keys: KeySource, subjects: SubjectKeyStore) {
    this.#keys = keys;
    this.#subjects = subjects;
  }

  async *lines(location: string, expected: { pipeline: string; dataset: string; run: string }): AsyncIterable<string> {
    if (!location.startsWith('file:')) throw new SluiceError('SLUICE_USAGE', 'this dataset is stored outside the server (not in a local folder); read it with sluice cat where it lives');
    const path = fileURLToPath(location.startsWith('file://') ? location : `file://${location.slice('file:'.length)}`);
    const onHeader = (header: { context: Readonly<Record<string, string>> }) => {
      const { pipeline, dataset, run } = header.context;
      if (pipeline !== expected.pipeline || dataset !== expected.dataset || run !== expected.run) {
        throw new SluiceError('SLUICE_OBJECT_MALFORMED', `an object of dataset ${expected.pipeline}/${expected.dataset} (run ${expected.run}) was written for another dataset or run: it was moved or replaced, so it is not read`);
      }
    };
    const decoder = new StringDecoder('utf8');
    let partial = '';
    for await (const plaintext of openObject(createReadStream(path, { highWaterMark: 64 * 1024 }), this.#keys, location, onHeader)) {
      const lines = (partial + decoder.write(plaintext)).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') yield line;
    }
    partial += decoder.end();
    if (partial !== '') yield partial;
  }

  async detokenize(token: string, key: string, domain: string): Promise<string> {
    return await detokenize(token, this.#keys, key, domain);
  }

  async openSubject(value: string, key: string): Promise<string> {
    return await openSubjectValue(value, this.#subjects, this.#keys, key);
  }
}
