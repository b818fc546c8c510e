// Where `sluice secrets set|rotate` takes a value from: a file, an environment variable, a generated random
// value, or standard input (a hidden prompt on a terminal). Never from an argument: arguments are visible to
// every user in the process list and stay in shell history.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SluiceError } from '../errors.ts';
import type { CliContext } from './context.ts';

export interface ValueSource {
  fromFile?: string;
  fromEnv?: string;
  /** Generate a random value of this many bytes (base64url). */
  generate?: string | boolean;
}

const MAX_STDIN_BYTES = 64 * 1024;

async function readPiped(stdin: CliContext['stdin']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk);
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) throw new SluiceError('SLUICE_USAGE', `standard input holds more than ${MAX_STDIN_BYTES} bytes: a secret is a credential, not a document`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Reads a line from a terminal without echoing it. */
function readHidden(context: CliContext, prompt: string): Promise<string> {
  const { stdin } = context;
  context.stderr.write(prompt);
  stdin.setRawMode?.(true);
  return new Promise((done, fail) => {
    let value = '';
    const finish = (error?: Error) => {
      stdin.setRawMode?.(false);
      stdin.removeListener('data', onData);
      stdin.pause();
      context.stderr.write('\n');
      if (error) fail(error);
      else done(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new SluiceError('SLUICE_USAGE', 'cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The value to store, from the one source the options name (standard input when none). */
export async function readSecretValue(context: CliContext, name: string, source: ValueSource): Promise<string> {
  const given = [source.fromFile !== undefined, source.fromEnv !== undefined, source.generate !== undefined && source.generate !== false].filter(Boolean).length;
  if (given > 1) throw new SluiceError('SLUICE_USAGE', 'give at most one of --from-file, --from-env and --generate');
  if (source.fromFile !== undefined) {
    const path = resolve(context.cwd, source.fromFile);
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      throw new SluiceError('SLUICE_USAGE', `--from-file ${source.fromFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    });
    return text.replace(/\r?\n$/, '');
  }
  if (source.fromEnv !== undefined) {
    const value = process.env[source.fromEnv];
    if (!value) throw new SluiceError('SLUICE_USAGE', `--from-env ${source.fromEnv}: the variable is not set or empty`);
    return value;
  }
  if (source.generate !== undefined && source.generate !== false) {
    const bytes = source.generate === true ? 32 : Number(source.generate);
    if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) throw new SluiceError('SLUICE_USAGE', '--generate takes a byte count from 16 to 1024 (default 32)');
    return randomBytes(bytes).toString('base64url');
  }
  if (context.stdin.isTTY) return readHidden(context, `value for ${name} (not shown): `);
  return readPiped(context.stdin);
}
