// Runs catalogued pipelines that declare a `schedule` (cron, in UTC) under `sluice serve`, as the principal
// system:scheduler. Never two runs of one pipeline at once: a time that comes while the pipeline is still
// running is skipped (logged, and reported to onFire). Missed-run policy: a scheduled time that passed while the server was
// down is made up by one run at startup, however many times were missed (as anacron and systemd's
// Persistent=true do); a pipeline that never ran has nothing to make up. The catalog is read again every
// minute, so a spec written through the API or on disk is picked up without a restart.
import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.ts';
import type { StateStore } from '../store/state-store.ts';
import type { PipelineRunner } from './control-plane.ts';
import type { CatalogEntry, PipelineCatalog } from './pipeline-catalog.ts';

export const SCHEDULER_PRINCIPAL: Principal = { id: 'system:scheduler', method: 'system', kind: 'service', scopes: [] };

/** Schedules are read in UTC: one meaning on every server, whatever its local zone. */
export const SCHEDULE_TIMEZONE = 'UTC';

interface Job {
  pattern: string;
  /** The spec file it runs: a pipeline moved to another namespace gets a new job. */
  file: string;
  cron: Cron;
}

export interface SchedulerOptions {
  catalog: PipelineCatalog;
  runner: PipelineRunner;
  store: StateStore;
  logger: Logger;
  /** How often the catalog is read again (default 60 s). */
  refreshMs?: number;
  now?: () => Date;
  /** Called after each start attempt (tests, metrics). */
  onFire?: (event: { pipeline: string; outcome: 'started' | 'skipped-running' | 'failed'; runId?: string; reason?: string; catchUp: boolean }) => void;
}

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #jobs = new Map<string, Job>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /** The scheduled pipelines and their next times. */
  scheduled(): { pipeline: string; schedule: string; next?: string }[] {
    return [...this.#jobs].map(([pipeline, job]) => ({ pipeline, schedule: job.pattern, ...(job.cron.nextRun() ? { next: job.cron.nextRun()!.toISOString() } : {}) }));
  }

  async start(): Promise<void> {
    await this.refresh({ catchUp: true });
    this.#timer = setInterval(() => void this.refresh({ catchUp: false }).catch((error: unknown) => this.#options.logger.error({ err: error }, 'scheduler refresh failed')), this.#options.refreshMs ?? 60_000);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const job of this.#jobs.values()) job.cron.stop();
    this.#jobs.clear();
  }

  /** Reads the catalog and (re)creates a job per scheduled pipeline; with `catchUp`, makes up missed times. */
  async refresh({ catchUp }: { catchUp: boolean }): Promise<void> {
    const seen = new Set<string>();
    for (const entry of await this.#options.catalog.list()) {
      let schedule: string | undefined;
      try {
        schedule = (await this.#options.catalog.check(entry)).schedule;
      } catch (error) {
        // A spec that does not load keeps no schedule until it is fixed; the API's check says why.
        this.#options.logger.warn({ pipeline: entry.name, code: (error as { code?: string }).code }, 'scheduled pipeline spec does not load; not scheduled');
      }
      if (schedule === undefined) continue;
      seen.add(entry.name);
      const existing = this.#jobs.get(entry.name);
      if (existing?.pattern === schedule && existing.file === entry.file) continue;
      existing?.cron.stop();
      const cron = new Cron(schedule, { timezone: SCHEDULE_TIMEZONE, unref: true, catch: true }, () => void this.#fire(entry, false));
      this.#jobs.set(entry.name, { pattern: schedule, file: entry.file, cron });
      if (catchUp && (await this.#missed(entry.name, cron))) await this.#fire(entry, true);
    }
    for (const [name, job] of this.#jobs) {
      if (!seen.has(name)) {
        job.cron.stop();
        this.#jobs.delete(name);
      }
    }
  }

  /** Whether a scheduled time passed after the pipeline's last start (and before now). */
  async #missed(pipeline: string, cron: Cron): Promise<boolean> {
    const last = (await this.#options.store.listRuns({ pipeline, limit: 1 }))[0];
    if (!last) return false;
    const next = cron.nextRun(new Date(last.startedAt));
    return next !== null && next.getTime() <= (this.#options.now?.() ?? new Date()).getTime();
  }

  async #fire(entry: CatalogEntry, catchUp: boolean): Promise<void> {
    if (this.#stopped) return;
    const { runner, logger, onFire } = this.#options;
    if (runner.active().has(entry.name)) {
      logger.warn({ pipeline: entry.name }, 'scheduled run skipped: the previous run is still going');
      onFire?.({ pipeline: entry.name, outcome: 'skipped-running', catchUp });
      return;
    }
    try {
      const { runId } = await runner.start(entry, SCHEDULER_PRINCIPAL, `schedule:${randomUUID()}`);
      logger.info({ pipeline: entry.name, runId, catchUp }, 'scheduled run started');
      onFire?.({ pipeline: entry.name, outcome: 'started', runId, catchUp });
    } catch (error) {
      const reason = (error as { code?: string }).code ?? 'SLUICE_INTERNAL';
      // Locked by another process (a `sluice run` of the same pipeline) counts as still running.
      logger.warn({ pipeline: entry.name, reason }, 'scheduled run not started');
      onFire?.({ pipeline: entry.name, outcome: reason === 'SLUICE_RUN_LOCKED' ? 'skipped-running' : 'failed', reason, catchUp });
    }
  }
}
