// `sluice run NAMESPACE/NAME --server URL`: starts the run on the control plane, waits for it, and prints the
// summary `sluice run` prints here; exit 1 when the run did not succeed.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import type { ApiClient } from '../api-client.ts';
import { formatSummary } from '../format-summary.ts';
import { EXIT } from '../exit-codes.ts';
import { SluiceError, isSluiceError } from '../../errors.ts';
import type { RunView } from '../../server/routes/run-view.ts';
import { withApiClient } from './connect.ts';
import { pipelinePath, pipelineRef } from './pipeline-ref.ts';

/** How often the run is asked about while it runs. */
const POLL_MS = 500;
/** Retryable failures in a row (a network hiccup, a busy server) tolerated while waiting. */
const MAX_POLL_FAILURES = 5;

/** The run once it is no longer running, asked for every `intervalMs`. */
export async function waitForRun(client: ApiClient, runId: string, intervalMs = POLL_MS): Promise<RunView> {
  let failures = 0;
  for (;;) {
    try {
      const run = (await client.get(`/api/v1/runs/${encodeURIComponent(runId)}`)) as RunView;
      if (run.status !== 'running') return run;
      failures = 0;
    } catch (error) {
      if (!isSluiceError(error) || !error.retryable || ++failures > MAX_POLL_FAILURES) throw error;
    }
    await sleep(intervalMs);
  }
}

export async function remoteRun(target: string, options: { fresh?: boolean; follow?: boolean; progress: string }, context: CliContext, setExit: (code: number) => void): Promise<void> {
  // The server decides how its runs start and stop: resume or not, and when a followed source ends.
  if (options.fresh || options.follow) throw new SluiceError('SLUICE_USAGE', `${options.fresh ? '--fresh' : '--follow'} applies to runs in this process; with --server the server decides how its runs start and stop`);
  const ref = pipelineRef(target, 'run');
  await withApiClient(context, async (client) => {
    const { runId } = (await client.post(`${pipelinePath(ref)}/runs`)) as { runId: string };
    if (options.progress !== 'none') println(context.stderr, `run ${runId} of ${ref.namespace}/${ref.name} started on ${client.origin}; waiting for it to finish (Ctrl-C stops waiting, not the run)`);
    const run = await waitForRun(client, runId);
    println(context.stdout, formatSummary(run));
    if (run.totals.quarantined > 0) println(context.stdout, `\n${run.totals.quarantined} record(s) were quarantined on the server; 'sluice cat' there shows each with its reason.`);
    if (run.status === 'succeeded') {
      setExit(EXIT.OK);
      return;
    }
    println(context.stderr, `error: run ${run.id} ${run.status}${run.error !== undefined ? `: ${run.error}` : ''}`);
    setExit(EXIT.FAILED);
  });
}
