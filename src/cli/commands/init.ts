// `sluice init`: scaffolds the quickstart pipeline, its sample data and local settings in a folder.
import type { Command } from 'commander';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, relative } from 'node:path';
import { createLocalRootKey } from '../../crypto/providers/local-provider.ts';
import { fileURLToPath } from 'node:url';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { ioFailure, SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { randomBytes } from 'node:crypto';
import { sampleCustomersJsonl } from '../sample-customers.ts';
import { SETTINGS_FILE } from '../settings.ts';
import { createDevCa, issueCertificate } from '../../tls/dev-ca.ts';
import { closeRuntime, openKeyring, openRuntime, openSecretStore } from '../runtime-setup.ts';
import { DEMO_API_DEFAULT_PORT, DEMO_API_DIR, DEMO_API_TOKEN_NAME } from './demo-api.ts';

/** The quickstart pipelines: the classic case (an HTTPS API with a bearer token) and the same from a file. */
const TEMPLATES = {
  http: fileURLToPath(new URL('../../../examples/quickstart/pipeline.yaml', import.meta.url)),
  file: fileURLToPath(new URL('../../../examples/quickstart/pipeline-file.yaml', import.meta.url)),
} as const;
const SAMPLE_RECORDS = 1000;

/**
 * The demo API's files: a development CA's certificate (the pipeline trusts it) and a server certificate for
 * 127.0.0.1 and localhost with its key. The CA's key is not kept: nothing else is ever issued from it.
 */
async function demoApiFiles(): Promise<[string, string][]> {
  const ca = await createDevCa('Sluice quickstart demo CA', 90);
  const server = await issueCertificate(ca, 'server', ['127.0.0.1', 'localhost'], 90);
  return [
    [join(DEMO_API_DIR, 'ca.pem'), ca.cert],
    [join(DEMO_API_DIR, 'server.pem'), server.cert],
    [join(DEMO_API_DIR, 'server-key.pem'), server.key],
  ];
}

/** Stores a fresh random bearer token for the demo API in the project's built-in secret store. */
async function storeDemoToken(context: CliContext, root: string): Promise<void> {
  const runtime = await openRuntime({ ...context, cwd: root });
  try {
    const keyring = await openKeyring(runtime, { ...context, cwd: root }, { createRootKey: true });
    try {
      const store = openSecretStore(runtime, keyring);
      const token = randomBytes(32).toString('base64url');
      const exists = (await store.list()).some((s) => s.name === DEMO_API_TOKEN_NAME);
      await (exists ? store.rotate(DEMO_API_TOKEN_NAME, token) : store.set(DEMO_API_TOKEN_NAME, token));
    } finally {
      keyring.close();
    }
  } finally {
    await closeRuntime(runtime);
  }
}

/** How to call sluice from `dir`: `sluice` when installed on the PATH, else `node <path to bin/sluice.js>`. */
function invokedAs(dir: string, script: string | undefined): string {
  if (script === undefined || basename(script) === 'sluice') return 'sluice';
  return `node ${relative(dir, script)}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

export function registerInit(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('init')
    .description('Create the quickstart pipeline, sample data and local settings in a folder')
    .argument('[dir]', 'the folder (created if missing)', '.')
    .option('--force', 'overwrite files that exist')
    .option('--records <n>', 'how many sample records', String(SAMPLE_RECORDS))
    .option('--source <kind>', 'http: fetch the customers from the local demo API (the classic case); file: read them from a file', 'http')
    .option('--demo-port <n>', 'the port the demo API listens on', String(DEMO_API_DEFAULT_PORT))
    .action(async (dir: string, options: { force?: boolean; records: string; source: string; demoPort: string }) => {
      const count = Number(options.records);
      if (!Number.isInteger(count) || count < 1 || count > 10_000_000) throw new SluiceError('SLUICE_USAGE', `--records takes a whole number from 1 to 10000000, not '${options.records}'`);
      if (options.source !== 'http' && options.source !== 'file') throw new SluiceError('SLUICE_USAGE', `--source takes http or file, not '${options.source}'`);
      const port = Number(options.demoPort);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SluiceError('SLUICE_USAGE', `--demo-port takes a port number from 1 to 65535, not '${options.demoPort}'`);
      const http = options.source === 'http';
      const root = resolve(context.cwd, dir);
      const template = (await readFile(TEMPLATES[options.source], 'utf8')).replace(/^# yaml-language-server.*\n/, '').replaceAll(String(DEMO_API_DEFAULT_PORT), String(port));
      const files: [string, string][] = [
        ['pipeline.yaml', template],
        [join('data', 'customers.jsonl'), sampleCustomersJsonl(count)],
        [SETTINGS_FILE, '# Local settings of the sluice command.\nstateDir: .sluice\nlog:\n  level: info\n'],
        ['.gitignore', `.sluice/\nout/\n${http ? `${DEMO_API_DIR}/\n` : ''}`],
        ...(http ? await demoApiFiles() : []),
      ];
      if (!options.force) {
        const present = [];
        for (const [name] of files) if (await exists(join(root, name))) present.push(name);
        if (present.length > 0) throw new SluiceError('SLUICE_INIT_EXISTS', `${relative(context.cwd, root) || '.'} already has ${present.join(', ')}; use --force to overwrite, or pick an empty folder`);
      }
      try {
        await mkdir(join(root, 'data'), { recursive: true });
        if (http) await mkdir(join(root, DEMO_API_DIR), { recursive: true, mode: 0o700 });
        // Private keys are the owner's alone.
        for (const [name, text] of files) {
          const secret = name.endsWith('-key.pem');
          await writeFile(join(root, name), text, { mode: secret ? 0o600 : 0o644 });
          // writeFile's mode applies only to a new file: a key file that --force replaced keeps its old mode.
          if (secret) await chmod(join(root, name), 0o600);
        }
      } catch (error) {
        throw ioFailure('SLUICE_IO_FAILED', `init could not write into ${root}`, error);
      }
      // The root key that seals everything the pipeline writes; never replaced, even with --force.
      const keyFile = join(root, '.sluice', 'master.key');
      if (!process.env.SLUICE_MASTER_KEY && !(await exists(keyFile))) {
        await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
        await createLocalRootKey(keyFile);
        println(context.stdout, `created a local root key in ${relative(context.cwd, keyFile)} (mode 0600): fine for development; in production the root key belongs in an HSM or a KMS`);
      }
      if (http) await storeDemoToken(context, root);
      const where = relative(context.cwd, root) || '.';
      println(context.stdout, `created in ${where}: ${files.map(([name]) => name).join(', ')} (${count} sample customers with fake personal data)`);
      const self = invokedAs(root, context.script);
      if (http) {
        println(context.stdout, `stored a random bearer token for the demo API as sluice://${DEMO_API_TOKEN_NAME} (the pipeline refers to it; nobody types it)`);
        println(context.stdout, `next:${where === '.' ? '' : ` cd ${where} &&`} ${self} demo-api &  then  ${self} check && ${self} run`);
      } else println(context.stdout, `next:${where === '.' ? '' : ` cd ${where} &&`} ${self} check && ${self} run`);
      setExit(EXIT.OK);
    });
}
