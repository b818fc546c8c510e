// `sluice detokenize`: turns tokens back into their values, for a holder of the token key. Each call is logged
// (with counts, never values) until the audit log lands.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { withKeyring } from '../runtime-setup.ts';
import { recordEvent } from '../runtime-setup.ts';
import { detokenize } from '../../crypto/tokens.ts';
import { EXIT } from '../exit-codes.ts';

export function registerDetokenize(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('detokenize')
    .description('Print the values behind tokens (needs the token key; every call is logged)')
    .argument('<tokens...>', 'tokens made by the tokenize step')
    .option('--key <key-id>', 'the token key', 'tokens')
    .option('--domain <domain>', 'the token domain', 'default')
    .action(async (tokens: string[], options: { key: string; domain: string }) => {
      await withKeyring(context, async (keyring, runtime) => {
        // Logged before any value is revealed, so a call that fails half way is on record too.
        runtime.logger.info({ action: 'detokenize', key: options.key, domain: options.domain, count: tokens.length, user: process.env.USER ?? null }, 'detokenizing tokens');
        await recordEvent(runtime, { action: 'data.detokenize', resource: `key:${options.key}`, outcome: 'success', details: { count: tokens.length, domain: options.domain } });
        for (const token of tokens) println(context.stdout, await detokenize(token, keyring, options.key, options.domain));
      });
      setExit(EXIT.OK);
    });
}
