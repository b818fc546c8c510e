// Writes schema/pipeline.schema.json and docs/spec-reference.md from the component schemas.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinRegistry } from '../src/builtins.ts';
import { pipelineJsonSchema, referenceMarkdown } from '../src/spec/reference.ts';

const root = join(import.meta.dirname, '..');
const registry = builtinRegistry();
mkdirSync(join(root, 'schema'), { recursive: true });
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'schema', 'pipeline.schema.json'), JSON.stringify(pipelineJsonSchema(registry), null, 2) + '\n');
writeFileSync(join(root, 'docs', 'spec-reference.md'), referenceMarkdown(registry));
console.log('wrote schema/pipeline.schema.json and docs/spec-reference.md');
