// The JSON Schema and the reference page are generated from the component schemas; the committed copies
// must be current, and the JSON Schema must accept the quickstart and refuse a typo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { builtinRegistry } from '../builtins.ts';
import { pipelineJsonSchema, referenceMarkdown } from './reference.ts';

const root = join(import.meta.dirname, '..', '..');

test('docs/spec-reference.md and schema/pipeline.schema.json are current (run npm run docs)', () => {
  const registry = builtinRegistry();
  assert.equal(readFileSync(join(root, 'docs', 'spec-reference.md'), 'utf8'), referenceMarkdown(registry));
  assert.equal(readFileSync(join(root, 'schema', 'pipeline.schema.json'), 'utf8'), JSON.stringify(pipelineJsonSchema(registry), null, 2) + '\n');
});

test('the reference documents every built-in component and every option of each', () => {
  const registry = builtinRegistry();
  const page = referenceMarkdown(registry);
  for (const kind of ['source', 'step', 'sink'] as const) {
    for (const component of registry.list(kind)) {
      assert.ok(page.includes(`### \`${component.name}\``), `${kind} ${component.name} is documented`);
      const shape = (component.spec as { shape?: Record<string, unknown> }).shape ?? {};
      for (const option of Object.keys(shape)) assert.ok(page.includes(`| \`${option}\` |`), `${component.name}.${option} is documented`);
    }
  }
});

test('the JSON Schema describes the quickstart spec: its top-level keys are all known properties', () => {
  const schema = pipelineJsonSchema(builtinRegistry()) as { properties: Record<string, unknown>; additionalProperties: boolean };
  const quickstart = parse(readFileSync(join(root, 'examples', 'quickstart', 'pipeline.yaml'), 'utf8')) as Record<string, unknown>;
  assert.equal(schema.additionalProperties, false);
  for (const key of Object.keys(quickstart)) assert.ok(key in schema.properties, `${key} is in the JSON Schema`);
});
