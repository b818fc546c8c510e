// `sluice scan FILE`: samples a data set (JSON Lines or CSV, optionally gzipped) and proposes a contract: per
// column the PII types found, the share of values that matched, and a suggested classification, as YAML.
import type { Command } from 'commander';
import { basename, dirname, resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { SluiceError } from '../../errors.ts';
import { fileSource, fileSourceSpec } from '../../connectors/sources/file-source.ts';
import { ALL_DETECTORS } from '../../privacy/detect/all-detectors.ts';
import { profileColumns } from '../../privacy/profile/column-profile.ts';
import { suggestContract } from '../../privacy/profile/suggest-contract.ts';
import { ReservoirSample } from '../../privacy/profile/reservoir-sample.ts';

const BATCH = 2000;

interface ScanCliOptions {
  sample: string;
  format?: string;
}

export function registerScan(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('scan')
    .description('Sample a data set and propose a contract: PII found per column and a suggested classification, as YAML')
    .argument('<file>', 'a .jsonl, .ndjson or .csv file, optionally .gz')
    .option('--sample <n>', 'how many records to sample, chosen evenly at random from the whole file', '1000')
    .option('--format <format>', 'jsonl or csv (default: from the file name)')
    .action(async (file: string, options: ScanCliOptions) => {
      const size = Number(options.sample);
      if (!Number.isInteger(size) || size < 1 || size > 1_000_000) throw new SluiceError('SLUICE_USAGE', `--sample must be a whole number from 1 to 1000000, not '${options.sample}'`);
      // Lines that do not parse are counted and skipped: a sample need not stop at one bad record.
      const parsed = fileSourceSpec.safeParse({ path: basename(file), onMalformed: 'quarantine', ...(options.format !== undefined ? { format: options.format } : {}) });
      if (!parsed.success) {
        throw new SluiceError('SLUICE_USAGE', `cannot tell how to read ${file}: name it .jsonl, .ndjson or .csv (optionally .gz), or give --format jsonl|csv`);
      }
      const source = fileSource.create(parsed.data, { baseDir: dirname(resolve(context.cwd, file)), pipeline: 'scan' });
      const reader = await source.open(undefined);
      const sample = new ReservoirSample<unknown>(size);
      let malformed = 0;
      try {
        for await (const batch of reader.batches(BATCH)) {
          for (const record of batch.records) sample.offer(record);
          malformed += batch.malformed.length;
        }
      } finally {
        await reader.close();
      }
      const profiles = profileColumns(sample.items(), ALL_DETECTORS, { textual: source.textual === true });
      const header = [
        `Proposed by 'sluice scan ${basename(file)}' from ${sample.items().length} of ${sample.seen} records${malformed > 0 ? ` (${malformed} unreadable records skipped)` : ''}.`,
        'Detection is best effort: review every field before you use this contract.',
      ];
      context.stdout.write(suggestContract(profiles, header));
      setExit(EXIT.OK);
    });
}
