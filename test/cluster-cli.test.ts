// Cluster mode from the command line: `sluice run --cluster` with `sluice worker` processes, the workers' listing,
// health endpoints and drain, and the bad input and faults of issue #10: unreadable task messages, a task that
// fails every delivery (dead-lettered, the run fails naming it, and resumes once the cause is fixed), a state store
// that refuses connections or is of a newer schema, and cluster mode asked for without its settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { assertNoStack, customersSpec, runCli, spawnCli } from './support/cli-harness.ts';
import { writeCustomers } from './support/generate-customers.ts';
import { serviceMissing } from './support/services.ts';
import { clusterFolder, spawnWorker, startWorker, stopWorkers, workerReady } from './support/cluster-harness.ts';
import { startPrivateNats } from './support/nats-server.ts';
import { stopProcess } from './support/child-processes.ts';
import type { PrivateNats } from './support/nats-server.ts';
import type { ClusterFolder, WorkerProcess } from './support/cluster-harness.ts';
import { LOCAL_POSTGRES } from './support/postgres-scratch.ts';
import { PostgresStateStore } from '../src/store/postgres/postgres-state-store.ts';

const skip = await serviceMissing('postgresql');
let nats: PrivateNats;

before(async () => {
  if (!skip) nats = await startPrivateNats();
});
after(async () => {
  await nats?.close();
});

/** A folder with a customers spec over `records` records and a keyring, ready for a cluster run. */
async function prepared(pipeline: string, records: number, extra: Parameters<typeof clusterFolder>[1] = {}): Promise<ClusterFolder> {
  const folder = await clusterFolder(nats.port, { taskBytes: 64 * 1024, ...extra });
  await writeFile(join(folder.dir, 'pipeline.yaml'), customersSpec(pipeline, 200));
  await writeCustomers(join(folder.dir, 'customers.jsonl'), records);
  const init = await runCli(folder.dir, 'keys', 'init');
  assert.equal(init.code, 0, init.stderr);
  return folder;
}

async function deadLetters(stream: string): Promise<{ runId: string; taskId: string; error: string; deliveries: number }[]> {
  const connection = await connect({ servers: `127.0.0.1:${nats.port}` });
  try {
    const jsm = await jetstreamManager(connection);
    const info = await jsm.streams.info(`${stream}_DEAD`);
    const letters = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const message = await jsm.streams.getMessage(`${stream}_DEAD`, { seq });
      if (message) letters.push(message.json<{ runId: string; taskId: string; error: string; deliveries: number }>());
    }
    return letters;
  } finally {
    await connection.close();
  }
}

test('run --cluster on two workers: the tasks spread over both, the summary is their sum, the objects decrypt; workers are listed, serve health and metrics, and drain on SIGTERM', { skip, timeout: 180_000 }, async () => {
  const folder = await prepared('spread', 20_000);
  const { dir } = folder;
  const workers = [startWorker(dir, 'alpha', '--health-port', '0'), startWorker(dir, 'beta', '--concurrency', '2')];
  try {
    await Promise.all(workers.map((w) => workerReady(w)));
    const ran = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /succeeded/);
    assert.match(ran.stdout, /records in\s+20,000/);
    assert.match(ran.stdout, /records out\s+20,000\s+-> file/);
    const tasks = Number(/tasks\s+(\d+) on (\d+) worker/.exec(ran.stdout)?.[1]);
    assert.ok(tasks > 10, `the run was split into many tasks: ${ran.stdout}`);
    assert.match(ran.stdout, /on 2 worker\(s\)/, 'both workers took tasks');

    const cat = await runCli(dir, 'cat', join(dir, 'out', 'spread'));
    assert.equal(cat.code, 0, cat.stderr);
    const ids = cat.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { customer_id: string }).customer_id);
    assert.equal(ids.length, 20_000);
    assert.equal(new Set(ids).size, 20_000);

    // Health and metrics of the worker that serves them.
    const url = /health: (http:\/\/127\.0\.0\.1:\d+)\/readyz/.exec(workers[0]!.stderr())?.[1];
    assert.ok(url, 'the worker says where its health endpoints are');
    assert.equal((await fetch(`${url}/livez`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /sluice_queue_depth\{state="waiting"\} 0/);
    assert.match(metrics, /sluice_worker_tasks_committed_total \d+/);
    assert.match(metrics, /sluice_worker_redeliveries_total/);
    assert.equal((await fetch(`${url}/metrics`, { method: 'POST' })).status, 405);

    const checked = await runCli(dir, 'check', 'pipeline.yaml');
    assert.match(checked.stdout, /SLC108.*the cluster work queue: plaintext connections to nats:\/\/127\.0\.0\.1:\d+ \(loopback only\)/, 'the plaintext work queue is reported');

    const listed = await runCli(dir, 'workers');
    assert.match(listed.stdout, /alpha\s+\S+\s+\d+\s+ready/);
    assert.match(listed.stdout, /beta\s+\S+\s+\d+\s+ready\s+0\s+2/);

    await stopWorkers(workers);
    for (const worker of workers) {
      const exit = await worker.done;
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stderr, /stopped: \d+ task\(s\) committed/);
      assertNoStack(exit.stderr);
    }
    const after = JSON.parse((await runCli(dir, 'workers', '--json')).stdout) as { id: string; state: string }[];
    assert.deepEqual(after.map((w) => [w.id, w.state]), [['alpha', 'stopped'], ['beta', 'stopped']]);
  } finally {
    await stopWorkers(workers);
    await folder.close();
  }
});

test('a task message that is not JSON, and one of another version, are dead-lettered with SLUICE_TASK_INVALID after their deliveries; the run beside them succeeds', { skip, timeout: 120_000 }, async () => {
  const folder = await prepared('unreadable', 2_000, { maxDeliver: 2, ackWait: '1s' });
  const { dir } = folder;
  const stream = 'SLUICE_TASKS';
  const worker = startWorker(dir, 'reader');
  try {
    await workerReady(worker);
    const connection = await connect({ servers: `127.0.0.1:${nats.port}` });
    try {
      const js = jetstream(connection);
      await js.publish(`sluice.${stream.toLowerCase()}.tasks`, new TextEncoder().encode('{not json'));
      await js.publish(`sluice.${stream.toLowerCase()}.tasks`, new TextEncoder().encode(JSON.stringify({ v: 2, runId: 'r', taskId: 't000001' })));
    } finally {
      await connection.close();
    }
    const ran = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    let letters: Awaited<ReturnType<typeof deadLetters>> = [];
    for (let i = 0; i < 100 && letters.length < 2; i++) {
      letters = await deadLetters(stream);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(letters.length, 2, JSON.stringify(letters));
    assert.ok(letters.every((l) => l.runId === 'unknown' && l.deliveries === 2));
    assert.ok(letters.some((l) => /not UTF-8 JSON/.test(l.error)));
    assert.ok(letters.some((l) => /version 2, but this worker reads version 1/.test(l.error)));
    worker.child.kill('SIGTERM');
    const exit = await worker.done;
    assert.match(exit.stderr, /SLUICE_TASK_INVALID/);
    assertNoStack(exit.stderr);
  } finally {
    await stopWorkers([worker]);
    await folder.close();
  }
});

test('a task that fails every delivery goes to the dead-letter stream with its error and the run fails naming it; once the cause is fixed the same command resumes the run', { skip, timeout: 180_000 }, async () => {
  const folder = await prepared('deadtask', 3_000, { maxDeliver: 2, ackWait: '2s', taskBytes: 256 * 1024 });
  const { dir } = folder;
  // The sink's folder is taken by a file: every delivery of every task fails to open the sink until it is removed.
  await writeFile(join(dir, 'out'), 'not a folder');
  const worker = startWorker(dir, 'unlucky');
  try {
    await workerReady(worker);
    const failed = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /SLUICE_CLUSTER/);
    assert.match(failed.stderr, /3 of 3 tasks failed \(first: t000001: SLUICE_SINK_WRITE_FAILED: sink 'file' could not be opened/);
    assertNoStack(failed.stderr);
    // The stream is shared by this file's tests: only this run's letters count.
    const runId = /run (\S+) failed/.exec(failed.stderr)?.[1];
    const letters = (await deadLetters('SLUICE_TASKS')).filter((l) => l.runId === runId);
    assert.deepEqual(letters.map((l) => [l.taskId, l.deliveries]).sort(), [['t000001', 2], ['t000002', 2], ['t000003', 2]]);
    assert.ok(letters.every((l) => /could not be opened/.test(l.error)), JSON.stringify(letters));

    await rm(join(dir, 'out'));
    const resumed = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`run ${runId} of deadtask: succeeded after 2 attempts`));
    assert.match(resumed.stdout, /records in\s+3,000/);
  } finally {
    await stopWorkers([worker]);
    await folder.close();
  }
});

test('a worker whose state store refuses connections at start exits with an error naming the store, without a stack trace', { skip, timeout: 60_000 }, async () => {
  const folder = await prepared('refused', 10);
  try {
    const settings = join(folder.dir, 'sluice.settings.yaml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(settings, (await readFile(settings, 'utf8')).replace(/port: 5432/, 'port: 1'));
    const exit = await startWorker(folder.dir, 'refused').done;
    assert.notEqual(exit.code, 0);
    assert.match(exit.stderr, /SLUICE_STATE_STORE|state store/);
    assert.match(exit.stderr, /127\.0\.0\.1:1/);
    assertNoStack(exit.stderr);
  } finally {
    await folder.close();
  }
});

test('a worker refuses a state store of a newer schema version than it knows, naming both versions', { skip, timeout: 60_000 }, async () => {
  const folder = await prepared('newer', 10);
  try {
    await folder.admin.query(`INSERT INTO ${pg.escapeIdentifier(folder.schema)}.schema_version (version, applied_at) VALUES (999, 'future')`);
    const exit = await startWorker(folder.dir, 'old').done;
    assert.notEqual(exit.code, 0);
    assert.match(exit.stderr, /SLUICE_STATE_STORE/);
    assert.match(exit.stderr, /schema version 999, newer than this Sluice knows \(\d+\); upgrade Sluice/);
    assertNoStack(exit.stderr);
  } finally {
    await folder.close();
  }
});

test('run --cluster without cluster settings, or on the SQLite store, says what to configure (usage error)', { skip, timeout: 60_000 }, async () => {
  const folder = await prepared('unset', 10);
  try {
    const settings = join(folder.dir, 'sluice.settings.yaml');
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(settings, 'utf8');
    await writeFile(settings, text.slice(0, text.indexOf('cluster:')));
    const noCluster = await runCli(folder.dir, 'run', '--cluster', 'pipeline.yaml');
    assert.equal(noCluster.code, 2, noCluster.stderr);
    assert.match(noCluster.stderr, /cluster mode needs a cluster section/);
    await writeFile(settings, text.slice(text.indexOf('cluster:')));
    const onSqlite = await runCli(folder.dir, 'run', '--cluster', 'pipeline.yaml');
    assert.equal(onSqlite.code, 2, onSqlite.stderr);
    assert.match(onSqlite.stderr, /set state\.store: postgresql/);
    const followed = await runCli(folder.dir, 'run', '--cluster', '--follow', 'pipeline.yaml');
    assert.equal(followed.code, 2);
    assert.match(followed.stderr, /--follow/);
  } finally {
    await folder.close();
  }
});

test('serve --cluster: a run started over the API runs on a worker that reports over mutual TLS as the worker its certificate names and is listed there; a worker with a certificate from another CA stops at start with a clear error', { skip, timeout: 180_000 }, async () => {
  const folder = await prepared('identity', 10);
  const { dir } = folder;
  const rogueDir = join(dir, 'rogue');
  const { mkdir, appendFile } = await import('node:fs/promises');
  await mkdir(rogueDir);
  assert.equal((await runCli(dir, 'certs', 'init', '--client', 'worker-1')).code, 0);
  assert.equal((await runCli(rogueDir, 'certs', 'init', '--client', 'worker-1')).code, 0);
  await appendFile(join(dir, 'sluice.settings.yaml'), 'server:\n  tls:\n    cert: certs/server.pem\n    key: certs/server-key.pem\n    clientCa: certs/ca.pem\n');
  assert.equal((await runCli(dir, 'access', 'bind', 'mtls:worker-1', 'worker')).code, 0);
  const viewer = await runCli(dir, 'access', 'apikey', 'create', '--name', 'ops', '--role', 'viewer');
  assert.equal(viewer.code, 0, viewer.stderr);
  process.env.SLUICE_TEST_VIEWER_KEY = viewer.stdout.trim();
  const engineer = await runCli(dir, 'access', 'apikey', 'create', '--name', 'eng', '--role', 'engineer');
  assert.equal(engineer.code, 0, engineer.stderr);
  process.env.SLUICE_TEST_ENGINEER_KEY = engineer.stdout.trim();
  // The catalogued pipeline: namespace ops, its input beside it.
  await mkdir(join(dir, 'pipelines', 'ops'), { recursive: true });
  await writeFile(join(dir, 'pipelines', 'ops', 'identity.yaml'), customersSpec('identity', 100));
  await writeCustomers(join(dir, 'pipelines', 'ops', 'customers.jsonl'), 1_000);
  const serve = spawnCli(dir, '--log-level', 'warn', 'serve', '--cluster', '--listen', '127.0.0.1:0');
  const workers: WorkerProcess[] = [];
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
      serve.child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (https:\/\/[^/\s]+)\//.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const remote = (certs: string) => ['--server', base, '--server-ca', join(dir, 'certs', 'ca.pem'), '--client-cert', join(certs, 'client-worker-1.pem'), '--client-key', join(certs, 'client-worker-1-key.pem')];
    const worker = spawnWorker(dir, 'remote', [...remote(join(dir, 'certs')), '--log-level', 'warn', 'worker']);
    workers.push(worker);
    await workerReady(worker);
    assert.match(worker.stderr(), /worker worker-1 ready/);
    const listed = await runCli(dir, '--server', base, '--server-ca', join(dir, 'certs', 'ca.pem'), '--credential', 'env://SLUICE_TEST_VIEWER_KEY', 'workers');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /worker-1\s+\S+\s+\d+\s+ready/);

    const ran = await runCli(dir, '--server', base, '--server-ca', join(dir, 'certs', 'ca.pem'), '--credential', 'env://SLUICE_TEST_ENGINEER_KEY', 'run', 'ops/identity');
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /succeeded/);
    assert.match(ran.stdout, /records in\s+1,000/);
    const tasks = await folder.admin.query<{ worker: string }>(`SELECT DISTINCT worker FROM ${pg.escapeIdentifier(folder.schema)}.tasks`);
    assert.deepEqual(tasks.rows.map((r) => r.worker), ['worker-1'], 'the run went to the worker, not the server process');

    const rogue = spawnWorker(dir, 'remote', [...remote(join(rogueDir, 'certs')), '--log-level', 'warn', 'worker']);
    workers.push(rogue);
    const refused = await rogue.done;
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /SLUICE_UNAUTHENTICATED|client certificate/);
    assertNoStack(refused.stderr);

    const misnamed = spawnWorker(dir, 'remote', [...remote(join(dir, 'certs')), '--log-level', 'warn', 'worker', '--name', 'worker-2']);
    workers.push(misnamed);
    const mismatch = await misnamed.done;
    assert.equal(mismatch.code, 2);
    assert.match(mismatch.stderr, /--name worker-2 differs from the name in the worker's certificate \(worker-1\)/);
  } finally {
    delete process.env.SLUICE_TEST_VIEWER_KEY;
    delete process.env.SLUICE_TEST_ENGINEER_KEY;
    await stopWorkers(workers);
    await stopProcess(serve.child);
    await folder.close();
  }
});

test('SIGTERM drains a worker mid-task: the task goes back to the queue at once and another worker commits it; SIGINT to the coordinator leaves the run to the workers and the same command attaches to it', { skip, timeout: 240_000 }, async () => {
  // One large task (taskBytes above the input's size), so that it is surely in flight when the signals come.
  const folder = await prepared('drain', 150_000, { taskBytes: 256 * 1024 * 1024, ackWait: '30s' });
  const { dir } = folder;
  const first = startWorker(dir, 'first');
  const workers = [first];
  const coordinator = spawnCli(dir, '--log-level', 'warn', 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
  try {
    await workerReady(first);
    const leased = async () => (await folder.admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(folder.schema)}.tasks WHERE attempts > 0`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0]!.n;
    while ((await leased()) === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    // The coordinator lets go; the run stays running on the worker.
    coordinator.child.kill('SIGINT');
    const detached = await coordinator.done;
    assert.equal(detached.code, 130, detached.stdout + detached.stderr);
    assert.match(detached.stdout, /goes on on the workers \(1 of 1 tasks left\); run the same command again/);
    // The run is a cluster run: one process may not finish it (its batches would duplicate the tasks' objects).
    const embedded = await runCli(dir, 'run', '--progress', 'none', 'pipeline.yaml');
    assert.notEqual(embedded.code, 0);
    assert.match(embedded.stderr, /SLUICE_RESUME_MISMATCH.*is split into tasks; finish it as it was started \('sluice run --cluster'/);
    // The worker drains: its task in flight is given back without waiting for the ack wait.
    first.child.kill('SIGTERM');
    const drained = await first.done;
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stderr, /0 task\(s\) committed, 1 given back/);
    const second = startWorker(dir, 'second');
    workers.push(second);
    await workerReady(second);
    const attached = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(attached.code, 0, attached.stdout + attached.stderr);
    assert.match(attached.stdout, /succeeded/);
    assert.match(attached.stdout, /records in\s+150,000/);
    assert.match(attached.stdout, /1 delivered more than once/);
    const cat = await runCli(dir, 'cat', join(dir, 'out', 'drain'));
    assert.equal(cat.code, 0, cat.stderr);
    const ids = cat.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { customer_id: string }).customer_id);
    assert.equal(ids.length, 150_000, 'the released attempt left no partial objects beside the committed ones');
    assert.equal(new Set(ids).size, 150_000);
  } finally {
    await stopProcess(coordinator.child, 'SIGKILL');
    await stopWorkers(workers);
    await folder.close();
  }
});

test("a cluster run applies the spec's retention to its sinks at the end, and each worker to its own quarantine, as an embedded run does", { skip, timeout: 120_000 }, async () => {
  const folder = await prepared('retained', 500);
  const { dir } = folder;
  const { appendFile, mkdir: makeDir, readdir } = await import('node:fs/promises');
  await appendFile(join(dir, 'pipeline.yaml'), 'retention: 30d\n');
  // An output of a run from 2020, long past the retention.
  const old = join(dir, 'out', 'retained', '20200101T000000Z-abcdef');
  await makeDir(old, { recursive: true });
  await writeFile(join(old, 'part-000001.jsonl.sluice'), 'old');
  // The worker's quarantine (in its own state folder; the coordinator's retention does not reach it): one run
  // past the retention, one within it.
  const { newRunId } = await import('../src/runtime/run-id.ts');
  const quarantine = join(dir, '.sluice', 'quarantine', 'retained');
  const recent = newRunId(new Date(Date.now() - 24 * 3600_000));
  for (const run of ['20200101T000000Z-abcdef', recent]) {
    await makeDir(join(quarantine, run), { recursive: true });
    await writeFile(join(quarantine, run, 'batch-t000001-000001.jsonl.sluice'), 'quarantined');
  }
  const worker = startWorker(dir, 'keeper');
  try {
    await workerReady(worker);
    const ran = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const runs = await readdir(join(dir, 'out', 'retained'));
    assert.equal(runs.includes('20200101T000000Z-abcdef'), false, 'the expired output was removed');
    assert.equal(runs.length, 1, 'the new run stays');
    const quarantined = await readdir(quarantine);
    assert.equal(quarantined.includes('20200101T000000Z-abcdef'), false, "the worker removed its quarantine of the expired run");
    assert.ok(quarantined.includes(recent), 'the quarantine of a run within the retention stays');
  } finally {
    await stopWorkers([worker]);
    await folder.close();
  }
});

test('a run that died before its first commit is adopted by run --cluster: its uncommitted output is removed before the split, and each record lands once', { skip, timeout: 120_000 }, async () => {
  const folder = await prepared('adopted', 2_000);
  const { dir } = folder;
  const { createHash } = await import('node:crypto');
  const { readFile, mkdir: makeDir, readdir } = await import('node:fs/promises');
  const hash = createHash('sha256').update(await readFile(join(dir, 'pipeline.yaml'), 'utf8')).digest('hex');
  // An embedded run that wrote its first object and died before the checkpoint: running, a pid that is gone.
  const store = await PostgresStateStore.open({ connectionString: `postgresql://${LOCAL_POSTGRES.user}@${LOCAL_POSTGRES.host}:${LOCAL_POSTGRES.port}/${LOCAL_POSTGRES.database}`, schema: folder.schema });
  const runId = '20261130T000000Z-dead01';
  try {
    await store.createRun({ id: runId, pipeline: 'adopted', specHash: hash, startedAt: new Date().toISOString(), pid: 999_999 });
  } finally {
    await store.close();
  }
  const stray = join(dir, 'out', 'adopted', runId);
  await makeDir(stray, { recursive: true });
  await writeFile(join(stray, 'part-000001.jsonl.sluice'), 'uncommitted');
  const worker = startWorker(dir, 'adopter');
  try {
    await workerReady(worker);
    const ran = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, new RegExp(`run ${runId} of adopted: succeeded after 2 attempts`));
    assert.equal((await readdir(stray)).includes('part-000001.jsonl.sluice'), false, 'the uncommitted object is gone');
    const cat = await runCli(dir, 'cat', join(dir, 'out', 'adopted'));
    assert.equal(cat.code, 0, cat.stderr);
    const ids = cat.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { customer_id: string }).customer_id);
    assert.equal(ids.length, 2_000);
    assert.equal(new Set(ids).size, 2_000);
  } finally {
    await stopWorkers([worker]);
    await folder.close();
  }
});
