// `sluice secrets`: the built-in store (sluice://name) as routine commands. Values come in from a file, the
// environment, a generator or standard input, never from arguments; `get` is checked and audited.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { openRuntime, openKeyring, openSecretStore, closeRuntime } from '../runtime-setup.ts';
import type { Runtime } from '../runtime-setup.ts';
import type { BuiltinSecretStore, SecretMetadata } from '../../secrets/store/builtin-store.ts';
import { readSecretValue } from '../read-secret-value.ts';
import type { ValueSource } from '../read-secret-value.ts';
import { parseDuration } from '../../spec/duration.ts';
import { SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';

const DAY_MS = 86_400_000;

function maxAgeDays(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < DAY_MS || ms % DAY_MS !== 0) throw new SluiceError('SLUICE_USAGE', `--max-age takes whole days or weeks, such as 90d or 12w, not '${text}'`);
  return ms / DAY_MS;
}

/** Opens the store (creating the root key only when `create`), runs `work`, closes everything. */
async function withSecretStore(context: CliContext, create: boolean, work: (secrets: BuiltinSecretStore, runtime: Runtime) => Promise<void>): Promise<void> {
  const runtime = await openRuntime(context);
  try {
    const keyring = await openKeyring(runtime, context, { createRootKey: create });
    try {
      await work(openSecretStore(runtime, keyring), runtime);
    } finally {
      keyring.close();
    }
  } finally {
    await closeRuntime(runtime);
  }
}

function describe(secret: SecretMetadata): string {
  const age = secret.maxAgeDays !== undefined ? `max age ${secret.maxAgeDays}d${secret.overdue ? ' (OVERDUE: rotate it)' : ''}` : 'no max age';
  return `${secret.name}  v${secret.version}  created ${secret.createdAt}  rotated ${secret.rotatedAt}  last read ${secret.lastReadAt ?? 'never'}  ${age}`;
}

function withValueOptions(command: Command): Command {
  return command
    .option('--from-file <file>', 'read the value from a file (one trailing newline is dropped)')
    .option('--from-env <var>', 'read the value from an environment variable')
    .option('--generate [bytes]', 'generate a random value of this many bytes, base64url (default 32)')
    .option('--max-age <duration>', 'rotate at least this often, such as 90d (reported by check when overdue)');
}

export function registerSecrets(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const secrets = program
    .command('secrets')
    .description('The built-in secret store (sluice://name): values sealed by the keyring, every read audited')
    .addHelpText('after', '\nValues are never taken as arguments (the process list shows them): pipe them in, or use --from-file, --from-env or --generate.');

  withValueOptions(secrets.command('set').description('Add a secret').argument('<name>', 'lower-case letters, digits and ._/-, such as crm/api-token')).action(
    async (name: string, options: ValueSource & { maxAge?: string }) => {
      const days = maxAgeDays(options.maxAge);
      const value = await readSecretValue(context, name, options);
      await withSecretStore(context, true, async (store) => {
        const added = await store.set(name, value, days !== undefined ? { maxAgeDays: days } : {});
        println(context.stdout, `stored sluice://${added.name} (version 1); refer to it as sluice://${added.name}`);
      });
      setExit(EXIT.OK);
    },
  );

  withValueOptions(secrets.command('rotate').description('Give a secret a new value').argument('<name>')).action(async (name: string, options: ValueSource & { maxAge?: string }) => {
    const days = maxAgeDays(options.maxAge);
    const value = await readSecretValue(context, name, options);
    await withSecretStore(context, false, async (store) => {
      const rotated = await store.rotate(name, value, days !== undefined ? { maxAgeDays: days } : {});
      println(context.stdout, `rotated sluice://${rotated.name} to version ${rotated.version}; running pipelines pick it up when their cached value expires`);
    });
    setExit(EXIT.OK);
  });

  secrets
    .command('get')
    .description('Print a value (allowed to the owner of the state folder; audited)')
    .argument('<name>')
    .action(async (name: string) => {
      await withSecretStore(context, false, async (store) => {
        const secret = await store.get(name);
        // Deliberately not println: output is scrubbed of registered secrets, and this is the one place that
        // must print one.
        context.stdout.write(secret.reveal() + (context.stdout.isTTY ? '\n' : ''));
      });
      setExit(EXIT.OK);
    });

  secrets
    .command('list')
    .description('List secrets with their metadata (never their values)')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      await withSecretStore(context, false, async (store) => {
        const listed = await store.list();
        if (options.json) println(context.stdout, JSON.stringify(listed, null, 2));
        else if (listed.length === 0) println(context.stdout, "no secrets; add one with 'sluice secrets set NAME'");
        else for (const secret of listed) println(context.stdout, describe(secret));
      });
      setExit(EXIT.OK);
    });

  secrets
    .command('rm')
    .description('Remove a secret')
    .argument('<name>')
    .action(async (name: string) => {
      await withSecretStore(context, false, async (store) => {
        await store.remove(name);
        println(context.stdout, `removed sluice://${name}`);
      });
      setExit(EXIT.OK);
    });

  secrets
    .command('check')
    .description('Report secrets older than their max age (exit 1 when any is)')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      let overdue: SecretMetadata[] = [];
      await withSecretStore(context, false, async (store) => {
        overdue = (await store.list()).filter((s) => s.overdue);
      });
      if (options.json) println(context.stdout, JSON.stringify({ overdue }, null, 2));
      else if (overdue.length === 0) println(context.stdout, 'no secret is older than its max age');
      else for (const secret of overdue) println(context.stdout, `${describe(secret)}\n  fix: sluice secrets rotate ${secret.name} (then update it where it is used, if Sluice does not own it)`);
      setExit(overdue.length > 0 ? EXIT.FAILED : EXIT.OK);
    });
}
