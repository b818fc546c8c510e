// End-to-end tests of the `sluice` command on the quickstart scaffold: init, check, run, runs, help and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptLines, runCli, spawnCli, STACK_LINE } from './support/cli-harness.ts';

const MASK_CARD_LINE = '  - mask: { fields: [card_number], keepLast: 4 }\n';
/** A card number in plaintext: 16 digits, optionally grouped by 4 with spaces or dashes. */
const CARD_NUMBER = /\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}/;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-cli-'));
}

/** A fresh quickstart scaffold in a temp dir. */
async function scaffold(): Promise<string> {
  const dir = join(tempDir(), 'demo');
  const init = await runCli(join(dir, '..'), 'init', 'demo', '--source', 'file');
  assert.equal(init.code, 0, init.stderr);
  return dir;
}

/** Every object a sink wrote. */
function sinkFiles(dir: string, sink: string): string[] {
  const root = join(dir, 'out', sink, 'customers-quickstart');
  return readdirSync(root).flatMap((run) => readdirSync(join(root, run)).sort().map((name) => join(root, run, name)));
}

/** Every record a sink wrote, decrypted, as lines. */
async function sinkLines(dir: string, sink: string): Promise<string[]> {
  return decryptLines(dir, sinkFiles(dir, sink));
}

test('init creates the pipeline, data and settings, and refuses to overwrite them without --force', async () => {
  const parent = tempDir();
  const first = await runCli(parent, 'init', 'demo', '--source', 'file');
  assert.equal(first.code, 0, first.stderr);
  for (const file of ['pipeline.yaml', 'data/customers.jsonl', 'sluice.settings.yaml', '.gitignore']) {
    assert.ok(existsSync(join(parent, 'demo', file)), `${file} was not created`);
  }
  assert.equal(readFileSync(join(parent, 'demo', 'data', 'customers.jsonl'), 'utf8').trimEnd().split('\n').length, 1000);
  assert.match(first.stdout, /sluice check && sluice run/);

  writeFileSync(join(parent, 'demo', 'pipeline.yaml'), '# mine\n');
  const again = await runCli(parent, 'init', 'demo', '--source', 'file');
  assert.equal(again.code, 2);
  assert.match(again.stderr, /SLUICE_INIT_EXISTS/);
  assert.match(again.stderr, /--force/);
  assert.equal(readFileSync(join(parent, 'demo', 'pipeline.yaml'), 'utf8'), '# mine\n', 'init overwrote a file without --force');

  const forced = await runCli(parent, 'init', 'demo', '--force', '--source', 'file');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(readFileSync(join(parent, 'demo', 'pipeline.yaml'), 'utf8'), /pipeline: customers-quickstart/);
});

test('check on the scaffold exits 0 and lists both sinks with the fields that reach them', async () => {
  const dir = await scaffold();
  const { code, stdout, stderr } = await runCli(dir, 'check');
  assert.equal(code, 0, stderr);
  assert.match(stdout, /ok, no findings/);
  assert.match(stdout, /analytics \(internal\):.*card_number\*/);
  assert.match(stdout, /support \(confidential\):.*email\*/);
});

test('check --lineage shows, per sink field, its source fields, the steps it passes and how it arrives; --json too', async () => {
  const dir = await scaffold();
  const text = await runCli(dir, 'check', '--lineage');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /sink analytics \(clearance internal\)\n/);
  assert.match(text.stdout, / {2}ltv: plaintext, internal\n {4}source field lifetime_value \(internal\) -> steps\[2\] rename: renamed lifetime_value -> ltv/);
  assert.match(text.stdout, / {2}card_number: protected by steps\[0\] mask, now internal \(was restricted\)/);
  const json = await runCli(dir, 'check', '--lineage', '--json');
  const parsed = JSON.parse(json.stdout) as { lineage: { sink: string; fields: { field: string; origins: string[]; plaintext: boolean }[] }[] };
  const support = parsed.lineage.find((s) => s.sink === 'support');
  assert.deepEqual(support?.fields.find((f) => f.field === 'ltv')?.origins, ['lifetime_value']);
  assert.equal(support?.fields.find((f) => f.field === 'email')?.plaintext, false);
});

test('run on the scaffold writes 998 records per sink with cards masked and no emails; runs lists the run', async () => {
  const dir = await scaffold();
  const run = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /: succeeded/);
  assert.match(run.stdout, /records in\s+1,000\b/);
  assert.match(run.stdout, /records out\s+998\s+-> analytics/);
  assert.match(run.stdout, /records out\s+998\s+-> support/);
  assert.match(run.stdout, /quarantined\s+2\b/);
  const runId = /^run (\S+) of customers-quickstart/m.exec(run.stdout)?.[1];
  assert.ok(runId, run.stdout);
  const found = /PII found\s+EMAIL (\d+), PHONE (\d+)/.exec(run.stdout);
  assert.ok(found && Number(found[1]) > 50 && Number(found[2]) > 50, `the scan of the support notes found too little: ${run.stdout}`);

  // No plaintext at rest: every byte the sinks and the quarantine wrote is searched for the sample's personal data.
  const sample = readFileSync(join(dir, 'data', 'customers.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const noted = sample.flatMap((r) => (typeof r.notes === 'string' ? r.notes : '').match(/[\w.]+@[\w.]+|\+1 415 555 \d{4}/g) ?? []);
  assert.ok(noted.length > 100, 'the sample notes hold e-mail addresses and phone numbers');
  const secrets = [...sample.flatMap((r) => [r.email, r.full_name, r.card_number, r.phone]), ...noted].filter((v): v is string => typeof v === 'string');
  const written = [...sinkFiles(dir, 'analytics'), ...sinkFiles(dir, 'support')].map((f) => readFileSync(f));
  for (const bytes of written) for (const secret of secrets) assert.ok(!bytes.includes(secret), `a sink file holds ${secret} in plaintext`);
  const catted = await runCli(dir, 'cat', 'out/analytics');
  assert.equal(catted.code, 0, catted.stderr);
  assert.equal(catted.stdout.trim().split('\n').length, 998);

  for (const sink of ['analytics', 'support']) {
    const lines = await sinkLines(dir, sink);
    assert.equal(lines.length, 998, `${sink} holds ${lines.length} records`);
    for (const line of lines) {
      assert.doesNotMatch(line, CARD_NUMBER, `${sink} holds a card number in plaintext: ${line}`);
      assert.ok(!line.includes('@'), `${sink} holds an email in plaintext: ${line}`);
      const record = JSON.parse(line) as Record<string, unknown>;
      assert.match(String(record.card_number), /^\*+\d{4}$/, `${sink}: card_number is not masked to the last 4`);
      if (sink === 'support') assert.doesNotMatch(String(record.notes), /\+1 415 555 \d{4}/, `support notes hold a phone number: ${line}`);
    }
  }
  const analytics = JSON.parse((await sinkLines(dir, 'analytics'))[0] ?? '{}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(analytics).sort(), ['card_number', 'country', 'customer_id', 'ltv', 'signup_date']);

  const list = await runCli(dir, 'runs');
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`${runId}\\s+customers-quickstart\\s+succeeded\\s+1000\\s+998\\s+2\\b`));

  const one = await runCli(dir, 'runs', runId, '--json');
  assert.equal(one.code, 0, one.stderr);
  const record = JSON.parse(one.stdout) as { id: string; status: string; totals: { recordsIn: number; quarantined: number; recordsOut: Record<string, number> } };
  assert.equal(record.id, runId);
  assert.equal(record.status, 'succeeded');
  assert.equal(record.totals.recordsIn, 1000);
  assert.equal(record.totals.quarantined, 2);
  assert.deepEqual(record.totals.recordsOut, { analytics: 998, support: 998 });

  const missing = await runCli(dir, 'runs', 'no-such-run');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /SLUICE_USAGE/);
});

test('--help on the program and on every command exits 0 and lists the exit codes', async () => {
  const dir = tempDir();
  // `help <command>` exits with process.exitCode (commander), which node:test sets to 1 once any test has failed.
  const saved = process.exitCode;
  process.exitCode = undefined;
  const outcomes = [];
  for (const args of [['--help'], ['init', '--help'], ['check', '--help'], ['run', '--help'], ['runs', '--help'], ['help', 'run']]) {
    outcomes.push({ args, ...(await runCli(dir, ...args)) });
  }
  process.exitCode = saved;
  for (const { args, code, stdout, stderr } of outcomes) {
    assert.equal(code, 0, `sluice ${args.join(' ')} exited ${code}: ${stderr}`);
    assert.match(stdout, /^Usage: sluice/m, `sluice ${args.join(' ')}`);
    assert.match(stdout, /Exit codes:/, `sluice ${args.join(' ')}`);
    for (const exit of ['0', '1', '2', '130']) assert.match(stdout, new RegExp(`^\\s+${exit}\\s+\\S`, 'm'), `sluice ${args.join(' ')}: exit code ${exit}`);
  }
});

test('an unknown command exits 2 with a suggestion; no argument prints the help and exits 2', async () => {
  const dir = tempDir();
  const typo = await runCli(dir, 'chek');
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command 'chek'/);
  assert.match(typo.stderr, /Did you mean check\?/);

  const unknownOption = await runCli(dir, 'run', '--frsh');
  assert.equal(unknownOption.code, 2);
  assert.match(unknownOption.stderr, /--fresh/);

  const bare = await runCli({ cwd: dir, logLevel: null });
  assert.equal(bare.code, 2);
  assert.match(bare.stdout, /^Usage: sluice/m);
  assert.match(bare.stdout, /Commands:/);
  assert.match(bare.stdout, /Exit codes:/);
});

test('without the card_number mask, check exits 1 and run exits 1 naming the field, its class, the sink and a fix, and writes nothing', async () => {
  const dir = await scaffold();
  const specPath = join(dir, 'pipeline.yaml');
  const spec = readFileSync(specPath, 'utf8');
  assert.ok(spec.includes(MASK_CARD_LINE), 'the quickstart has no card_number mask line to delete');
  writeFileSync(specPath, spec.replace(MASK_CARD_LINE, ''));

  const check = await runCli(dir, 'check');
  assert.equal(check.code, 1);
  assert.match(check.stdout, /pipeline\.yaml:\d+:\d+\s+error SLC101/);
  for (const part of ['card_number', 'restricted', "sink 'analytics'", "sink 'support'", 'fix:']) assert.ok(check.stdout.includes(part), `check does not name ${part}`);

  const run = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(run.code, 1);
  assert.match(run.stderr, /SLUICE_PLAN_REJECTED/);
  for (const part of ['card_number', 'restricted', 'analytics', 'fix']) assert.ok(run.stderr.includes(part), `run does not name ${part}`);
  assert.doesNotMatch(run.stderr, STACK_LINE);
  assert.ok(!existsSync(join(dir, 'out')), 'a rejected run wrote to a sink');
  const runs = await runCli(dir, 'runs', '--json');
  assert.deepEqual(JSON.parse(runs.stdout), [], 'a rejected run was recorded as started');
});

test('the real binary: `node bin/sluice.js check` in the scaffold exits 0', async () => {
  const dir = await scaffold();
  const { code, stdout, stderr } = await spawnCli(dir, 'check').done;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /analytics \(internal\)/);
  assert.match(stdout, /support \(confidential\)/);
});
