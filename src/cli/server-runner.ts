// Runs catalogued pipelines inside `sluice serve`, as `sluice run` does: plan, secrets resolved just in time,
// the same executor and audit events, acting as the API caller. Runs go on in the background; the API answers
// with the run id as soon as the run is claimed.
import type { Keyring } from '../crypto/keyring/keyring.ts';
import { SluiceError } from '../errors.ts';
import { hasErrors } from '../plan/findings.ts';
import { runPipeline } from '../runtime/executor.ts';
import { runOnCluster } from '../cluster/coordinator.ts';
import type { WorkQueue } from '../cluster/work-queue.ts';
import type { RunRecord } from '../store/state-store.ts';
import type { ProgressSnapshot } from '../runtime/progress.ts';
import type { Principal } from '../auth/principal.ts';
import { actorOf } from '../auth/principal.ts';
import type { PipelineRunner } from '../server/control-plane.ts';
import type { CatalogEntry } from '../server/pipeline-catalog.ts';
import type { ProgressChannel, RunProgressHub } from '../server/run-progress.ts';
import type { CliContext } from './context.ts';
import { loadPlan } from './load-plan.ts';
import { openSecretResolver } from './runtime-setup.ts';
import type { Runtime } from './runtime-setup.ts';

/** `serve --cluster`: runs are split into tasks on this work queue for `sluice worker` processes. */
export interface ServerCluster {
  queue: WorkQueue;
  taskBytes: number;
  ackWaitMs: number;
}

/** How a run ended, whichever mode ran it. */
interface RunOutcome {
  run: RunRecord;
  /** The coordinator stopped watching (the server is stopping); the run goes on on the workers. */
  detached?: boolean;
}

export class ServerPipelineRunner implements PipelineRunner {
  readonly #runtime: Runtime;
  readonly #keyring: Keyring;
  readonly #context: CliContext;
  readonly #progress: RunProgressHub;
  readonly #cluster: ServerCluster | undefined;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();

  constructor(runtime: Runtime, keyring: Keyring, context: CliContext, progress: RunProgressHub, cluster?: ServerCluster) {
    this.#runtime = runtime;
    this.#keyring = keyring;
    this.#context = context;
    this.#progress = progress;
    this.#cluster = cluster;
  }

  active(): ReadonlySet<string> {
    return new Set(this.#running.keys());
  }

  async start(entry: CatalogEntry, by: Principal, requestId: string): Promise<{ runId: string }> {
    if (this.#running.has(entry.name)) throw new SluiceError('SLUICE_RUN_LOCKED', `pipeline '${entry.name}' is already running on this server; wait for it to finish`);
    // Reserved before the first await: two starts at once must not both get past the check above (the store's
    // lock cannot tell them apart, both being this process).
    let finished!: () => void;
    const slot = { controller: new AbortController(), done: new Promise<void>((resolve) => (finished = resolve)) };
    this.#running.set(entry.name, slot);
    const release = () => {
      if (this.#running.get(entry.name) === slot) this.#running.delete(entry.name);
      finished();
    };
    try {
      return await this.#start(entry, by, requestId, slot.controller, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  async #start(entry: CatalogEntry, by: Principal, requestId: string, controller: AbortController, release: () => void): Promise<{ runId: string }> {
    const runtime = this.#runtime;
    const { loaded, plan } = await loadPlan(entry.file, this.#context.registry, this.#context.cwd);
    if (plan.spec.pipeline !== entry.name) throw new SluiceError('SLUICE_SPEC_INVALID', `${entry.namespace}/${entry.name}.yaml names pipeline '${plan.spec.pipeline}'; a catalogued spec's file name and pipeline name must match (runs are kept by name)`);
    if (hasErrors(plan.findings)) throw new SluiceError('SLUICE_PLAN_REJECTED', `pipeline '${entry.name}' has error findings; POST …/check lists them`);
    const actor = actorOf(by);
    const resource = `pipeline:${plan.spec.pipeline}`;
    const record = (event: { action: 'run.start' | 'run.finish' | 'run.fail'; outcome: 'success' | 'failure'; reason?: string; runId?: string; details?: Record<string, string | number | boolean> }) =>
      runtime.audit.append({ time: new Date().toISOString(), actor, action: event.action, resource, outcome: event.outcome, requestId, ...(event.reason !== undefined ? { reason: event.reason } : {}), ...(event.details || event.runId !== undefined ? { details: { ...event.details, ...(event.runId !== undefined ? { runId: event.runId } : {}) } } : {}) });
    await record({ action: 'run.start', outcome: 'success', details: { specHash: loaded.hash, namespace: entry.namespace } });
    const secrets = await openSecretResolver(runtime, this.#context, this.#keyring, requestId);
    let claimed!: (runId: string) => void;
    const runId = new Promise<string>((resolve) => (claimed = resolve));
    let channel: ProgressChannel | undefined;
    let claimedId: string | undefined;
    const common = {
      plan,
      store: runtime.store,
      encryption: { keys: this.#keyring, keyId: runtime.settings.keys.keyId },
      specHash: loaded.hash,
      logger: runtime.logger.child({ pipeline: entry.name, requestId }),
      signal: controller.signal,
      secrets,
      progress: { update: (snapshot: ProgressSnapshot) => channel?.update(snapshot), finish: () => undefined },
      onClaimed: (id: string) => {
        claimedId = id;
        channel = this.#progress.open(id);
        claimed(id);
      },
    };
    const cluster = this.#cluster;
    const execution: Promise<RunOutcome> = cluster
      ? runOnCluster({ ...common, specPath: entry.file, queue: cluster.queue, taskBytes: cluster.taskBytes, ackWaitMs: cluster.ackWaitMs })
      : runPipeline({ ...common, stateDir: runtime.stateDir });
    void execution
      .then(async (result) => {
        if (result.detached) return;
        const { totals } = result.run;
        const recordsOut = Object.values(totals.recordsOut).reduce((a, b) => a + b, 0);
        const details = { recordsIn: totals.recordsIn, recordsOut, quarantined: totals.quarantined };
        if (result.run.status === 'succeeded') await record({ action: 'run.finish', outcome: 'success', runId: result.run.id, details });
        else await record({ action: 'run.fail', outcome: 'failure', reason: 'SLUICE_CLUSTER', runId: result.run.id, details });
      })
      .catch(async (error: unknown) => {
        const code = (error as { code?: unknown }).code;
        runtime.logger.error({ err: error, pipeline: entry.name }, 'run failed');
        await record({ action: 'run.fail', outcome: 'failure', ...(typeof code === 'string' ? { reason: code } : {}), ...(claimedId !== undefined ? { runId: claimedId } : {}) }).catch(() => undefined);
      })
      .finally(async () => {
        if (channel) void runId.then((id) => this.#progress.close(id));
        await secrets.close();
        release();
      });
    // Either the run is claimed (its id), or it fails before that (locked, unreadable input): answer with that.
    return { runId: await Promise.race([runId, execution.then(() => runId)]) };
  }

  async stopAll(): Promise<void> {
    for (const { controller } of this.#running.values()) controller.abort();
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }
}
