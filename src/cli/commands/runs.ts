// `sluice runs`: past runs and their summaries, newest first.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { openRuntime, closeRuntime } from '../runtime-setup.ts';
import { formatRunTable, formatSummary } from '../format-summary.ts';
import { SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';

export function registerRuns(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('runs')
    .description('List past runs and their summaries, newest first')
    .argument('[run-id]', 'show one run in full')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'print JSON')
    .action(async (runId: string | undefined, options: { pipeline?: string; limit: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new SluiceError('SLUICE_USAGE', `--limit takes a whole number above 0, not '${options.limit}'`);
      if (context.global.remote) {
        const { remoteRuns } = await import('../remote/remote-runs.ts');
        await remoteRuns(runId, { ...options, limit }, context, setExit);
        return;
      }
      const runtime = await openRuntime(context);
      try {
        if (runId !== undefined) {
          const run = await runtime.store.getRun(runId);
          if (!run) throw new SluiceError('SLUICE_USAGE', `no run ${runId}; 'sluice runs' lists them`);
          println(context.stdout, options.json ? JSON.stringify(run, null, 2) : formatSummary(run));
        } else {
          const runs = await runtime.store.listRuns({ limit, ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}) });
          if (options.json) println(context.stdout, JSON.stringify(runs, null, 2));
          else if (runs.length === 0) println(context.stdout, 'no runs yet');
          else println(context.stdout, formatRunTable(runs));
        }
        setExit(EXIT.OK);
      } finally {
        await closeRuntime(runtime);
      }
    });
}
