// `sluice init`: scaffolds the quickstart pipeline, its sample data and local settings in a folder.
import type { Command } from 'commander';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, relative } from 'node:path';
import { createLocalRootKey } from '../../crypto/providers/local-provider.ts';
import { fileURLToPath } from 'node:url';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { ioFailure, SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { sampleCustomersJsonl } from '../sample-customers.ts';
import { SETTINGS_FILE } from '../settings.ts';

const TEMPLATE = fileURLToPath(new URL('../../../examples/quickstart/pipeline.yaml', import.meta.url));
const SAMPLE_RECORDS = 1000;

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
    .action(async (dir: string, options: { force?: boolean; records: string }) => {
      const count = Number(options.records);
      if (!Number.isInteger(count) || count < 1 || count > 10_000_000) throw new SluiceError('SLUICE_USAGE', `--records takes a whole number from 1 to 10000000, not '${options.records}'`);
      const root = resolve(context.cwd, dir);
      const template = (await readFile(TEMPLATE, 'utf8')).replace(/^# yaml-language-server.*\n/, '');
      const files: [string, string][] = [
        ['pipeline.yaml', template],
        [join('data', 'customers.jsonl'), sampleCustomersJsonl(count)],
        [SETTINGS_FILE, '# Local settings of the sluice command.\nstateDir: .sluice\nlog:\n  level: info\n'],
        ['.gitignore', '.sluice/\nout/\n'],
      ];
      if (!options.force) {
        const present = [];
        for (const [name] of files) if (await exists(join(root, name))) present.push(name);
        if (present.length > 0) throw new SluiceError('SLUICE_INIT_EXISTS', `${relative(context.cwd, root) || '.'} already has ${present.join(', ')}; use --force to overwrite, or pick an empty folder`);
      }
      try {
        await mkdir(join(root, 'data'), { recursive: true });
        for (const [name, text] of files) await writeFile(join(root, name), text);
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
      const where = relative(context.cwd, root) || '.';
      println(context.stdout, `created in ${where}: ${files.map(([name]) => name).join(', ')} (${count} sample customers with fake personal data)`);
      const self = invokedAs(root, context.script);
      println(context.stdout, `next:${where === '.' ? '' : ` cd ${where} &&`} ${self} check && ${self} run`);
      setExit(EXIT.OK);
    });
}
