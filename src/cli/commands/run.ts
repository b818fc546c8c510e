// `sluice run`: checks the plan, then runs it; resumes an interrupted run of the same spec.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { loadPlan } from '../load-plan.ts';
import { formatFindings } from '../format-findings.ts';
import { formatSummary } from '../format-summary.ts';
import { hasErrors } from '../../plan/findings.ts';
import { SluiceError } from '../../errors.ts';
import { runPipeline } from '../../runtime/executor.ts';
import { MAX_THREADS } from '../../runtime/threads/run-in-threads.ts';
import { plainProgress, silentProgress, terminalProgress } from '../../runtime/progress.ts';
import type { ProgressReporter } from '../../runtime/progress.ts';
import { openKeyring, openRuntime, openSecretResolver, closeRuntime, recordEvent } from '../runtime-setup.ts';
import type { Keyring } from '../../crypto/keyring/keyring.ts';
import { targetsOverlap } from '../../spec/validate.ts';
import { EXIT } from '../exit-codes.ts';
import { DEFAULT_SPEC } from './defaults.ts';
import { resolve } from 'node:path';

type ProgressMode = 'auto' | 'bar' | 'plain' | 'none';

function progressFor(mode: ProgressMode, stderr: CliContext['stderr']): ProgressReporter {
  if (mode === 'none') return silentProgress;
  if (mode === 'bar' || (mode === 'auto' && stderr.isTTY)) return terminalProgress(stderr as NodeJS.WriteStream);
  return plainProgress(stderr);
}

/** --threads as a number: a whole number from 1 to MAX_THREADS. */
function parseThreads(text: string): number {
  const threads = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(threads >= 1 && threads <= MAX_THREADS)) throw new SluiceError('SLUICE_USAGE', `--threads must be a whole number from 1 to ${MAX_THREADS}, not '${text}'`);
  return threads;
}

export function registerRun(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('Check the plan, then run the pipeline in this process (resumes an interrupted run)')
    .argument('[spec]', 'the pipeline spec (YAML or TypeScript); with --server, a catalogued pipeline as NAMESPACE/NAME', DEFAULT_SPEC)
    .option('--fresh', 'start a new run even if the last one was interrupted')
    .option('--follow', 'keep consuming the source (a stream, a table polled past its cursor) until SIGTERM or SIGINT; then finish the batch in flight and stop')
    .option('--progress <mode>', 'auto (bar on a terminal, lines otherwise), bar, plain or none', 'auto')
    .option('--cluster', "split the run into tasks for 'sluice worker' processes (settings: cluster, state.store postgresql) and wait for them to finish")
    .option('--threads <n>', 'split the run into tasks and run them on N threads of this process (a JSON Lines file or a PostgreSQL table); 1 runs batches in order on one thread', '1')
    .action(async (specPath: string, options: { fresh?: boolean; follow?: boolean; progress: string; cluster?: boolean; threads: string }) => {
      if (!['auto', 'bar', 'plain', 'none'].includes(options.progress)) {
        throw new SluiceError('SLUICE_USAGE', `--progress must be auto, bar, plain or none, not '${options.progress}'`);
      }
      if (context.global.remote) {
        const { remoteRun } = await import('../remote/remote-run.ts');
        await remoteRun(specPath, options, context, setExit);
        return;
      }
      if (options.cluster && options.follow) throw new SluiceError('SLUICE_USAGE', '--cluster runs a bounded run split into tasks; a followed stream runs in one process (drop --follow or --cluster)');
      const threads = parseThreads(options.threads);
      if (threads > 1 && options.follow) throw new SluiceError('SLUICE_USAGE', '--threads splits a bounded run into tasks; a followed stream runs on one thread (drop --follow or --threads)');
      if (threads > 1 && options.cluster) throw new SluiceError('SLUICE_USAGE', "--cluster runs the tasks on 'sluice worker' processes, --threads on threads of this one: choose one");
      const { loaded, plan } = await loadPlan(specPath, context.registry, context.cwd);
      if (hasErrors(plan.findings)) {
        println(context.stderr, formatFindings(plan.findings));
        throw new SluiceError('SLUICE_PLAN_REJECTED', `pipeline '${plan.spec.pipeline}' was not run: fix the errors above first (see 'sluice check')`);
      }
      const runtime = await openRuntime(context);
      for (const sink of plan.spec.sinks) {
        const target = sink.component.target?.(sink.options, plan.spec.baseDir);
        if (target !== undefined && targetsOverlap(target, runtime.stateDir)) {
          await closeRuntime(runtime);
          throw new SluiceError('SLUICE_SETTINGS_INVALID', `the state folder ${runtime.stateDir} (which holds the quarantine) and sink '${sink.name}' (${target}) overlap; move one of them`);
        }
      }
      let keyring: Keyring;
      try {
        keyring = await openKeyring(runtime, context, { createRootKey: true });
        await keyring.ensure(runtime.settings.keys.keyId);
      } catch (error) {
        await closeRuntime(runtime);
        throw error;
      }
      const controller = new AbortController();
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals > 1) process.exit(EXIT.INTERRUPTED);
        const then = options.follow ? 'stopping' : 'stopping (run again to resume)';
        println(context.stderr, `\n${signal}: finishing the batch in flight, then ${then}; again to stop at once`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const secrets = await openSecretResolver(runtime, context, keyring);
      const pipeline = `pipeline:${plan.spec.pipeline}`;
      try {
        // A spec the pipeline has not run with before is a configuration change: recorded with its hash.
        const previous = (await runtime.store.listRuns({ pipeline: plan.spec.pipeline, limit: 1 }))[0];
        if (previous?.specHash !== loaded.hash) {
          await recordEvent(runtime, { action: 'config.change', resource: pipeline, outcome: 'success', details: { what: 'spec', specHash: loaded.hash, ...(previous ? { previousSpecHash: previous.specHash } : {}) } });
        }
        const mode: Record<string, string | number> = options.cluster ? { mode: 'cluster' } : threads > 1 ? { mode: 'threads', threads } : {};
        await recordEvent(runtime, { action: 'run.start', resource: pipeline, outcome: 'success', details: { specHash: loaded.hash, ...mode } });
        if (options.cluster || threads > 1) {
          const { runClusterCommand } = await import('../cluster-run.ts');
          await runClusterCommand({ runtime, context, plan, specPath: resolve(context.cwd, specPath), specHash: loaded.hash, keyring, secrets, fresh: options.fresh ?? false, ...(threads > 1 ? { threads } : {}), progress: progressFor(options.progress as ProgressMode, context.stderr), signal: controller.signal, setExit });
          return;
        }
        let result;
        try {
          result = await runPipeline({
          plan,
          store: runtime.store,
          stateDir: runtime.stateDir,
          encryption: { keys: keyring, keyId: runtime.settings.keys.keyId },
          specHash: loaded.hash,
          fresh: options.fresh ?? false,
          follow: options.follow ?? false,
          logger: runtime.logger,
          progress: progressFor(options.progress as ProgressMode, context.stderr),
          signal: controller.signal,
          secrets,
        });
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          await recordEvent(runtime, { action: 'run.fail', resource: pipeline, outcome: 'failure', ...(typeof code === 'string' ? { reason: code } : {}) });
          throw error;
        }
        const { totals } = result.run;
        const recordsOut = Object.values(totals.recordsOut).reduce((a, b) => a + b, 0);
        await recordEvent(runtime, { action: 'run.finish', resource: pipeline, outcome: 'success', requestId: result.run.id, details: { recordsIn: totals.recordsIn, recordsOut, quarantined: totals.quarantined } });
        if (result.abandoned) println(context.stdout, `note: interrupted run ${result.abandoned.runId} was abandoned: ${result.abandoned.reason}`);
        println(context.stdout, formatSummary(result.run, result));
        if (result.run.totals.quarantined > 0) {
          println(context.stdout, `\n${result.run.totals.quarantined} record(s) were quarantined; 'sluice cat ${result.quarantineDir}' shows each with its reason.`);
        }
        setExit(EXIT.OK);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await secrets.close();
        keyring.close();
        await closeRuntime(runtime);
      }
    });
}
