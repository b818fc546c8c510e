// `sluice erase --subject ID`: crypto-shredding. Destroys the subject's keys, so every copy of the fields the
// encrypt step sealed for them, in every object and every backup, can no longer be read. Prints a receipt.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { withKeyring } from '../runtime-setup.ts';
import { recordEvent } from '../runtime-setup.ts';
import { eraseSubject } from '../../crypto/subjects/subject-keys.ts';
import { EXIT } from '../exit-codes.ts';

export function registerErase(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('erase')
    .description('Erase a data subject: destroy their keys so their encrypted fields can never be read again (prints a receipt)')
    .requiredOption('--subject <id>', "the subject's id, as in the contract's subject field")
    .option('--key <key-id>', 'the dataset key of the encrypt step', 'subjects')
    .action(async (options: { subject: string; key: string }) => {
      await withKeyring(context, async (keyring, runtime) => {
        const receipt = await eraseSubject(options.subject, runtime.store, keyring, options.key);
        // The receipt and the log hold keyed references, never the subject id.
        runtime.logger.info({ action: 'erase', ...receipt }, 'data subject erased');
        await recordEvent(runtime, { action: 'subject.erase', resource: `key:${options.key}`, outcome: 'success', details: { keys: receipt.keysDestroyed } });
        println(context.stdout, JSON.stringify(receipt, null, 2));
        if (receipt.keysDestroyed === 0) println(context.stderr, 'note: no key existed for this subject under this key; a tombstone now refuses their future records');
      });
      setExit(EXIT.OK);
    });
}
