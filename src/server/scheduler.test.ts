// The scheduler: runs on time, never two at once, one catch-up run after downtime, specs picked up and dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SqliteStateStore } from '../store/sqlite/sqlite-state-store.ts';
import { PipelineCatalog } from './pipeline-catalog.ts';
import type { CatalogEntry } from './pipeline-catalog.ts';
import type { PipelineRunner } from './control-plane.ts';
import { Scheduler } from './scheduler.ts';
import type { SchedulerOptions } from './scheduler.ts';

type Fired = Parameters<NonNullable<SchedulerOptions['onFire']>>[0];

/** A runner double: "runs" last `runMs`, during which the pipeline is active. */
function runnerDouble(runMs: number): PipelineRunner & { starts: string[] } {
  const active = new Set<string>();
  const starts: string[] = [];
  return {
    starts,
    start: async (entry: CatalogEntry, by) => {
      assert.equal(by.id, 'system:scheduler');
      starts.push(entry.name);
      active.add(entry.name);
      setTimeout(() => active.delete(entry.name), runMs).unref();
      return { runId: `run-${starts.length}` };
    },
    active: () => active,
    stopAll: async () => undefined,
  };
}

async function setup(specs: Record<string, string | undefined>) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-scheduler-'));
  await mkdir(join(dir, 'pipelines'));
  const write = async (name: string, schedule: string | undefined) => writeFile(join(dir, 'pipelines', `${name}.yaml`), `pipeline: ${name}\n${schedule ? `schedule: "${schedule}"\n` : ''}`);
  for (const [name, schedule] of Object.entries(specs)) await write(name, schedule);
  // The checker reads the schedule line only: the scheduler needs nothing else from a spec.
  const catalog = new PipelineCatalog(join(dir, 'pipelines'), async (file) => {
    const text = await readFile(file, 'utf8');
    const schedule = /schedule: "(.*)"/.exec(text)?.[1];
    return { pipeline: /pipeline: (\S+)/.exec(text)![1]!, ...(schedule ? { schedule } : {}), findings: [] };
  });
  const store = new SqliteStateStore(join(dir, 'state.db'));
  return { dir, catalog, store, write, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
}

test('a pipeline with a schedule runs on time, and one without never does', async () => {
  const s = await setup({ every: '* * * * * *', never: undefined });
  const runner = runnerDouble(10);
  const fired: Fired[] = [];
  const scheduler = new Scheduler({ catalog: s.catalog, runner, store: s.store, logger: pino({ level: 'silent' }), onFire: (e) => fired.push(e) });
  try {
    await scheduler.start();
    assert.deepEqual(scheduler.scheduled().map((j) => j.pipeline), ['every']);
    await new Promise((resolve) => setTimeout(resolve, 2300));
    assert.ok(runner.starts.length >= 2, `started ${runner.starts.length} times in 2.3 s`);
    assert.ok(runner.starts.every((name) => name === 'every'));
    assert.ok(fired.every((e) => e.outcome === 'started' && !e.catchUp));
  } finally {
    scheduler.stop();
    await s.cleanup();
  }
});

test('never two runs of one pipeline at once: a time that comes during a run is skipped', async () => {
  const s = await setup({ slow: '* * * * * *' });
  const runner = runnerDouble(2500);
  const fired: Fired[] = [];
  const scheduler = new Scheduler({ catalog: s.catalog, runner, store: s.store, logger: pino({ level: 'silent' }), onFire: (e) => fired.push(e) });
  try {
    await scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 2300));
    assert.equal(runner.starts.length, 1);
    assert.ok(fired.filter((e) => e.outcome === 'skipped-running').length >= 1);
  } finally {
    scheduler.stop();
    await s.cleanup();
  }
});

test('missed-run policy: after downtime that spanned scheduled times, one catch-up run at startup; none for a pipeline that never ran', async () => {
  const s = await setup({ hourly: '0 * * * *', fresh: '0 * * * *' });
  // The hourly pipeline last started three hours ago: three scheduled times passed while the server was down.
  const threeHoursAgo = new Date(Date.now() - 3 * 3600_000).toISOString();
  await s.store.createRun({ id: 'old', pipeline: 'hourly', specHash: 'h', startedAt: threeHoursAgo, pid: 1 });
  await s.store.finishRun('old', { status: 'succeeded', finishedAt: threeHoursAgo, totals: (await s.store.getRun('old'))!.totals });
  const runner = runnerDouble(10);
  const fired: Fired[] = [];
  const scheduler = new Scheduler({ catalog: s.catalog, runner, store: s.store, logger: pino({ level: 'silent' }), onFire: (e) => fired.push(e) });
  try {
    await scheduler.start();
    assert.deepEqual(runner.starts, ['hourly'], 'one catch-up run, and only for the pipeline that missed its time');
    assert.equal(fired[0]?.catchUp, true);
  } finally {
    scheduler.stop();
    await s.cleanup();
  }
});

test('a schedule added, changed or removed on disk is picked up at the next refresh', async () => {
  const s = await setup({ a: undefined });
  const runner = runnerDouble(10);
  const scheduler = new Scheduler({ catalog: s.catalog, runner, store: s.store, logger: pino({ level: 'silent' }) });
  try {
    await scheduler.start();
    assert.deepEqual(scheduler.scheduled(), []);
    await s.write('a', '0 3 * * *');
    await scheduler.refresh({ catchUp: false });
    assert.equal(scheduler.scheduled()[0]?.schedule, '0 3 * * *');
    assert.match(scheduler.scheduled()[0]?.next ?? '', /T03:00:00\.000Z$/, 'schedules are in UTC');
    await s.write('a', undefined);
    await scheduler.refresh({ catchUp: false });
    assert.deepEqual(scheduler.scheduled(), []);
  } finally {
    scheduler.stop();
    await s.cleanup();
  }
});
