// Validates a spec document (already parsed from YAML or imported from TypeScript) into a PipelineSpec,
// collecting every problem with its path instead of stopping at the first.
import { z } from 'zod';
import type { AnyComponent, ComponentKind, ComponentUse, SinkComponent, SourceComponent, StepComponent } from './component.ts';
import type { ComponentRegistry } from './registry.ts';
import type { SpecPath, Locator } from './location.ts';
import type { Contract } from './contract.ts';
import type { PipelineSpec, SinkUse } from './pipeline-spec.ts';
import { sinkCommonShape, sinkOptionsSchema, topLevelShape } from './pipeline-schema.ts';
import { knownKeysAt } from './schema-walk.ts';
import { didYouMean } from './did-you-mean.ts';
import type { Classification } from './classification.ts';

/** One problem in a spec, at a path. */
export interface SpecIssue {
  path: SpecPath;
  message: string;
}

/** The outcome of validation: a spec when there were no issues, and the parts that did validate either way. */
export interface ValidationResult {
  spec?: PipelineSpec;
  issues: SpecIssue[];
  /** The contract and the steps that validated, for checks that can run on a partly broken spec. */
  partial: { contract?: Contract; steps: ComponentUse<StepComponent>[] };
}

const topLevelSchema = z.strictObject({
  ...topLevelShape,
  source: z.unknown(),
  steps: z.array(z.unknown()).default([]),
  sinks: z.array(z.unknown()).min(1, 'declare at least one sink'),
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the last key of `path` is absent from its (object) parent in `input`. */
function isMissing(input: unknown, path: readonly (string | number)[]): boolean {
  if (path.length === 0) return false;
  let parent: unknown = input;
  for (const part of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return false;
    parent = (parent as Record<string | number, unknown>)[part];
  }
  return isPlainObject(parent) && !Object.prototype.hasOwnProperty.call(parent, path[path.length - 1] as string);
}

/** Turns zod issues into spec issues under `prefix`, with "did you mean" for unknown keys. */
function toIssues(error: z.ZodError, schema: z.ZodType, prefix: SpecPath, input: unknown): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        const hint = didYouMean(key, known);
        const list = known.length > 0 ? ` Allowed here: ${known.join(', ')}.` : '';
        issues.push({ path: [...prefix, ...path, key], message: `unknown key '${key}'.${hint || list}` });
      }
    } else if (issue.code === 'invalid_key') {
      const inner = issue.issues.map((i) => i.message).join('; ');
      issues.push({ path: [...prefix, ...path], message: `invalid name '${String(path[path.length - 1])}': ${inner}` });
    } else if (isMissing(input, path)) {
      issues.push({ path: [...prefix, ...path], message: 'required: this key is missing' });
    } else {
      issues.push({ path: [...prefix, ...path], message: issue.message });
    }
  }
  return issues;
}

/** Validates `{ <component>: options }` at `path` against the registered components of `kind`. */
function validateSlot(
  value: unknown,
  kind: ComponentKind,
  path: SpecPath,
  registry: ComponentRegistry,
  issues: SpecIssue[],
): { component: AnyComponent; options: unknown; path: SpecPath } | undefined {
  const known = registry.names(kind);
  const example = known[0] ?? kind;
  if (!isPlainObject(value) || Object.keys(value).length !== 1) {
    issues.push({ path, message: `expected exactly one ${kind}, written as '${example}: { ... }'. Known ${kind}s: ${known.join(', ')}` });
    return undefined;
  }
  const [name, rawOptions] = Object.entries(value)[0] as [string, unknown];
  const component = registry.get(kind, name);
  if (!component) {
    const hint = didYouMean(name, known) || ` Known ${kind}s: ${known.join(', ')}.`;
    issues.push({ path: [...path, name], message: `unknown ${kind} '${name}'.${hint}` });
    return undefined;
  }
  const schema = kind === 'sink' ? sinkOptionsSchema(component) : component.spec;
  const parsed = schema.safeParse(rawOptions ?? {});
  if (!parsed.success) {
    issues.push(...toIssues(parsed.error, schema, [...path, name], rawOptions ?? {}));
    return undefined;
  }
  return { component, options: parsed.data, path: [...path, name] };
}

function toSinkUse(slot: { component: AnyComponent; options: unknown; path: SpecPath }): SinkUse {
  const all = slot.options as Record<string, unknown> & { clearance: Classification; name?: string; fields?: string[] };
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) if (!(key in sinkCommonShape)) options[key] = value;
  return {
    component: slot.component as SinkComponent,
    options,
    path: slot.path,
    name: all.name ?? slot.component.name,
    clearance: all.clearance,
    ...(all.fields ? { fields: all.fields } : {}),
  };
}

/** True when `a` and `b` are the same place or one lies inside the other. */
export function targetsOverlap(a: string, b: string): boolean {
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer.endsWith('/') ? outer : `${outer}/`);
  return within(a, b) || within(b, a);
}

/** Sinks writing to the same or nested places would mix data of different clearances: refuse them. */
function overlappingTargets(sinks: readonly SinkUse[], baseDir: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const targets = sinks.map((sink) => sink.component.target?.(sink.options as never, baseDir));
  for (let i = 0; i < sinks.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [targets[i], targets[j]];
      if (a !== undefined && b !== undefined && targetsOverlap(a, b)) {
        issues.push({ path: sinks[i]?.path ?? [], message: `sink '${sinks[i]?.name}' writes to ${a}, which is the same place as, or nested with, sink '${sinks[j]?.name}' (${b}); give each sink a separate place` });
      }
    }
  }
  return issues;
}

/** Validates a parsed spec document. `baseDir` is where relative paths resolve. */
export function validateSpec(
  document: unknown,
  registry: ComponentRegistry,
  locator: Locator,
  baseDir: string,
): ValidationResult {
  const issues: SpecIssue[] = [];
  const partial: ValidationResult['partial'] = { steps: [] };
  if (!isPlainObject(document)) {
    return { issues: [{ path: [], message: 'a pipeline spec is a mapping with pipeline, source, contract, steps and sinks' }], partial };
  }

  const top = topLevelSchema.safeParse(document);
  if (!top.success) issues.push(...toIssues(top.error, topLevelSchema, [], document));

  const contractResult = topLevelShape.contract.safeParse(document.contract);
  if (contractResult.success) partial.contract = contractResult.data;

  const source = 'source' in document ? validateSlot(document.source, 'source', ['source'], registry, issues) : undefined;
  const rawSteps = Array.isArray(document.steps) ? document.steps : [];
  const steps: (ComponentUse<StepComponent> | undefined)[] = rawSteps.map((raw, i) => {
    const slot = validateSlot(raw, 'step', ['steps', i], registry, issues);
    return slot ? { ...slot, component: slot.component as StepComponent } : undefined;
  });
  partial.steps = steps.filter((s): s is ComponentUse<StepComponent> => s !== undefined);
  const rawSinks = Array.isArray(document.sinks) ? document.sinks : [];
  const sinks = rawSinks.map((raw, i) => validateSlot(raw, 'sink', ['sinks', i], registry, issues));

  const sinkUses = sinks.filter((s) => s !== undefined).map(toSinkUse);
  const seen = new Map<string, number>();
  sinkUses.forEach((sink, i) => {
    const first = seen.get(sink.name);
    if (first !== undefined) {
      issues.push({ path: [...sink.path.slice(0, 2), sink.path[2] ?? '', 'name'], message: `sink name '${sink.name}' is already used by sinks[${first}]; give each sink a unique name` });
    } else seen.set(sink.name, i);
  });

  issues.push(...overlappingTargets(sinkUses, baseDir));

  if (issues.length > 0 || !top.success || !source) return { issues, partial };
  const data = top.data;
  const spec: PipelineSpec = {
    pipeline: data.pipeline,
    source: { ...source, component: source.component as SourceComponent },
    contract: data.contract,
    steps: partial.steps,
    sinks: sinkUses,
    runtime: data.runtime,
    locator,
    baseDir,
    ...(data.description !== undefined ? { description: data.description } : {}),
    ...(data.schedule !== undefined ? { schedule: data.schedule } : {}),
    ...(data.retention !== undefined ? { retention: data.retention } : {}),
  };
  return { spec, issues, partial };
}
