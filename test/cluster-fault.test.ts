// The cluster fault test (issue #10): three workers process a large run while the test kills them with SIGKILL
// and restarts them, terminates their PostgreSQL connections, and restarts nats-server once. A Jepsen-style
// checker then classifies every input record by how often it reached the sink (ok: once; lost; duplicated;
// unexpected: a record that was never input), decrypts every object, and verifies the audit log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoStack, customersSpec, runCli, spawnCli } from './support/cli-harness.ts';
import { writeCustomers } from './support/generate-customers.ts';
import { serviceMissing } from './support/services.ts';
import { LOCAL_POSTGRES } from './support/postgres-scratch.ts';
import { clusterFolder, startWorker, stopWorkers, workerReady } from './support/cluster-harness.ts';
import { startPrivateNats } from './support/nats-server.ts';
import { stopProcess } from './support/child-processes.ts';
import type { WorkerProcess } from './support/cluster-harness.ts';
import { PostgresStateStore } from '../src/store/postgres/postgres-state-store.ts';
import { Keyring } from '../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider, loadLocalRootKey } from '../src/crypto/providers/local-provider.ts';
import { openObjectBuffer } from '../src/crypto/envelope/envelope.ts';
import { seeded } from '../src/seeded-random.ts';

const skip = await serviceMissing('postgresql');
/** 1M as the issue asks; SLUICE_FAULT_RECORDS makes a quicker local run. */
const RECORDS = Number(process.env.SLUICE_FAULT_RECORDS ?? 1_000_000);
/** The run takes under a minute here; ten is a hang. */
const RUN_LIMIT_MS = 10 * 60_000;

/** Every *.sluice file below `dir`. */
async function objectFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.sluice')).map((e) => join(e.parentPath, e.name)).sort();
}

interface Verdict {
  ok: number;
  lost: number;
  duplicated: number;
  unexpected: number;
}

/** How often each input record (C0000001 … C<count>) is in the lines. */
function classify(count: number, seen: Uint32Array, unexpected: number): Verdict {
  const verdict = { ok: 0, lost: 0, duplicated: 0, unexpected };
  for (let i = 1; i <= count; i++) {
    const n = seen[i] ?? 0;
    if (n === 1) verdict.ok++;
    else if (n === 0) verdict.lost++;
    else verdict.duplicated++;
  }
  return verdict;
}

test(
  `fault test: three workers on a ${RECORDS.toLocaleString('en-US')}-record run, SIGKILLed and restarted repeatedly, PostgreSQL connections terminated, nats-server restarted once; every record lands exactly once, every object decrypts, the audit log verifies`,
  { skip, timeout: 15 * 60_000 },
  async (t) => {
    const nats = await startPrivateNats();
    const folder = await clusterFolder(nats.port, { taskBytes: Math.max(256 * 1024, Math.floor((RECORDS * 230) / 60)), ackWait: '4s', maxDeliver: 100 });
    const { dir } = folder;
    const workers: WorkerProcess[] = [];
    let coordinator: ReturnType<typeof spawnCli> | undefined;
    try {
      await writeFile(join(dir, 'pipeline.yaml'), customersSpec('faults', 5000));
      await writeCustomers(join(dir, 'customers.jsonl'), RECORDS);
      const init = await runCli(dir, 'keys', 'init');
      assert.equal(init.code, 0, init.stderr);
      for (const name of ['w1', 'w2', 'w3']) workers.push(startWorker(dir, name));
      await Promise.all(workers.map((w) => workerReady(w)));

      coordinator = spawnCli(dir, '--log-level', 'warn', 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
      let finished = false;
      void coordinator.done.then(() => (finished = true));
      // A run that does not end is a failure with the processes' own words, not a test that never ends.
      const deadline = Date.now() + RUN_LIMIT_MS;
      const random = seeded(42);
      const faults = { kills: 0, pgTerminated: 0, natsRestarts: 0 };
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      for (let round = 0; !finished; round++) {
        if (Date.now() > deadline) {
          await stopProcess(coordinator.child, 'SIGKILL');
          const tails = await Promise.all(workers.map(async (w) => `${w.name}: ${w.stderr().slice(-2000)}`));
          assert.fail(`the run did not end within ${RUN_LIMIT_MS / 60_000} min (faults ${JSON.stringify(faults)}); coordinator: ${(await coordinator.done).stderr.slice(-4000)}\n${tails.join('\n')}`);
        }
        await pause(1000);
        if (finished) break;
        if (round === 0) {
          const { rows } = await folder.admin.query<{ n: number }>(
            `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'sluice' AND datname = $1`,
            [LOCAL_POSTGRES.database],
          );
          faults.pgTerminated += rows[0]?.n ?? 0;
          continue;
        }
        if (round === 2) {
          await nats.stop();
          await nats.start();
          faults.natsRestarts++;
          continue;
        }
        // SIGKILL a random worker mid-task and start another in its place.
        const index = Math.floor(random() * workers.length);
        const victim = workers[index]!;
        victim.child.kill('SIGKILL');
        await victim.done;
        faults.kills++;
        const replacement = startWorker(dir, victim.name);
        workers[index] = replacement;
        await workerReady(replacement);
      }
      const ran = await coordinator.done;
      t.diagnostic(`faults: ${JSON.stringify(faults)}`);
      assert.equal(ran.code, 0, `coordinator: ${ran.stdout}${ran.stderr}\nworkers: ${(await Promise.all(workers.map(async (w) => { w.child.kill('SIGKILL'); return (await w.done).stderr.slice(-2000); }))).join('\n')}`);
      assertNoStack(ran.stderr);
      assert.ok(faults.kills >= 2 && faults.pgTerminated >= 1 && faults.natsRestarts === 1, `the run ended before every fault was injected: ${JSON.stringify(faults)}; raise SLUICE_FAULT_RECORDS`);
      assert.match(ran.stdout, new RegExp(`records in\\s+${RECORDS.toLocaleString('en-US')}`));
      await stopWorkers(workers);

      // The checker: every object on disk decrypts, and each input record is in them exactly once.
      const store = await PostgresStateStore.open({ connectionString: `postgresql://${LOCAL_POSTGRES.user}@${LOCAL_POSTGRES.host}:${LOCAL_POSTGRES.port}/${LOCAL_POSTGRES.database}`, schema: folder.schema });
      const keyring = new Keyring(store, new LocalKeyProvider(await loadLocalRootKey(join(dir, '.sluice', 'master.key'))));
      const seen = new Uint32Array(RECORDS + 1);
      let unexpected = 0;
      try {
        const files = await objectFiles(join(dir, 'out'));
        const [run] = await store.listRuns({ pipeline: 'faults' });
        const recorded = (await store.listObjects({ runId: run!.id })).map((o) => new URL(o.location).pathname).sort();
        assert.deepEqual(files, recorded, 'the objects on disk are exactly those the committed tasks recorded');
        for (const file of files) {
          const { plaintext } = await openObjectBuffer(await readFile(file), keyring, file);
          for (const line of plaintext.toString('utf8').split('\n')) {
            if (line === '') continue;
            const id = (JSON.parse(line) as { customer_id: string }).customer_id;
            const n = /^C(\d{7})$/.exec(id) ? Number(id.slice(1)) : 0;
            if (n >= 1 && n <= RECORDS) seen[n] = (seen[n] ?? 0) + 1;
            else unexpected++;
          }
        }
        const tasks = await store.listTasks(run!.id);
        t.diagnostic(`tasks: ${tasks.length}, delivered more than once: ${tasks.filter((task) => task.attempts > 1).length}`);
      } finally {
        keyring.close();
        await store.close();
      }
      const verdict = classify(RECORDS, seen, unexpected);
      t.diagnostic(`checker: ${JSON.stringify(verdict)}`);
      assert.deepEqual(verdict, { ok: RECORDS, lost: 0, duplicated: 0, unexpected: 0 });
      const verified = await runCli(dir, 'audit', 'verify');
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    } finally {
      if (coordinator) await stopProcess(coordinator.child, 'SIGKILL');
      await stopWorkers(workers, 'SIGKILL');
      await nats.close();
      await folder.close();
    }
  },
);
