// `sluice demo-api`: serves the quickstart's customers over HTTPS on loopback to a bearer token kept in the
// built-in secret store, so the quickstart pipeline can fetch them as it would from a CRM's API.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { ioFailure, SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { startDemoApi } from '../../demo/demo-api.ts';
import { closeRuntime, openKeyring, openRuntime, openSecretResolver } from '../runtime-setup.ts';

/** Where `sluice init` puts the demo API's files, relative to the project folder. */
export const DEMO_API_DIR = 'demo-api';
export const DEMO_API_TOKEN_NAME = 'demo-api-token';
export const DEMO_API_DEFAULT_PORT = 8443;

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw ioFailure('SLUICE_INPUT_UNREADABLE', `cannot read the demo API's ${what} ${path}; run 'sluice init' in this folder first`, error);
  }
}

/** The records of a JSON Lines file; lines that are not JSON are left out (the demo serves only JSON). */
function parseRecords(text: string): unknown[] {
  const records: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      // The demo serves JSON; a line that is not is not served.
    }
  }
  return records;
}

export function registerDemoApi(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('demo-api')
    .description('Serve the quickstart customers over HTTPS on 127.0.0.1 to a bearer token (development only)')
    .option('--port <n>', 'the port', String(DEMO_API_DEFAULT_PORT))
    .option('--data <file>', 'the JSON Lines records to serve', join('data', 'customers.jsonl'))
    .option('--token <reference>', 'the secret reference of the bearer token', `sluice://${DEMO_API_TOKEN_NAME}`)
    .action(async (options: { port: string; data: string; token: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SluiceError('SLUICE_USAGE', `--port takes a port number from 0 to 65535, not '${options.port}'`);
      const dir = resolve(context.cwd, DEMO_API_DIR);
      const [cert, key, data] = await Promise.all([
        readText(join(dir, 'server.pem'), 'certificate'),
        readText(join(dir, 'server-key.pem'), 'private key'),
        readText(resolve(context.cwd, options.data), 'data file'),
      ]);
      const runtime = await openRuntime(context);
      let token: string;
      try {
        const keyring = await openKeyring(runtime, context, { createRootKey: false });
        const secrets = await openSecretResolver(runtime, context, keyring);
        try {
          token = (await secrets.resolve(options.token)).reveal();
        } finally {
          await secrets.close();
          keyring.close();
        }
      } finally {
        await closeRuntime(runtime);
      }
      const api = await startDemoApi({ records: parseRecords(data), token, cert, key, port }).catch((error: unknown) => {
        throw ioFailure('SLUICE_IO_FAILED', `the demo API cannot listen on 127.0.0.1:${port}; pick another with --port`, error);
      });
      println(context.stdout, `demo API listening on ${api.url} (development only; Ctrl-C stops it)`);
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await api.close();
      println(context.stdout, `demo API stopped after ${api.requests()} request(s)`);
      setExit(EXIT.OK);
    });
}
