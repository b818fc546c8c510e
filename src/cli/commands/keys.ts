// `sluice keys`: the keyring as routine commands: create the root key, create, list and rotate keys.
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { openKeyring, openRuntime } from '../runtime-setup.ts';
import type { Runtime } from '../runtime-setup.ts';
import { createLocalRootKey } from '../../crypto/providers/local-provider.ts';
import type { Keyring } from '../../crypto/keyring/keyring.ts';
import { SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';

/** Runs `work` with an open keyring, closing it and the store afterwards. */
async function withKeyring(context: CliContext, work: (keyring: Keyring, runtime: Runtime) => Promise<void>): Promise<void> {
  const runtime = await openRuntime(context);
  try {
    const keyring = await openKeyring(runtime, context, { createRootKey: false });
    try {
      await work(keyring, runtime);
    } finally {
      keyring.close();
    }
  } finally {
    await runtime.store.close();
  }
}

export function registerKeys(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const keys = program.command('keys').description('Manage the keyring: root key, keys and their versions');

  keys
    .command('init')
    .description('Create the local root key file (mode 0600); refuses to replace one')
    .action(async () => {
      const runtime = await openRuntime(context);
      await runtime.store.close();
      const file = runtime.settings.keys.file ?? '';
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await createLocalRootKey(file);
      println(context.stdout, `created the local root key ${file} (mode 0600). Back it up: without it nothing Sluice wrote can be read. It is fine for development; in production the root key belongs in an HSM or a KMS.`);
      setExit(EXIT.OK);
    });

  keys
    .command('create')
    .description('Create a key with its first version')
    .argument('<key-id>', 'lowercase letters, digits, - and _')
    .option('--rotation-days <n>', 'rotate at least this often (reported when overdue)')
    .action(async (keyId: string, options: { rotationDays?: string }) => {
      const days = options.rotationDays === undefined ? undefined : Number(options.rotationDays);
      if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new SluiceError('SLUICE_USAGE', `--rotation-days takes a whole number of days above 0, not '${options.rotationDays}'`);
      await withKeyring(context, async (keyring) => {
        await keyring.create(keyId, days === undefined ? {} : { rotationDays: days });
        println(context.stdout, `created key '${keyId}' version 1 (primary)`);
      });
      setExit(EXIT.OK);
    });

  keys
    .command('list')
    .description('List keys and versions (never their material)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withKeyring(context, async (keyring) => {
        const versions = await keyring.list();
        const rows = versions.map((v) => ({ key: v.keyId, version: v.version, state: v.state, provider: v.provider, created: v.createdAt, rotationDays: v.rotationDays ?? null }));
        if (options.json) println(context.stdout, JSON.stringify(rows, null, 2));
        else if (rows.length === 0) println(context.stdout, 'no keys yet (sluice run creates the default key)');
        else for (const r of rows) println(context.stdout, `${r.key.padEnd(20)} v${String(r.version).padEnd(4)} ${r.state.padEnd(10)} ${r.provider.padEnd(8)} ${r.created}`);
      });
      setExit(EXIT.OK);
    });

  keys
    .command('rotate')
    .description('Make a new primary version; older versions keep decrypting what they sealed')
    .argument('<key-id>')
    .action(async (keyId: string) => {
      await withKeyring(context, async (keyring) => {
        const version = await keyring.rotate(keyId);
        println(context.stdout, `key '${keyId}' version ${version} is now primary; older versions decrypt only`);
      });
      setExit(EXIT.OK);
    });
}
