// `sluice runs [run-id] --server URL`: the runs the caller may see on the control plane, as `sluice runs` shows them.
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { formatRunTable, formatSummary } from '../format-summary.ts';
import { EXIT } from '../exit-codes.ts';
import type { RunView } from '../../server/routes/run-view.ts';
import { withApiClient } from './connect.ts';

export async function remoteRuns(runId: string | undefined, options: { pipeline?: string; limit: number; json?: boolean }, context: CliContext, setExit: (code: number) => void): Promise<void> {
  await withApiClient(context, async (client) => {
    if (runId !== undefined) {
      const run = (await client.get(`/api/v1/runs/${encodeURIComponent(runId)}`)) as RunView;
      println(context.stdout, options.json ? JSON.stringify(run, null, 2) : formatSummary(run));
    } else {
      const { runs } = (await client.get('/api/v1/runs', { pipeline: options.pipeline, limit: options.limit })) as { runs: RunView[] };
      if (options.json) println(context.stdout, JSON.stringify(runs, null, 2));
      else if (runs.length === 0) println(context.stdout, 'no runs yet');
      else println(context.stdout, formatRunTable(runs));
    }
    setExit(EXIT.OK);
  });
}
