// `sluice audit export` end to end on a real state folder: JSON Lines, ECS and syslog on stdout, RFC 5425 syslog
// over TLS to a local collector that re-verifies every leaf and the chain as a SIEM would; the export itself is
// audited; untrusted, plain-TCP and silent collectors are refused in bounded time; --follow picks up events
// appended after it started, stops on a signal, and stops when the collector goes away.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { Capture, assertNoStack, runCli } from './support/cli-harness.ts';
import type { Outcome } from './support/cli-harness.ts';
import { selfSignedCertificate } from './support/tls-fixture.ts';
import type { TlsFixture } from './support/tls-fixture.ts';
import { builtinRegistry } from '../src/builtins.ts';
import type { CliContext } from '../src/cli/context.ts';
import { registerAuditExport } from '../src/cli/commands/audit-export.ts';
import type { AuditExportHooks } from '../src/cli/commands/audit-export.ts';
import { EXIT, exitCodeFor } from '../src/cli/exit-codes.ts';
import { isSluiceError } from '../src/errors.ts';
import { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';
import { AuditLog } from '../src/audit/audit-log.ts';
import type { AuditEvent, RecordedAuditEvent } from '../src/audit/audit-event.ts';
import type { EcsAuditDocument, JsonLineExport } from '../src/audit/export/formats.ts';
import { fromSyslog, parseSyslog, reverify, startCollector } from '../src/audit/export/collector.fixture.ts';
import type { ExportedEvent } from '../src/audit/export/collector.fixture.ts';

let tls: TlsFixture;
let stranger: TlsFixture;
before(() => {
  tls = selfSignedCertificate();
  stranger = selfSignedCertificate();
});

const TEXT = /^\{"seq":\d+/;

/** A state folder with `count` events in its audit log (one with multibyte names), and ca.pem / stranger.pem. */
async function folder(count: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-audit-export-'));
  writeFileSync(join(dir, 'ca.pem'), tls.cert);
  writeFileSync(join(dir, 'stranger.pem'), stranger.cert);
  await append(dir, count);
  return dir;
}

let appended = 0;
function event(): AuditEvent {
  const n = ++appended;
  return {
    time: new Date(Date.UTC(2026, 2, 1, 8, 0, n % 60)).toISOString(),
    actor: { principal: n % 4 === 0 ? 'os:zoë(1001)' : 'os:alice(1000)', method: 'os-user' },
    action: n % 2 === 0 ? 'secret.read' : 'data.read',
    resource: n % 3 === 0 ? `secret:équipe/clé-${n}` : `secret:crm/token-${n}`,
    outcome: n % 5 === 0 ? 'denied' : 'success',
    source: 'local',
    details: { n },
  };
}

/** Appends `count` events as another process would: its own store connection and audit log. */
async function append(dir: string, count: number): Promise<void> {
  const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
  const log = new AuditLog(store);
  for (let i = 0; i < count; i++) await log.append(event());
  await log.close();
  await store.close();
}

async function storedEvents(dir: string): Promise<RecordedAuditEvent[]> {
  const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
  try {
    return (await store.readAuditRows(1, 10_000)).map((r) => JSON.parse(r.event) as RecordedAuditEvent);
  } finally {
    await store.close();
  }
}

/**
 * Runs `sluice audit export <args>` through a program holding only `audit export` (until `sluice audit` registers
 * it), with main()'s error handling: SluiceError codes to exit codes, commander's rejections to 2.
 */
async function exportCli(cwd: string, args: readonly string[], hooks: AuditExportHooks = {}, stdout = new Capture()): Promise<Outcome> {
  const stderr = new Capture();
  const context: CliContext = { cwd, stdout, stderr, stdin: Readable.from([]), registry: builtinRegistry(), global: { logLevel: 'silent' } };
  let code: number = EXIT.OK;
  const program = new Command('sluice').exitOverride().configureOutput({ writeOut: (t) => stdout.write(t), writeErr: (t) => stderr.write(t) });
  const audit = program.command('audit').exitOverride();
  registerAuditExport(audit, context, (c) => (code = c), hooks);
  for (const command of audit.commands) command.exitOverride();
  try {
    await program.parseAsync(['node', 'sluice', 'audit', 'export', ...args]);
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    else if (isSluiceError(error)) {
      stderr.write(`error ${error.code}: ${error.message}\n`);
      code = exitCodeFor(error.code);
    } else throw error;
  }
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const fromJsonLine = (line: string): ExportedEvent => {
  const l = JSON.parse(line) as JsonLineExport;
  return { seq: l.seq, event: Buffer.from(l.event, 'utf8'), leaf: Buffer.from(l.leaf, 'base64'), chain: Buffer.from(l.chain, 'base64') };
};

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('jsonl on stdout: every event with seq, leaf and chain, re-verifiable; the export is audited before it runs', async () => {
  const dir = await folder(7);
  try {
    const first = await exportCli(dir, []);
    assert.equal(first.code, 0, first.stderr);
    const exported = lines(first.stdout).map(fromJsonLine);
    assert.deepEqual(exported.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(reverify(exported), []);
    assert.match(first.stderr, /exported 7 event\(s\) \(1–7\) to stdout; next time: --after 7/);
    const recorded = (await storedEvents(dir)).at(-1)!;
    assert.equal(recorded.seq, 8);
    assert.deepEqual([recorded.action, recorded.resource, recorded.outcome], ['data.read', 'audit:log', 'success']);
    assert.deepEqual(recorded.details, { destination: 'stdout', events: 7, follow: false, format: 'jsonl', fromSeq: 1 });
    // The next page starts where this one ended, and its chain continues from the last one seen.
    const next = await exportCli(dir, ['--after', '7']);
    const more = lines(next.stdout).map(fromJsonLine);
    assert.deepEqual(more.map((e) => e.seq), [8]);
    assert.deepEqual(reverify(more, exported.at(-1)!.chain), []);
    assert.deepEqual(JSON.parse(more[0]!.event.toString()), recorded);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ecs on stdout: one document a line, event.original re-hashes to the leaf, sequence and chain continue', async () => {
  const dir = await folder(5);
  try {
    const out = await exportCli(dir, ['--format', 'ecs', '--hostname', 'db1.example.com', '--max-events', '4']);
    assert.equal(out.code, 0, out.stderr);
    const docs = lines(out.stdout).map((l) => JSON.parse(l) as EcsAuditDocument);
    assert.equal(docs.length, 4);
    for (const doc of docs) {
      assert.equal(doc.event.kind, 'event');
      assert.ok(['success', 'failure'].includes(doc.event.outcome));
      assert.equal(doc.host?.name, 'db1.example.com');
      assert.match(doc.event.original, TEXT);
    }
    assert.deepEqual(reverify(docs.map((d) => ({ seq: d.event.sequence, event: Buffer.from(d.event.original, 'utf8'), leaf: Buffer.from(d.sluice.leaf, 'base64'), chain: Buffer.from(d.sluice.chain, 'base64') }))), []);
    assert.equal((await storedEvents(dir)).at(-1)!.details?.events, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('syslog on stdout: one RFC 5424 message a line, no octet counts; each re-verifies', async () => {
  const dir = await folder(6);
  try {
    const out = await exportCli(dir, ['--format', 'syslog', '--hostname', 'db1.example.com']);
    assert.equal(out.code, 0, out.stderr);
    const messages = lines(out.stdout);
    assert.equal(messages.length, 6);
    for (const m of messages) {
      assert.match(m, /^<1\d\d>1 /, 'no MSG-LEN in front');
      const parsed = parseSyslog(m);
      assert.ok(parsed, m);
      assert.equal(parsed.facility, 13);
      assert.equal(parsed.hostname, 'db1.example.com');
    }
    assert.deepEqual(reverify(messages.map((m) => fromSyslog(Buffer.from(m, 'utf8')))), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--to: octet-counted RFC 5424 over TLS to a collector that re-verifies every leaf and the chain', async () => {
  const dir = await folder(40);
  const collector = await startCollector({ key: tls.key, cert: tls.cert });
  try {
    const to = `127.0.0.1:${collector.port}`;
    const out = await exportCli(dir, ['--to', to, '--ca', 'ca.pem']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, new RegExp(`exported 40 event\\(s\\) \\(1–40\\) to ${to.replace(/\./g, '\\.')}; next time: --after 40`));
    await collector.waitFor(40);
    const received = collector.messages.map((m) => fromSyslog(m));
    assert.deepEqual(received.map((e) => e.seq), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.deepEqual(reverify(received), []);
    assert.ok(received.some((e) => e.event.length > e.event.toString('utf8').length), 'multibyte events were counted in bytes');
    const recorded = (await storedEvents(dir)).at(-1)!;
    assert.deepEqual(recorded.details, { destination: `syslog-tls:${to}`, events: 40, follow: false, format: 'syslog', fromSeq: 1 });
  } finally {
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors are reported before anything is opened or recorded (exit 2)', async () => {
  const dir = await folder(1);
  try {
    const cases: [string[], RegExp][] = [
      [['--to', '127.0.0.1:6514', '--ca', 'ca.pem', '--format', 'jsonl'], /use --format syslog/],
      [['--to', '127.0.0.1:6514'], /--to needs --ca FILE/],
      [['--to', 'collector.example.com', '--ca', 'ca.pem'], /--to must be host:port/],
      [['--to', 'collector.example.com:70000', '--ca', 'ca.pem'], /--to must be host:port/],
      [['--to', '127.0.0.1:6514', '--ca', 'ca.pem', '--cert', 'ca.pem'], /--cert and --key go together/],
      [['--ca', 'ca.pem'], /only go with --to/],
      [['--after', '-1'], /--after must be a whole number/],
      [['--max-events', '0'], /--max-events must be a whole number of at least 1/],
      [['--format', 'csv'], /Allowed choices are jsonl, ecs, syslog/],
    ];
    for (const [args, message] of cases) {
      const out = await exportCli(dir, args);
      assert.equal(out.code, EXIT.USAGE, args.join(' '));
      assert.match(out.stderr, message, args.join(' '));
      assertNoStack(out.stderr);
    }
    const missing = await exportCli(dir, ['--to', '127.0.0.1:6514', '--ca', 'nope.pem']);
    assert.equal(missing.code, EXIT.FAILED);
    assert.match(missing.stderr, /SLUICE_IO_FAILED: cannot read the --ca file nope\.pem \(ENOENT\)/);
    assert.equal((await storedEvents(dir)).length, 1, 'nothing was recorded');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refused: a collector whose certificate is not trusted, and a plain TCP listener; nothing leaves, nothing is recorded', async () => {
  const dir = await folder(3);
  const collector = await startCollector({ key: tls.key, cert: tls.cert });
  const received: Buffer[] = [];
  const sockets: Socket[] = [];
  const plain = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      socket.end('this is not TLS\n');
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const plainPort = (plain.address() as AddressInfo).port;
  try {
    const untrusted = await exportCli(dir, ['--to', `127.0.0.1:${collector.port}`, '--ca', 'stranger.pem']);
    assert.equal(untrusted.code, EXIT.FAILED);
    assert.match(untrusted.stderr, new RegExp(`error SLUICE_SINK_WRITE_FAILED: the syslog collector at 127\\.0\\.0\\.1:${collector.port} failed the TLS handshake`));
    assertNoStack(untrusted.stderr);
    assert.deepEqual(collector.messages, []);
    const tcp = await exportCli(dir, ['--to', `127.0.0.1:${plainPort}`, '--ca', 'ca.pem']);
    assert.equal(tcp.code, EXIT.FAILED);
    assert.match(tcp.stderr, new RegExp(`SLUICE_SINK_WRITE_FAILED: the syslog collector at 127\\.0\\.0\\.1:${plainPort} `));
    const bytes = Buffer.concat(received);
    assert.equal(bytes[0], 0x16, 'only a TLS ClientHello reached it');
    assert.ok(!bytes.includes('secret:crm'), 'no event in the clear');
    assert.equal((await storedEvents(dir)).length, 3, 'no export was recorded: none happened');
  } finally {
    await collector.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => plain.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a collector that never completes the handshake: a bounded error', async () => {
  const dir = await folder(2);
  const sockets: Socket[] = [];
  const silent = createTcpServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as AddressInfo).port;
  try {
    const started = Date.now();
    const out = await exportCli(dir, ['--to', `127.0.0.1:${port}`, '--ca', 'ca.pem', '--connect-timeout', '300']);
    const took = Date.now() - started;
    assert.equal(out.code, EXIT.FAILED);
    assert.match(out.stderr, /did not complete the TLS handshake within 300 ms/);
    assert.ok(took < 5000, `took ${took} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--follow picks up events appended after it started, and stops on the signal with where to resume', async () => {
  const dir = await folder(4);
  const controller = new AbortController();
  const stdout = new Capture();
  const listeners = process.listenerCount('SIGINT');
  try {
    const running = exportCli(dir, ['--follow', '--poll-interval', '50'], { signal: controller.signal }, stdout);
    // The backlog, then its own data.read (recorded before the first event left).
    await until(() => lines(stdout.text).length >= 5, 'the backlog');
    assert.equal(process.listenerCount('SIGINT'), listeners + 1, 'SIGINT stops a tail');
    await append(dir, 3);
    await until(() => lines(stdout.text).length >= 8, 'the appended events');
    controller.abort();
    const out = await running;
    assert.equal(out.code, 0, out.stderr);
    const exported = lines(out.stdout).map(fromJsonLine);
    assert.deepEqual(exported.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(reverify(exported), []);
    assert.equal((JSON.parse(exported[4]!.event.toString()) as RecordedAuditEvent).action, 'data.read');
    assert.match(out.stderr, /exported 8 event\(s\) \(1–8\) to stdout, then stopped; next time: --after 8/);
    assert.equal(process.listenerCount('SIGINT'), listeners, 'the signal handlers are gone');
  } finally {
    controller.abort();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--follow --to: new events reach the collector; --max-events ends the tail', async () => {
  const dir = await folder(3);
  const collector = await startCollector({ key: tls.key, cert: tls.cert });
  try {
    const running = exportCli(dir, ['--follow', '--poll-interval', '50', '--max-events', '6', '--to', `127.0.0.1:${collector.port}`, '--ca', 'ca.pem']);
    await collector.waitFor(4);
    await append(dir, 2);
    const out = await running;
    assert.equal(out.code, 0, out.stderr);
    await collector.waitFor(6);
    const received = collector.messages.map((m) => fromSyslog(m));
    assert.deepEqual(received.map((e) => e.seq), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(reverify(received), []);
  } finally {
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--follow --to: a collector that goes away ends the tail with an error, at once', async () => {
  const dir = await folder(2);
  const collector = await startCollector({ key: tls.key, cert: tls.cert });
  try {
    const running = exportCli(dir, ['--follow', '--poll-interval', '50', '--to', `127.0.0.1:${collector.port}`, '--ca', 'ca.pem']);
    await collector.waitFor(3);
    const closedAt = Date.now();
    await collector.close();
    const out = await running;
    assert.ok(Date.now() - closedAt < 3000, 'noticed while idle');
    assert.equal(out.code, EXIT.FAILED);
    assert.match(out.stderr, /SLUICE_SINK_WRITE_FAILED: the syslog collector at 127\.0\.0\.1:\d+ closed the connection; resume with --after the last seq the collector stored/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--follow in a real process: SIGTERM stops the tail cleanly (exit 0) and says where to resume', async () => {
  const dir = await folder(3);
  try {
    const root = join(import.meta.dirname, '..');
    // .mts: outside the repository's package.json, a .ts file would be CommonJS (no top-level await).
    const script = join(dir, 'export-follow.mts');
    writeFileSync(
      script,
      `import { Command } from ${JSON.stringify(import.meta.resolve('commander'))};
import { registerAuditExport } from ${JSON.stringify(join(root, 'src/cli/commands/audit-export.ts'))};
import { builtinRegistry } from ${JSON.stringify(join(root, 'src/builtins.ts'))};
let code = 0;
const context = { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, registry: builtinRegistry(), global: { logLevel: 'silent' } };
const program = new Command('sluice');
registerAuditExport(program.command('audit'), context, (c) => (code = c));
await program.parseAsync(['node', 'sluice', 'audit', 'export', '--follow', '--poll-interval', '50']);
process.exitCode = code;
`,
    );
    // Run in the state folder, outside the repository: tsx and commander are given by where they are.
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until(() => lines(stdout).length >= 4 || child.exitCode !== null, 'the backlog from the child', 30_000);
    assert.equal(child.exitCode, null, stderr);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /SIGTERM: stopping after the event in flight/);
    assert.match(stderr, /exported 4 event\(s\) \(1–4\) to stdout, then stopped; next time: --after 4/);
    assert.deepEqual(reverify(lines(stdout).map(fromJsonLine)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wired into sluice audit: `sluice audit export` runs through main()', async () => {
  const dir = await folder(2);
  try {
    const out = await runCli(dir, 'audit', 'export', '--format', 'syslog');
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(reverify(lines(out.stdout).map((m) => fromSyslog(Buffer.from(m, 'utf8')))), []);
    const help = await runCli(dir, 'audit', 'export', '--help');
    assert.match(help.stdout, /--to <host:port>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
