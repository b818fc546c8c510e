// `sluice cat`: decrypts sink or quarantine objects to stdout, streaming, in bounded memory.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { CliContext } from '../context.ts';
import { recordEvent, withKeyring } from '../runtime-setup.ts';
import { openObject } from '../../crypto/envelope/envelope.ts';
import { ioFailure, isSluiceError, SluiceError } from '../../errors.ts';
import { ENCRYPTED_PREFIX, openSubjectValue } from '../../crypto/subjects/subject-keys.ts';
import type { SubjectKeyStore } from '../../crypto/subjects/subject-key-store.ts';
import type { KeySource } from '../../crypto/envelope/envelope.ts';
import { println } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { writeStreamAtomic } from '../../connectors/sinks/atomic-write.ts';

const OBJECT_SUFFIX = '.sluice';

/** The objects under `path`: the file itself, or every *.sluice file below a folder, in name order. */
async function objectsUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch((error: unknown) => {
    throw ioFailure('SLUICE_USAGE', `cannot read ${path}`, error);
  });
  if (info.isFile()) return [path];
  const found: string[] = [];
  for (const name of (await readdir(path)).sort()) {
    const child = join(path, name);
    const childInfo = await stat(child);
    if (childInfo.isDirectory()) found.push(...(await objectsUnder(child)));
    else if (name.endsWith(OBJECT_SUFFIX) && !name.startsWith('.')) found.push(child);
  }
  return found;
}

const PLACE = /(?:^|\/)(quarantine\/)?([^/]+)\/([^/]+)\/(?:part|batch)-(?:(t\d{6})-)?(\d{6})\.jsonl\.sluice$/;

/**
 * Checks that an object sits where its (authenticated) context says it was written: a sink object or
 * quarantine batch copied into another run, batch, pipeline or sink folder is refused, not silently read.
 */
function checkPlace(path: string, context: Readonly<Record<string, string>>): void {
  const match = PLACE.exec(path.split(sep).join('/'));
  if (!match) return;
  const [, quarantine, pipeline, run, task, batch] = match;
  const expected = { pipeline, run, task, batch: String(Number(batch)) };
  const inQuarantine = context.dataset === 'quarantine';
  const placed = context.pipeline === expected.pipeline && context.run === expected.run && context.task === expected.task && context.batch === expected.batch;
  if (!placed || inQuarantine !== (quarantine !== undefined)) {
    throw new SluiceError(
      'SLUICE_OBJECT_MALFORMED',
      `${path} was written as ${inQuarantine ? 'quarantine' : `sink '${context.dataset ?? '?'}'`} batch ${context.batch ?? '?'}${context.task !== undefined ? ` of task ${context.task}` : ''} of run ${context.run ?? '?'} (pipeline ${context.pipeline ?? '?'}), but sits elsewhere: it was moved or copied, so it is not read`,
    );
  }
}

/** A JSON line with its subject-encrypted fields opened; values of erased subjects become "[erased]". */
async function revealLine(line: string, store: SubjectKeyStore, keys: KeySource, keyId: string, erased: { count: number }): Promise<string> {
  if (line === '' || !line.includes(ENCRYPTED_PREFIX)) return line;
  const record = JSON.parse(line) as Record<string, unknown>;
  for (const [field, value] of Object.entries(record)) {
    if (typeof value !== 'string' || !value.startsWith(ENCRYPTED_PREFIX)) continue;
    try {
      record[field] = await openSubjectValue(value, store, keys, keyId);
    } catch (error) {
      if (!isSluiceError(error, 'SLUICE_SUBJECT_ERASED')) throw error;
      record[field] = '[erased]';
      erased.count++;
    }
  }
  return JSON.stringify(record);
}

export function registerCat(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('cat')
    .description('Decrypt sink or quarantine objects (files, or folders of *.sluice files) to standard output')
    .argument('<paths...>', 'objects or folders')
    .option('--context', 'print each object\'s encryption context to stderr before its records')
    .option('--decrypt-fields', 'also decrypt fields the encrypt step sealed per subject (erased subjects show as [erased])')
    .option('--subject-key <key-id>', 'the dataset key of the encrypt step', 'subjects')
    .option('--out <file>', 'write to this file (created only once everything verified) instead of standard output')
    .action(async (paths: string[], options: { context?: boolean; decryptFields?: boolean; subjectKey: string; out?: string }) => {
      await withKeyring(context, async (keyring, runtime) => {
        const erased = { count: 0 };
        const objects: string[] = [];
        for (const path of paths) objects.push(...(await objectsUnder(resolve(context.cwd, path))));
        if (objects.length === 0) throw new SluiceError('SLUICE_USAGE', `no Sluice objects (*${OBJECT_SUFFIX}) under ${paths.join(', ')}`);
        // Recorded before any plaintext is released: a read that cannot be audited does not happen.
        await recordEvent(runtime, {
          action: 'data.read',
          resource: `objects:${paths.map((p) => relative(context.cwd, resolve(context.cwd, p)) || '.').join(',')}`,
          outcome: 'success',
          details: { objects: objects.length, decryptFields: options.decryptFields === true },
        });
        // Decrypted output, one verified chunk (or line) at a time.
        const decrypted = async function* (): AsyncGenerator<Buffer> {
          for (const object of objects) {
            const name = relative(context.cwd, object) || object;
            const onHeader = (header: { context: Readonly<Record<string, string>> }) => {
              checkPlace(object, header.context);
              if (options.context) context.stderr.write(`${name}: ${JSON.stringify(header.context)}\n`);
            };
            let partial = '';
            // A character may be split across chunks: decode with state, not chunk by chunk.
            const decoder = new StringDecoder('utf8');
            for await (const plaintext of openObject(createReadStream(object, { highWaterMark: 64 * 1024 }), keyring, name, onHeader)) {
              if (!options.decryptFields) {
                yield plaintext;
                continue;
              }
              const lines = (partial + decoder.write(plaintext)).split('\n');
              partial = lines.pop() ?? '';
              for (const line of lines) yield Buffer.from((await revealLine(line, runtime.store, keyring, options.subjectKey, erased)) + '\n');
            }
            partial += decoder.end();
            if (partial !== '') yield Buffer.from((await revealLine(partial, runtime.store, keyring, options.subjectKey, erased)) + '\n');
          }
        };
        if (options.out !== undefined) {
          // To a file: a temp file renamed only once every object verified; a failure leaves no plaintext behind.
          const out = resolve(context.cwd, options.out);
          await writeStreamAtomic(out, decrypted());
          println(context.stderr, `wrote ${out} (mode 0600)`);
        } else {
          for await (const piece of decrypted()) {
            if (!context.stdout.write(piece)) await new Promise<void>((done) => context.stdout.once('drain', () => done()));
          }
        }
        if (erased.count > 0) println(context.stderr, `${erased.count} value(s) belong to erased data subjects and cannot be read`);
        setExit(EXIT.OK);
      });
    });
}
