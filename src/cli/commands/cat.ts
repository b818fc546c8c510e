// `sluice cat`: decrypts sink or quarantine objects to stdout, streaming, in bounded memory.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { openKeyring, openRuntime } from '../runtime-setup.ts';
import { openObject } from '../../crypto/envelope/envelope.ts';
import { ioFailure, SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';

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

export function registerCat(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('cat')
    .description('Decrypt sink or quarantine objects (files, or folders of *.sluice files) to standard output')
    .argument('<paths...>', 'objects or folders')
    .option('--context', 'print each object\'s encryption context to stderr before its records')
    .action(async (paths: string[], options: { context?: boolean }) => {
      const runtime = await openRuntime(context);
      const keyring = await openKeyring(runtime, context, { createRootKey: false }).catch(async (error: unknown) => {
        await runtime.store.close();
        throw error;
      });
      try {
        const objects: string[] = [];
        for (const path of paths) objects.push(...(await objectsUnder(resolve(context.cwd, path))));
        if (objects.length === 0) throw new SluiceError('SLUICE_USAGE', `no Sluice objects (*${OBJECT_SUFFIX}) under ${paths.join(', ')}`);
        for (const object of objects) {
          const name = relative(context.cwd, object) || object;
          const onHeader = options.context ? (header: { context: object }) => context.stderr.write(`${name}: ${JSON.stringify(header.context)}\n`) : undefined;
          for await (const plaintext of openObject(createReadStream(object, { highWaterMark: 64 * 1024 }), keyring, name, onHeader)) {
            if (!context.stdout.write(plaintext)) await new Promise<void>((resolve) => context.stdout.once('drain', () => resolve()));
          }
        }
        setExit(EXIT.OK);
      } finally {
        keyring.close();
        await runtime.store.close();
      }
    });
}
