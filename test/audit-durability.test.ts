// Crash safety of the audit log: appender processes (test/support/audit-appender.ts) are SIGKILLed at seeded random
// points, several times on one file, each continuing the log the last one left. Every event an appender was told had
// been written must then be in the log, byte for byte at the sequence number it was given, and the log must verify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seeded } from '../src/seeded-random.ts';
import { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';
import { AuditLog } from '../src/audit/audit-log.ts';
import { verifyAuditLog } from '../src/audit/verify-log.ts';
import { signingKeyFrom } from '../src/audit/signing-key.ts';
import { openCheckpoint } from '../src/audit/merkle/checkpoint.ts';
import { rootOf } from '../src/audit/merkle/merkle-hash.ts';

const APPENDER = join(import.meta.dirname, 'support', 'audit-appender.ts');
const ORIGIN = 'sluice/audit';
const RUNS = 4;
/** How long one appender may take to reach its kill point before the test gives up on it. */
const RUN_TIMEOUT_MS = 60_000;

interface Ack {
  run: number;
  seq: number;
  /** SHA-256 of the canonical text the appender gave the log. */
  digest: string;
}

interface Killed {
  acks: Ack[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
  /** Anything after the last newline: a torn line. */
  rest: string;
  unexpected: string[];
}

/** Runs one appender and SIGKILLs it as soon as it has acknowledged `killAfter` events; collects every ack it printed. */
async function appendUntilKilled(file: string, seedHex: string, run: number, killAfter: number): Promise<Killed> {
  const child = spawn(process.execPath, ['--import', 'tsx', APPENDER, file, seedHex, `r${run}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const result: Killed = { acks: [], signal: null, code: null, stderr: '', rest: '', unexpected: [] };
  const closed = new Promise<void>((resolve) =>
    child.on('close', (code, signal) => {
      result.code = code;
      result.signal = signal;
      resolve();
    }),
  );
  child.stderr.setEncoding('utf8').on('data', (text: string) => (result.stderr += text));
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    const lines = (result.rest + text).split('\n');
    result.rest = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^ack (\d+) ([0-9a-f]{64})$/.exec(line);
      if (match) result.acks.push({ run, seq: Number(match[1]), digest: match[2]! });
      else if (line !== 'ready') result.unexpected.push(line);
    }
    // Lines already in the pipe are still read after the kill: they were acknowledged too.
    if (result.acks.length >= killAfter && child.signalCode === null && child.exitCode === null) child.kill('SIGKILL');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  await closed;
  clearTimeout(timer);
  return result;
}

test(`SIGKILL during audit appends (${RUNS} appenders, 8 in flight): every acknowledged event survives and the log verifies`, { timeout: RUNS * RUN_TIMEOUT_MS + 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-audit-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'state.db');
  const seed = randomBytes(32);
  const trusted = [{ name: ORIGIN, publicKey: createPublicKey(signingKeyFrom(seed)) }];
  const random = seeded(20261130);

  const acks: Ack[] = [];
  for (let run = 0; run < RUNS; run++) {
    const killAfter = 200 + Math.floor(random() * 600);
    const killed = await appendUntilKilled(file, seed.toString('hex'), run, killAfter);
    assert.equal(killed.signal, 'SIGKILL', `appender ${run} was killed, not exited (code ${killed.code}): ${killed.stderr}`);
    assert.ok(killed.acks.length >= killAfter, `appender ${run} acknowledged ${killed.acks.length} of the ${killAfter} events wanted before the kill: ${killed.stderr}`);
    assert.deepEqual(killed.unexpected, [], 'the appender printed only acks');
    assert.equal(killed.rest, '', 'no ack line was torn');
    // Each appender continues the log where the killed one left it.
    const last = acks.at(-1)?.seq ?? 0;
    assert.ok(killed.acks[0]!.seq > last, `appender ${run} starts at ${killed.acks[0]!.seq}, after the ${last} acknowledged before it`);
    killed.acks.forEach((ack, i) => i > 0 && assert.ok(ack.seq > killed.acks[i - 1]!.seq, `acks of appender ${run} ascend (${ack.seq})`));
    acks.push(...killed.acks);
    t.diagnostic(`appender ${run}: killed after ${killed.acks.length} acks (wanted ${killAfter}), seq ${killed.acks[0]!.seq}–${killed.acks.at(-1)!.seq}`);
  }

  const store = new SqliteStateStore(file);
  try {
    const { size } = await store.auditHead();
    const rows = await store.readAuditRows(1, size + 1);
    assert.deepEqual(
      rows.map((r) => r.seq),
      Array.from({ length: size }, (_, i) => i + 1),
      'sequence numbers are contiguous from 1',
    );
    const lost = acks.filter((ack) => {
      const row = rows[ack.seq - 1];
      return row === undefined || createHash('sha256').update(row.event).digest('hex') !== ack.digest;
    });
    assert.deepEqual(lost, [], 'every acknowledged event is stored, byte for byte, at the sequence number it was given');

    const verification = await verifyAuditLog(store, trusted);
    assert.deepEqual({ ok: verification.ok, size: verification.size, problems: verification.problems }, { ok: true, size, problems: [] });
    const signedByAppenders = (await store.listAuditCheckpoints()).length;
    assert.ok(signedByAppenders > 0, 'the killed appenders signed checkpoints');

    // A writer opened after the crashes closes with a checkpoint over everything, and it verifies too.
    const log = new AuditLog(store);
    log.setSigner({ origin: ORIGIN, privateKey: signingKeyFrom(seed) });
    await log.close();
    const checkpoints = await store.listAuditCheckpoints();
    const final = openCheckpoint(checkpoints.at(-1)!.note, trusted, { origin: ORIGIN });
    assert.equal(final.treeSize, size, 'the closing checkpoint covers every event');
    assert.ok(final.rootHash.equals(rootOf(rows.map((r) => r.leaf))), "the closing checkpoint's root is the tree of the stored events");
    const after = await verifyAuditLog(store, trusted);
    assert.deepEqual(after.problems, []);
    assert.equal(after.checkpointsVerified, checkpoints.length, 'every stored checkpoint matches the log');
    t.diagnostic(`${acks.length} acknowledged of ${size} stored events; ${signedByAppenders} checkpoints signed by the killed appenders`);
  } finally {
    await store.close();
  }
});
