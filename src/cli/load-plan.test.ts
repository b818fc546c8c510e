// Tests of loadPlan: every problem of a spec file at once (schema and fields), and TypeScript specs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinRegistry } from '../builtins.ts';
import { isSluiceError } from '../errors.ts';
import type { SluiceError } from '../errors.ts';
import { loadPlan } from './load-plan.ts';

const registry = builtinRegistry();
/** The public API a TypeScript spec imports, as a URL the temp file can import from anywhere. */
const API = new URL('../index.ts', import.meta.url).href;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-load-plan-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `text` to a new file in the temp dir (a new name each time: imported modules are cached by URL). */
let written = 0;
async function specFile(extension: string, text: string): Promise<string> {
  written++;
  const path = join(dir, `spec-${written}.${extension}`);
  await writeFile(path, text);
  return path;
}

/** The SluiceError loadPlan rejects with. */
async function rejection(path: string): Promise<SluiceError> {
  try {
    await loadPlan(path, registry);
  } catch (error) {
    assert.ok(isSluiceError(error), `expected a SluiceError, got ${String(error)}`);
    return error;
  }
  assert.fail('loadPlan should have rejected');
}

const YAML_CONTRACT = [
  'source:',
  '  file: { path: in.jsonl }',
  'contract:',
  '  fields:',
  '    email:   { type: string, class: restricted }',
  '    country: { type: string, class: public }',
];

describe('loadPlan with a YAML spec', () => {
  test('a valid spec loads and plans', async () => {
    const path = await specFile('yaml', ['pipeline: fine', ...YAML_CONTRACT, 'steps:', '  - mask: { fields: [email] }', 'sinks:', '  - file: { dir: out, clearance: internal }', ''].join('\n'));
    const { loaded, plan } = await loadPlan(path, registry);
    assert.deepEqual(loaded.issues, []);
    assert.match(loaded.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(plan.findings, []);
    assert.deepEqual(plan.sinks[0]?.fields.map((f) => [f.name, f.class, f.protectedBy]), [['email', 'internal', 'steps[0] mask'], ['country', 'public', undefined]]);
  });

  test('a schema problem in a sink and a step naming a field the contract lacks are reported together', async () => {
    const text = [
      'pipeline: broken',
      ...YAML_CONTRACT,
      'steps:',
      '  - mask: { fields: [emal] }',
      'sinks:',
      '  - file: { dir: out, clearance: secret }',
      '',
    ].join('\n');
    const path = await specFile('yaml', text);
    const error = await rejection(path);
    assert.equal(error.code, 'SLUICE_SPEC_INVALID');
    assert.ok(error.message.includes('2 problems'), error.message);
    assert.equal(error.details.length, 2, error.details.join('\n'));

    const sinkProblem = error.details.find((d) => d.includes('sinks[0].file.clearance'));
    assert.ok(sinkProblem, error.details.join('\n'));
    assert.ok(sinkProblem.startsWith(`${path}:11:`), sinkProblem);

    const fieldProblem = error.details.find((d) => d.includes('SLC102'));
    assert.ok(fieldProblem, error.details.join('\n'));
    assert.ok(fieldProblem.includes("'emal'") && fieldProblem.includes("Did you mean 'email'"), fieldProblem);
    assert.ok(fieldProblem.startsWith(`${path}:9:`), fieldProblem);
  });

  test('YAML syntax problems are reported with their place and nothing is planned', async () => {
    const path = await specFile('yaml', 'pipeline: p\npipeline: q\n');
    const error = await rejection(path);
    assert.equal(error.code, 'SLUICE_SPEC_INVALID');
    assert.equal(error.details.length, 1);
    assert.ok(error.details[0]?.startsWith(`${path}:2:1`), error.details[0]);
  });

  test('a missing spec file is SLUICE_SPEC_UNREADABLE', async () => {
    await assert.rejects(loadPlan(join(dir, 'absent.yaml'), registry), (error) => isSluiceError(error, 'SLUICE_SPEC_UNREADABLE'));
  });
});

describe('loadPlan with a TypeScript spec', () => {
  test('a spec with definePipeline and a custom step loads and plans', async () => {
    const path = await specFile(
      'ts',
      `import { definePipeline, defineStep } from ${JSON.stringify(API)};

const hashEmail = defineStep({
  name: 'hash-email',
  reads: ['email'],
  writes: { email_hash: { type: 'string', protective: 'internal' } },
  drops: ['email'],
  apply: (record) => ({ email_hash: String(record.email).length }),
});

export default definePipeline({
  pipeline: 'typed',
  source: { file: { path: 'in.jsonl' } },
  contract: {
    fields: {
      email: { type: 'string', class: 'restricted' },
      country: { type: 'string', class: 'public' },
    },
  },
  steps: [{ custom: hashEmail }],
  sinks: [{ file: { name: 'analytics', dir: 'out', clearance: 'internal' } }],
});
`,
    );
    const { loaded, plan } = await loadPlan(path, registry);
    assert.deepEqual(loaded.issues, []);
    assert.equal(plan.spec.pipeline, 'typed');
    assert.deepEqual(plan.findings, []);
    const fields = plan.sinks[0]?.fields.map((f) => ({ name: f.name, class: f.class, protectedBy: f.protectedBy, origins: [...f.origins] }));
    assert.deepEqual(fields, [
      { name: 'country', class: 'public', protectedBy: undefined, origins: ['country'] },
      { name: 'email_hash', class: 'internal', protectedBy: 'steps[0] custom', origins: ['email'] },
    ]);
  });

  test('a spec with a problem reports it at its path, with the file', async () => {
    const path = await specFile(
      'ts',
      `import { definePipeline } from ${JSON.stringify(API)};

export default definePipeline({
  pipeline: 'typed',
  source: { file: { path: 'in.jsonl' } },
  contract: { fields: { email: { type: 'string', class: 'restricted' } } },
  steps: [{ drop: { fields: ['emal'] } }],
  // @ts-expect-error: the clearance is missing on purpose
  sinks: [{ file: { dir: 'out' } }],
});
`,
    );
    const error = await rejection(path);
    assert.equal(error.code, 'SLUICE_SPEC_INVALID');
    const sinkProblem = error.details.find((d) => d.includes('sinks[0].file.clearance'));
    assert.ok(sinkProblem?.startsWith(path), error.details.join('\n'));
    const fieldProblem = error.details.find((d) => d.includes('SLC102'));
    assert.ok(fieldProblem?.includes("'emal'"), error.details.join('\n'));
  });

  test('a spec that fails to import is SLUICE_SPEC_INVALID naming the file', async () => {
    const path = await specFile('ts', `import { definePipeline } from ${JSON.stringify(API)};\nthrow new Error('boom');\nexport default definePipeline;\n`);
    const error = await rejection(path);
    assert.equal(error.code, 'SLUICE_SPEC_INVALID');
    assert.ok(error.message.includes(path), error.message);
  });

  test('a malformed custom step fails the load with SLUICE_SPEC_INVALID naming the step', async () => {
    const path = await specFile(
      'ts',
      `import { defineStep } from ${JSON.stringify(API)};
export default { step: defineStep({ name: 'sneaky', reads: ['a'], writes: { b: { type: 'string', from: ['c'] } }, apply: () => ({}) }) };
`,
    );
    const error = await rejection(path);
    assert.equal(error.code, 'SLUICE_SPEC_INVALID');
    assert.ok(error.message.includes('sneaky'), error.message);
  });

  test("a spec exported as 'pipeline' instead of default loads too, in a folder that compiles it as CommonJS", async () => {
    const path = await specFile(
      'ts',
      `import { definePipeline } from ${JSON.stringify(API)};
export const pipeline = definePipeline({
  pipeline: 'named',
  source: { file: { path: 'in.jsonl' } },
  contract: { fields: { email: { type: 'string', class: 'restricted' } } },
  sinks: [{ file: { dir: 'out', clearance: 'restricted' } }],
});
`,
    );
    const { plan } = await loadPlan(path, registry);
    assert.equal(plan.spec.pipeline, 'named');
    assert.deepEqual(plan.findings, []);
  });

  test('a module without a default export is one problem at the top level', async () => {
    const path = await specFile('ts', 'export const nothing = 1;\n');
    const error = await rejection(path);
    assert.equal(error.code, 'SLUICE_SPEC_INVALID');
    assert.equal(error.details.length, 1);
    assert.ok(error.details[0]?.includes('(top level)'), error.details[0]);
  });
});
