// The audit log: durable appends per second through AuditLog (group commit) against raw better-sqlite3 inserts of
// the same rows in the same transactions (the limit); verification in events per second against just reading the
// rows (the floor); inclusion and consistency proofs on a log of 10M events, through the functions `sluice audit
// prove` calls, against the store reads they make; and the anomaly detectors' false-positive rate on a synthetic
// normal history.
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BenchRow, BenchSuite } from '../harness.ts';
import { timeIt, withPeakRss } from '../harness.ts';
import { PAGE_BYTES, SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { AuditLog, restoreAccumulator } from '../../src/audit/audit-log.ts';
import type { CheckpointSigner } from '../../src/audit/audit-log.ts';
import type { AuditEvent } from '../../src/audit/audit-event.ts';
import type { AuditNode, AuditRow } from '../../src/audit/audit-store.ts';
import { VERIFY_PAGE_ROWS, verifyAuditLog } from '../../src/audit/verify-log.ts';
import { proveAppendOnly, proveEvent } from '../../src/audit/audit-proofs.ts';
import { signingKeyFrom } from '../../src/audit/signing-key.ts';
import { MerkleAccumulator, leafHash, nodeHash } from '../../src/audit/merkle/merkle-hash.ts';
import { STORED_FROM_LEVEL } from '../../src/audit/merkle/subtree-store.ts';
import { openCheckpoint, signCheckpoint } from '../../src/audit/merkle/checkpoint.ts';
import type { Checkpoint } from '../../src/audit/merkle/checkpoint.ts';
import { parseConsistencyProofJson, parseInclusionProofJson, verifyConsistencyProof, verifyInclusionProof } from '../../src/audit/merkle/proof-json.ts';
import { generateNormalHistory } from '../../src/audit/anomaly/synthetic-history.ts';
import { falsePositiveRate } from '../../src/audit/anomaly/false-positive-rate.ts';
import { seeded } from '../../src/seeded-random.ts';

const SUITE = 'audit';
const ORIGIN = 'sluice/audit';
const perSecond = (count: number, ms: number): number => count / (ms / 1000);

/** A store that can note what is asked of it: the batches AuditLog commits, the reads a proof makes. */
class RecordingStore extends SqliteStateStore {
  batches: { rows: readonly AuditRow[]; nodes: readonly AuditNode[] }[] | undefined;
  reads: (() => Promise<unknown>)[] | undefined;

  override appendAuditRows(expectedSize: number, rows: readonly AuditRow[], nodes: readonly AuditNode[]): Promise<boolean> {
    this.batches?.push({ rows, nodes });
    return super.appendAuditRows(expectedSize, rows, nodes);
  }
  override auditHead(): Promise<{ size: number; chain: Buffer }> {
    this.reads?.push(() => super.auditHead());
    return super.auditHead();
  }
  override readAuditRows(fromSeq: number, limit: number): Promise<AuditRow[]> {
    this.reads?.push(() => super.readAuditRows(fromSeq, limit));
    return super.readAuditRows(fromSeq, limit);
  }
  override getAuditNode(level: number, index: number): Promise<Buffer | undefined> {
    this.reads?.push(() => super.getAuditNode(level, index));
    return super.getAuditNode(level, index);
  }
}

/** An event as the secret store records a read (about 250 bytes of canonical JSON). */
function eventOf(n: number): AuditEvent {
  return {
    time: new Date(Date.UTC(2026, 0, 1) + n * 10).toISOString(),
    actor: { principal: `oidc:https://id.example.com#user-${n % 97}`, method: 'oidc' },
    action: 'secret.read',
    resource: `secret:crm/api-token-${n % 13}`,
    outcome: 'success',
    requestId: `req-${n}`,
    source: `198.51.100.${n % 40}`,
    details: { version: 1 + (n % 3), purpose: 'run' },
  };
}

/** Appends `events` with `inFlight` appends outstanding at any time; resolves when every one is durable. */
async function appendAll(log: AuditLog, events: readonly AuditEvent[], inFlight: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < events.length) await log.append(events[next++]!);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

const eventsOf = (count: number): AuditEvent[] => Array.from({ length: count }, (_, i) => eventOf(i));

async function withDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-audit-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The pragmas SqliteStateStore sets, for the raw baseline. */
function openLikeTheStore(file: string): Database.Database {
  const db = new Database(file);
  db.pragma(`page_size = ${PAGE_BYTES}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('secure_delete = ON');
  return db;
}

/**
 * Durable appends per second: AuditLog with `inFlight` appends outstanding (group commit) on a new SQLite file,
 * then the rows and nodes it committed inserted again into another new file by raw prepared statements, one
 * IMMEDIATE transaction per batch AuditLog made, with the same schema and pragmas. Wall time (fsync is part of the cost).
 */
async function appendRow(signer: CheckpointSigner, quick: boolean): Promise<BenchRow> {
  const count = quick ? 10_000 : 100_000;
  const inFlight = 256;
  const ours: number[] = [];
  const raw: number[] = [];
  let perBatch = 0;
  // A small warm-up round, then three measured ones, each on new files, AuditLog and the raw inserts alternating.
  for (let round = 0; round <= 3; round++) {
    const warmup = round === 0;
    const n = warmup ? 2_000 : count;
    const batches = await withDir(async (dir) => {
      const store = new RecordingStore(join(dir, 'state.db'));
      store.batches = [];
      const log = new AuditLog(store);
      log.setSigner(signer);
      const events = eventsOf(n);
      const started = performance.now();
      await appendAll(log, events, inFlight);
      if (!warmup) ours.push(perSecond(n, performance.now() - started));
      await log.close();
      await store.close();
      return store.batches;
    });
    perBatch = n / batches.length;
    await withDir(async (dir) => {
      const file = join(dir, 'state.db');
      await new SqliteStateStore(file).close(); // the schema, as the store migrates it
      const db = openLikeTheStore(file);
      const insert = db.prepare('INSERT INTO audit_events (seq, time, action, principal, resource, outcome, event, hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      const insertNode = db.prepare('INSERT OR REPLACE INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)');
      const commit = db.transaction((batch: (typeof batches)[number]) => {
        for (const r of batch.rows) insert.run(r.seq, r.time, r.action, r.principal, r.resource, r.outcome, r.event, Buffer.concat([r.leaf, r.chain]));
        for (const x of batch.nodes) insertNode.run(x.level, x.index, x.hash);
      });
      const started = performance.now();
      for (const batch of batches) commit.immediate(batch);
      if (!warmup) raw.push(perSecond(n, performance.now() - started));
      db.close();
    });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const value = median(ours);
  const limit = median(raw);
  return {
    suite: SUITE,
    name: `durable appends through AuditLog, ${inFlight} in flight (group commit: ${Math.round(perBatch)} events per transaction; synchronous=FULL, WAL; checkpoint signed every 1000), ${count.toLocaleString('en-US')} events`,
    value,
    unit: 'events/s',
    spread: [Math.min(...ours), Math.max(...ours)],
    baseline: { name: 'raw better-sqlite3 INSERTs of the same rows, same transactions', value: limit },
    ratio: value / limit,
    target: { text: '≥ 20,000/s', met: value >= 20_000 },
  };
}

/** Verification of a log of `count` events (signed checkpoints every 1000) against reading its rows. CPU time. */
async function verifyRow(signer: CheckpointSigner, quick: boolean): Promise<BenchRow> {
  const count = quick ? 20_000 : 200_000;
  const trusted = [{ name: ORIGIN, publicKey: createPublicKey(signer.privateKey) }];
  return withDir(async (dir) => {
    const store = new SqliteStateStore(join(dir, 'state.db'));
    try {
      const log = new AuditLog(store);
      log.setSigner(signer);
      await appendAll(log, eventsOf(count), 1024);
      await log.close();
      const { result: verify, peakRssMiB } = await withPeakRss(() =>
        timeIt(quick ? 3 : 5, async () => {
          const verification = await verifyAuditLog(store, trusted);
          if (!verification.ok || verification.size !== count) throw new Error(`the bench log does not verify: ${verification.problems.join('; ')}`);
        }, 'cpu'),
      );
      // The floor: the same pages of rows, read as verification reads them (readAuditChain), and nothing else.
      const read = await timeIt(quick ? 3 : 5, async () => {
        for (let from = 1; from <= count; from += VERIFY_PAGE_ROWS) await store.readAuditChain(from, VERIFY_PAGE_ROWS);
      }, 'cpu');
      const value = perSecond(count, verify.median);
      const floor = perSecond(count, read.median);
      return {
        suite: SUITE,
        name: `verifying a log of ${count.toLocaleString('en-US')} events (leaves, chain, tree, ${Math.floor(count / 1000)} signed checkpoints; CPU time)`,
        value,
        unit: 'events/s',
        spread: [perSecond(count, verify.max), perSecond(count, verify.min)],
        baseline: { name: 'reading the rows alone (the floor)', value: floor },
        ratio: value / floor,
        target: { text: '≥ 300,000/s', met: value >= 300_000 },
        peakRssMiB,
      };
    } finally {
      await store.close();
    }
  });
}

const BLOCK = 2 ** STORED_FROM_LEVEL;

/**
 * A log of `size` events as the proofs read it, built in seconds instead of hours: every stored subtree root
 * (audit_nodes) over all `size` leaves, but event rows only in the blocks of 256 leaves that the proofs asked of
 * it touch. Event i's text is its sequence number in decimal, so its leaf hash is RFC 9162's leafHash of that text
 * and proofs carry checkable leaves. Each block's root is hashed pairwise from its leaves and the levels above come
 * from a MerkleAccumulator over the block roots: the nodes the writer stores (subtree-store.ts), without the
 * writer's per-leaf copies. A wrong node would fail the proofs' verification against the leaves.
 */
async function buildProofLog(file: string, size: number, blocks: ReadonlySet<number>): Promise<void> {
  await new SqliteStateStore(file).close();
  const db = new Database(file);
  // Set-up only: nothing here is measured, so no fsync.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insertRow = db.prepare("INSERT INTO audit_events (seq, time, action, principal, resource, outcome, event, hashes) VALUES (?, '2026-01-01T00:00:00.000Z', 'data.read', 'bench', 'bench', 'success', ?, ?)");
  const insertNode = db.prepare('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)');
  const nodes: AuditNode[] = [];
  const rows: { seq: number; text: string; leaf: Buffer }[] = [];
  const flush = db.transaction(() => {
    for (const n of nodes.splice(0)) insertNode.run(n.level, n.index, n.hash);
    // The chain column is not read by proofs.
    for (const r of rows.splice(0)) insertRow.run(r.seq, r.text, Buffer.concat([r.leaf, r.leaf]));
  });
  const upper = new MerkleAccumulator({ onSubtree: (level, index, hash) => nodes.push({ level: level + STORED_FROM_LEVEL, index, hash }) });
  const level: Buffer[] = new Array<Buffer>(BLOCK);
  for (let block = 0; block * BLOCK < size; block++) {
    const first = block * BLOCK;
    const count = Math.min(BLOCK, size - first);
    for (let j = 0; j < count; j++) {
      const text = String(first + j + 1);
      level[j] = leafHash(Buffer.from(text, 'latin1'));
      if (blocks.has(block)) rows.push({ seq: first + j + 1, text, leaf: level[j]! });
    }
    if (count === BLOCK) {
      for (let width = BLOCK; width > 1; width /= 2) for (let j = 0; j < width / 2; j++) level[j] = nodeHash(level[2 * j]!, level[2 * j + 1]!);
      nodes.push({ level: STORED_FROM_LEVEL, index: block, hash: level[0]! });
      upper.append(level[0]!);
    }
    if (nodes.length + rows.length >= 20_000) flush();
  }
  flush();
  db.close();
}

/**
 * Inclusion and consistency proofs on a log of `size` events through proveEvent and proveAppendOnly (what `sluice
 * audit prove` calls, JSON included), each checked against a signed checkpoint as a verifier would; against the same
 * store reads replayed without the proof work (the floor). Wall time per proof.
 */
async function proofRows(signer: CheckpointSigner, quick: boolean): Promise<BenchRow[]> {
  const size = quick ? 1_000_000 : 10_000_000;
  const random = seeded(9162);
  const leaves = Array.from({ length: quick ? 100 : 200 }, () => Math.floor(random() * size));
  const olderSizes = Array.from({ length: quick ? 50 : 100 }, () => 1 + Math.floor(random() * (size - 1)));
  // The blocks the proofs and the older roots read: each leaf's, the tree's last, and both sides of each older size.
  const blocks = new Set([...leaves.map((i) => Math.floor(i / BLOCK)), Math.floor((size - 1) / BLOCK), ...olderSizes.flatMap((m) => [Math.floor((m - 1) / BLOCK), Math.floor(m / BLOCK)])]);
  const trusted = [{ name: ORIGIN, publicKey: createPublicKey(signer.privateKey) }];
  return withDir(async (dir) => {
    const file = join(dir, 'state.db');
    const building = performance.now();
    await buildProofLog(file, size, blocks);
    const buildSeconds = (performance.now() - building) / 1000;
    const store = new RecordingStore(file);
    try {
      const checkpointAt = async (treeSize: number): Promise<Checkpoint> => {
        const rootHash = (await restoreAccumulator(store, treeSize)).root();
        return openCheckpoint(signCheckpoint({ origin: ORIGIN, treeSize, rootHash, time: new Date().toISOString() }, signer.privateKey), trusted);
      };
      const newest = await checkpointAt(size);
      const older = new Map<number, Checkpoint>();
      for (const m of olderSizes) older.set(m, await checkpointAt(m));

      /** Each proof timed alone (after one untimed), then the reads it made replayed and timed alone. */
      const measure = async (prove: (target: number) => Promise<unknown>, targets: readonly number[]) => {
        await prove(targets[0]!);
        const proof: number[] = [];
        const floor: number[] = [];
        for (const target of targets) {
          store.reads = [];
          let started = performance.now();
          await prove(target);
          proof.push(performance.now() - started);
          const reads = store.reads;
          store.reads = undefined;
          started = performance.now();
          for (const read of reads) await read();
          floor.push(performance.now() - started);
        }
        const sorted = (values: number[]) => values.sort((a, b) => a - b);
        return { proof: sorted(proof), floor: sorted(floor) };
      };
      const inclusion = await measure(async (leaf) => {
        const json = await proveEvent(store, ORIGIN, leaf + 1, size);
        verifyInclusionProof(parseInclusionProofJson(JSON.parse(JSON.stringify(json))), newest);
      }, leaves);
      const consistency = await measure(async (m) => {
        const json = await proveAppendOnly(store, ORIGIN, m, size);
        verifyConsistencyProof(parseConsistencyProofJson(JSON.parse(JSON.stringify(json))), older.get(m)!, newest);
      }, olderSizes);

      const events = size.toLocaleString('en-US');
      const built = `stored subtree roots built from ${events} leaves in ${buildSeconds.toFixed(0)} s`;
      const row = (what: string, times: { proof: number[]; floor: number[] }, count: number): BenchRow => {
        const median = times.proof[Math.floor(times.proof.length / 2)]!;
        const floor = times.floor[Math.floor(times.floor.length / 2)]!;
        return {
          suite: SUITE,
          name: `${what} on a log of ${events} events, median of ${count} (p99 ${times.proof[Math.floor(times.proof.length * 0.99)]!.toFixed(2)} ms; ${built}; generated, serialised and verified)`,
          value: median,
          unit: 'ms',
          spread: [times.proof[0]!, times.proof.at(-1)!],
          baseline: { name: "the proof's store reads alone (the floor)", value: floor },
          ratio: floor / median,
          target: { text: '≤ 10 ms', met: median <= 10 },
        };
      };
      return [row('inclusion proof (sluice audit prove SEQ)', inclusion, leaves.length), row('consistency proof (sluice audit prove --consistency)', consistency, olderSizes.length)];
    } finally {
      await store.close();
    }
  });
}

/** Alerts the anomaly detectors (default settings) raise on a synthetic normal history: every one is false. */
function falsePositiveRow(quick: boolean): BenchRow {
  const principals = quick ? 100 : 200;
  const days = quick ? 28 : 56;
  const report = falsePositiveRate(generateNormalHistory({ seed: 1, principals, days }));
  const kinds = Object.entries(report.byKind).map(([kind, n]) => `${kind} ${n}`).join(', ');
  return {
    suite: SUITE,
    name: `anomaly detection false positives on a synthetic normal history (${principals} principals × ${days} days, seed 1; ${report.alerts} alerts: ${kinds})`,
    value: report.perTenThousandPrincipalHours,
    unit: 'alerts per 10,000 principal-hours',
    target: { text: '< 1', met: report.perTenThousandPrincipalHours < 1 },
  };
}

export const auditSuite: BenchSuite = {
  name: SUITE,
  description: 'Audit log appends/s (against raw SQLite inserts), verification events/s (against reading the rows), proofs on a 10M-event log (1M quick), anomaly false-positive rate',
  async run({ quick }) {
    const signer: CheckpointSigner = { origin: ORIGIN, privateKey: signingKeyFrom(randomBytes(32)) };
    return [await appendRow(signer, quick), await verifyRow(signer, quick), ...(await proofRows(signer, quick)), falsePositiveRow(quick)];
  },
};
