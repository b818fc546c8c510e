// The pipeline catalog: namespaces from folders, names unique across them, writes checked before they land.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceError, isSluiceError } from '../errors.ts';
import { PipelineCatalog } from './pipeline-catalog.ts';

async function catalog() {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-catalog-'));
  // A checker that reads the pipeline name and fails on "broken", naming the file it was given.
  const check = new PipelineCatalog(dir, async (file) => {
    const body = await readFile(file, 'utf8');
    if (body.includes('broken')) throw new SluiceError('SLUICE_SPEC_INVALID', `${file} has 1 problem`, { details: [`${file}:1:1  broken`] });
    return { pipeline: /pipeline: (\S+)/.exec(body)![1]!, findings: [{ severity: 'warning', rule: 'SLC105', message: `declared at ${file}:2:1`, fix: 'x' }] };
  });
  return { dir, check };
}

test('namespaces are subfolders, top-level files are in default; a name in two namespaces (placed by hand) is left out', async () => {
  const { dir, check } = await catalog();
  await mkdir(join(dir, 'sales'));
  await mkdir(join(dir, 'ops'));
  await writeFile(join(dir, 'top.yaml'), 'pipeline: top\n');
  await writeFile(join(dir, 'sales', 'orders.yaml'), 'pipeline: orders\n');
  await writeFile(join(dir, 'sales', 'dup.yaml'), 'pipeline: dup\n');
  await writeFile(join(dir, 'ops', 'dup.yaml'), 'pipeline: dup\n');
  await writeFile(join(dir, 'sales', 'Not A Name.yaml'), 'pipeline: x\n');
  assert.deepEqual((await check.list()).map((e) => `${e.namespace}/${e.name}`), ['default/top', 'sales/orders']);
});

test('write: a clash with another namespace is a conflict, a spec naming another pipeline is refused, and nothing lands', async () => {
  const { dir, check } = await catalog();
  await check.write('sales', 'orders', 'pipeline: orders\n');
  await assert.rejects(check.write('ops', 'orders', 'pipeline: orders\n'), (e: unknown) => isSluiceError(e, 'SLUICE_CONFLICT'));
  await assert.rejects(check.write('ops', 'refunds', 'pipeline: orders\n'), (e: unknown) => isSluiceError(e, 'SLUICE_REQUEST_INVALID'));
  await assert.rejects(check.write('ops', 'Bad', 'pipeline: Bad\n'), (e: unknown) => isSluiceError(e, 'SLUICE_REQUEST_INVALID'));
  assert.deepEqual(await readdir(join(dir, 'ops')), [], 'no spec and no temp file left behind');
});

test("errors and findings name namespace/name.yaml, never the server's paths", async () => {
  const { dir, check } = await catalog();
  const error = await check.write('sales', 'orders', 'pipeline: orders\nbroken\n').catch((e: unknown) => e as SluiceError);
  assert.ok(isSluiceError(error, 'SLUICE_SPEC_INVALID'));
  assert.ok(!error.message.includes(dir) && !error.details.join('\n').includes(dir), error.message);
  assert.match(error.message, /^sales\/orders\.yaml/);
  const written = await check.write('sales', 'orders', 'pipeline: orders\n');
  const checked = await check.check(written.entry);
  assert.equal(checked.findings[0]?.message, 'declared at sales/orders.yaml:2:1');
});

test('a spec is planned once per version of its text: the same text is not planned again, an edit is', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-catalog-'));
  let plans = 0;
  const check = new PipelineCatalog(dir, async (file) => {
    plans++;
    return { pipeline: /pipeline: (\S+)/.exec(await readFile(file, 'utf8'))![1]!, findings: [] };
  });
  await writeFile(join(dir, 'orders.yaml'), 'pipeline: orders\n');
  const [entry] = await check.list();
  await check.check(entry!);
  await check.check(entry!);
  assert.equal(plans, 1);
  await writeFile(join(dir, 'orders.yaml'), 'pipeline: orders\n# edited\n');
  await check.check(entry!);
  assert.equal(plans, 2);
});
