// End-to-end tests of bad input through the `sluice` CLI: each is refused with its code, its place and no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptLines, assertNoStack, runCli, spawnCli } from './support/cli-harness.ts';

const RECORDS = 45;
const BAD = 35;
/** A fixed modification time: a file fixed in place keeps its size and mtime, so the run may resume on it. */
const MTIME = 1_700_000_000;

const SPEC = `pipeline: bad-input
source:
  file: { path: data.jsonl }
contract:
  fields:
    id:    { type: string, class: internal }
    email: { type: string, class: restricted }
steps:
  - mask: { fields: [email] }
sinks:
  - file: { dir: out, clearance: internal }
runtime: { batchSize: 10 }
`;

/** A temp dir holding the spec (edited by `edit`) and, when given, the data file. */
function workspace(edit: (spec: string) => string = (s) => s, data?: { name: string; bytes: Buffer }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bad-'));
  writeFileSync(join(dir, 'pipeline.yaml'), edit(SPEC));
  if (data) writeData(dir, data.name, data.bytes);
  return dir;
}

function writeData(dir: string, name: string, bytes: Buffer): void {
  writeFileSync(join(dir, name), bytes);
  utimesSync(join(dir, name), MTIME, MTIME);
}

interface RunJson {
  id: string;
  status: string;
  attempts: number;
  error?: string;
  totals: { batches: number; recordsIn: number; quarantined: number };
}

async function runsJson(dir: string): Promise<RunJson[]> {
  const { code, stdout, stderr } = await runCli(dir, 'runs', '--json');
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout) as RunJson[];
}

/** The ids in every part file of run `runId` in the sink, in order, decrypted. */
async function sinkIds(dir: string, runId: string, upToBatch = Infinity): Promise<string[]> {
  const root = join(dir, 'out', 'bad-input', runId);
  const parts = readdirSync(root).filter((name) => name.startsWith('part-') && Number(name.slice(5, 11)) <= upToBatch).sort();
  return (await decryptLines(dir, parts.map((name) => join(root, name)))).map((l) => (JSON.parse(l) as { id: string }).id);
}

const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `r${from + i}`);

// ---- spec and settings problems: exit 2, file:line:column, nothing run ----

const SPEC_CASES: { name: string; edit: (s: string) => string; expect: RegExp[] }[] = [
  { name: 'malformed YAML', edit: (s) => s.replace('[email]', '[email'), expect: [/pipeline\.yaml:9:\d+ .*YAML syntax/] },
  {
    name: 'an unknown key with a typo',
    edit: (s) => s.replace('clearance:', 'clearence:'),
    expect: [/pipeline\.yaml:11:\d+\s+sinks\[0\]\.file\.clearence: unknown key 'clearence'\. Did you mean 'clearance'\?/],
  },
  { name: 'a value of the wrong type', edit: (s) => s.replace('batchSize: 10', 'batchSize: ten'), expect: [/pipeline\.yaml:12:\d+\s+runtime\.batchSize: .*expected number/] },
  {
    name: 'several problems at once',
    edit: (s) => s.replace('clearance:', 'clearence:').replace('batchSize: 10', 'batchSize: ten').replace('[email]', '[emial]').replace('sinks:', '  - masq: { fields: [id] }\nsinks:'),
    expect: [/has 5 problems/, /pipeline\.yaml:12:\d+ .*clearence/, /pipeline\.yaml:13:\d+ .*batchSize/, /pipeline\.yaml:10:\d+ .*unknown step 'masq'\. Did you mean 'mask'\?/, /pipeline\.yaml:9:\d+ .*'emial'.*Did you mean 'email'/],
  },
];

for (const { name, edit, expect } of SPEC_CASES) {
  test(`spec with ${name}: check and run exit 2 with SLUICE_SPEC_INVALID and the place, and nothing runs`, async () => {
    const dir = workspace(edit, { name: 'data.jsonl', bytes: Buffer.from('{"id":"r1","email":"a@b.c"}\n') });
    for (const args of [['check'], ['run', '--progress', 'none']]) {
      const { code, stderr } = await runCli(dir, ...args);
      const command = args.join(' ');
      assert.equal(code, 2, `${command}: ${stderr}`);
      assert.match(stderr, /error SLUICE_SPEC_INVALID: pipeline\.yaml has \d+ problems?; nothing was run/);
      for (const pattern of expect) assert.match(stderr, pattern, command);
      assertNoStack(stderr);
    }
    assert.deepEqual(await runsJson(dir), []);
    assert.ok(!existsSync(join(dir, 'out')));
  });
}

test('a step naming a field the contract lacks: check and run exit 1 with SLC102, the place and a suggestion', async () => {
  const dir = workspace((s) => s.replace('[email]', '[emial]'), { name: 'data.jsonl', bytes: Buffer.from('{"id":"r1","email":"a@b.c"}\n') });
  const check = await runCli(dir, 'check');
  // A lone unknown field is a plan finding (exit 1 like any finding), not a schema problem (exit 2).
  assert.equal(check.code, 1);
  assert.match(check.stdout, /pipeline\.yaml:9:\d+\s+error SLC102 unknown-field: .*'emial'.*Did you mean 'email'\?/);
  const run = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(run.code, 1);
  assert.match(run.stderr, /SLC102/);
  assert.match(run.stderr, /SLUICE_PLAN_REJECTED/);
  assertNoStack(run.stderr);
  assert.ok(!existsSync(join(dir, 'out')));
});

test('a settings file with a typo key: exit 2 with SLUICE_SETTINGS_INVALID, its line and a suggestion', async () => {
  const dir = workspace(undefined, { name: 'data.jsonl', bytes: Buffer.from('{"id":"r1","email":"a@b.c"}\n') });
  writeFileSync(join(dir, 'sluice.settings.yaml'), 'stateDir: .sluice\nlgo:\n  level: info\n');
  for (const args of [['run', '--progress', 'none'], ['runs']]) {
    const { code, stderr } = await runCli(dir, ...args);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /SLUICE_SETTINGS_INVALID/);
    assert.match(stderr, /sluice\.settings\.yaml:2:1\s+lgo: unknown key 'lgo'\. Did you mean 'log'\?/);
    assertNoStack(stderr);
  }
  assert.ok(!existsSync(join(dir, 'out')));
  assert.ok(!existsSync(join(dir, '.sluice')), 'state was created despite broken settings');
});

// ---- unreadable input: exit 1 (the run failed), SLUICE_INPUT_UNREADABLE naming the path ----

test('a missing input file: the real binary exits 1 with SLUICE_INPUT_UNREADABLE naming the path, logs and all free of stacks', async () => {
  const dir = workspace();
  const { code, stderr } = await spawnCli(dir, 'run', '--progress', 'none').done;
  assert.equal(code, 1, stderr);
  assert.match(stderr, /error SLUICE_INPUT_UNREADABLE: cannot read .*data\.jsonl: it does not exist/);
  assert.ok(stderr.includes(join(dir, 'data.jsonl')), 'the message does not name the path');
  assertNoStack(stderr);
});

test('an input that is a directory: exit 1 with SLUICE_INPUT_UNREADABLE', async () => {
  const dir = workspace();
  mkdirSync(join(dir, 'data.jsonl'));
  const { code, stderr } = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(code, 1);
  assert.match(stderr, /error SLUICE_INPUT_UNREADABLE: cannot read .*data\.jsonl: it is not a regular file/);
  assertNoStack(stderr);
});

test('an input without read permission: exit 1 with SLUICE_INPUT_UNREADABLE', async (t) => {
  const dir = workspace(undefined, { name: 'data.jsonl', bytes: Buffer.from('{"id":"r1","email":"a@b.c"}\n') });
  chmodSync(join(dir, 'data.jsonl'), 0o000);
  try {
    accessSync(join(dir, 'data.jsonl'), constants.R_OK);
    t.skip('this user reads files whatever their mode (root); the directory case covers an unreadable input');
    return;
  } catch {
    // Unreadable, as intended.
  }
  const { code, stderr } = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(code, 1);
  assert.match(stderr, /error SLUICE_INPUT_UNREADABLE: cannot read .*data\.jsonl: permission is denied/);
  assertNoStack(stderr);
});

// ---- malformed records: the run fails at file:line after committing earlier batches, and resumes once fixed ----

interface DataCase {
  name: string;
  file: string;
  /** Extra source options. */
  options?: string;
  /** Line `BAD`'s record, broken, and the file line it sits on. */
  bad: Buffer;
  line: number;
  reason: RegExp;
  header?: string;
}

const jsonl = (i: number) => `{"id":"r${i}","email":"e${i}@x.io"}`;
const DATA_CASES: DataCase[] = [
  { name: 'a CSV row with the wrong column count', file: 'data.csv', header: 'id,email', bad: Buffer.from(`r${BAD},e${BAD}@x.io,extra`), line: BAD + 1, reason: /has 3 fields, expected 2/ },
  { name: 'a line over maxLineBytes', file: 'data.jsonl', options: ', maxLineBytes: 100', bad: Buffer.from(`{"id":"r${BAD}","email":"${'a'.repeat(200)}"}`), line: BAD, reason: /longer than maxLineBytes \(100 bytes\)/ },
  { name: 'invalid UTF-8 in a JSONL line', file: 'data.jsonl', bad: Buffer.concat([Buffer.from(`{"id":"r${BAD}","email":"e${BAD}`), Buffer.from([0xff]), Buffer.from('@x.io"}')]), line: BAD, reason: /byte 0xFF .* is not valid UTF-8/ },
];

/** The data file with record BAD broken, or fixed in place: same size, so that the run may resume. */
function dataFile(c: DataCase, fixed: boolean): Buffer {
  const good = (i: number) => (c.header ? `r${i},e${i}@x.io` : jsonl(i));
  let bad = c.bad;
  if (fixed) {
    const line = good(BAD);
    // CSV: pad the email; JSON Lines: blank lines, which are skipped, so the line stays under maxLineBytes.
    bad = Buffer.from(c.header ? line + 'x'.repeat(c.bad.length - line.length) : line + '\n'.repeat(c.bad.length - line.length));
    assert.equal(bad.length, c.bad.length);
  }
  const lines = ids(1, RECORDS).map((_, k) => (k + 1 === BAD ? bad : Buffer.from(good(k + 1))));
  return Buffer.concat([...(c.header ? [Buffer.from(c.header + '\n')] : []), ...lines.flatMap((l) => [l, Buffer.from('\n')])]);
}

const specFor = (c: DataCase, extra = '') => (s: string) => s.replace('{ path: data.jsonl }', `{ path: ${c.file}${c.options ?? ''}${extra} }`);

for (const c of DATA_CASES) {
  test(`${c.name}: the run fails at ${c.file}:${c.line} after committing earlier batches; fixed, it resumes to exactly once`, async () => {
    const dir = workspace(specFor(c), { name: c.file, bytes: dataFile(c, false) });
    const failed = await runCli(dir, 'run', '--progress', 'none');
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, new RegExp(`error SLUICE_INPUT_MALFORMED: ${c.file.replace('.', '\\.')}:${c.line}: `));
    assert.match(failed.stderr, c.reason);
    assert.match(failed.stderr, /onMalformed: quarantine/);
    assertNoStack(failed.stderr);

    const [listed] = await runsJson(dir);
    assert.ok(listed);
    const shown = await runCli(dir, 'runs', listed.id, '--json');
    const run = JSON.parse(shown.stdout) as RunJson;
    assert.equal(run.status, 'failed');
    assert.ok(run.totals.batches >= 2, `only ${run.totals.batches} batches were committed before line ${c.line}`);
    assert.ok(run.error?.includes(`${c.file}:${c.line}`));
    assert.deepEqual(await sinkIds(dir, run.id, run.totals.batches), ids(1, run.totals.batches * 10), 'the committed batches are not in the sink');

    writeData(dir, c.file, dataFile(c, true));
    const resumed = await runCli(dir, 'run', '--progress', 'none');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(resumed.stdout.includes(`run ${run.id} `), 'the rerun did not resume the failed run');
    const runs = await runsJson(dir);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.status, 'succeeded');
    assert.equal(runs[0]?.attempts, 2);
    assert.deepEqual(await sinkIds(dir, run.id), ids(1, RECORDS), 'the sink does not hold every record exactly once');
  });

  test(`${c.name} with onMalformed: quarantine: the run finishes and the record is quarantined with its reason`, async () => {
    const dir = workspace(specFor(c, ', onMalformed: quarantine'), { name: c.file, bytes: dataFile(c, false) });
    const { code, stdout, stderr } = await runCli(dir, 'run', '--progress', 'none');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /quarantined\s+1\b/);
    const [run] = await runsJson(dir);
    assert.ok(run);
    assert.deepEqual(await sinkIds(dir, run.id), ids(1, RECORDS).filter((id) => id !== `r${BAD}`));
    const qdir = join(dir, '.sluice', 'quarantine', 'bad-input', run.id);
    const entries = await decryptLines(dir, readdirSync(qdir).map((name) => join(qdir, name)));
    assert.equal(entries.length, 1);
    const entry = JSON.parse(entries[0] ?? '{}') as { ref: string; reason: string };
    assert.equal(entry.ref, `${c.file}:${c.line}`);
    assert.match(entry.reason, c.reason);
  });
}

test('fixing the bad line with a plain edit (new mtime) resumes the same run; an edit before the committed part is refused', async () => {
  const c = DATA_CASES[2] as DataCase;
  const dir = workspace(specFor(c), { name: c.file, bytes: dataFile(c, false) });
  assert.equal((await runCli(dir, 'run', '--progress', 'none')).code, 1);
  const [failed] = await runsJson(dir);
  writeFileSync(join(dir, c.file), dataFile(c, true));
  utimesSync(join(dir, c.file), MTIME + 60, MTIME + 60);
  const resumed = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(resumed.code, 0, resumed.stderr);
  const [run] = await runsJson(dir);
  assert.equal(run?.id, failed?.id);
  assert.equal(run?.attempts, 2);

  // Now break a line that an earlier batch committed: resuming would mix old and new data, so it is refused.
  const other = workspace(specFor(c), { name: c.file, bytes: dataFile(c, false) });
  assert.equal((await runCli(other, 'run', '--progress', 'none')).code, 1);
  const bytes = Buffer.from(dataFile(c, true));
  bytes[2] = bytes[2] === 0x61 ? 0x62 : 0x61;
  writeFileSync(join(other, c.file), bytes);
  const refused = await runCli(other, 'run', '--progress', 'none');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /error SLUICE_RESUME_MISMATCH: .*changed before the position.*--fresh/);
  assertNoStack(refused.stderr);
  const fresh = await runCli(other, 'run', '--progress', 'none', '--fresh');
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout, /records in\s+45\b/);
});
