// A component is its spec: a named source, step or sink whose zod schema is the single source of truth
// for its options (validation, TypeScript type, JSON Schema, reference docs).
import type { z } from 'zod';
import type { Source } from '../connectors/source.ts';
import type { SinkInstance, SinkSettings } from '../connectors/sink.ts';
import type { StepInstance } from '../runtime/step.ts';
import type { StepPlanContext } from '../plan/step-plan-context.ts';
import type { SpecPath } from './location.ts';
import type { Secret } from '../secrets/secret.ts';

export type ComponentKind = 'source' | 'step' | 'sink';

/** Resolves a secret reference of a component's options to its value, when the component needs it. */
export interface SecretSource {
  resolve(reference: string): Promise<Secret>;
  /** Forgets a cached value (after a remote refused it), so the next resolve reads it again. */
  invalidate(reference: string): void;
}

/** What a component's `create` gets besides its options. */
export interface CreateContext {
  /** The folder relative paths in the spec are resolved against (the spec file's folder). */
  baseDir: string;
  /** The pipeline's name. */
  pipeline: string;
  /** The contract's subject field, if it names one. */
  subject?: string;
  /** Resolves the secret references among the options (declared with secretReference()), just in time. */
  secrets?: SecretSource;
}

interface ComponentBase<Name extends string, Schema extends z.ZodType> {
  /** The key that selects this component in a spec, e.g. `file` or `mask`. */
  name: Name;
  /** One sentence for the reference docs. */
  summary: string;
  /** The options: validation, type, JSON Schema and docs all come from here. */
  spec: Schema;
  /** Example options, checked by a test against `spec`. */
  examples: readonly z.input<Schema>[];
  /**
   * The explicit, named opt-outs of a secure default that these options use (plain HTTP to a loopback
   * endpoint, a private address let past the SSRF guard): `sluice check` reports each (SLC108), so none
   * goes unnoticed.
   */
  insecureOptOuts?(options: z.output<Schema>): InsecureOptOut[];
}

/** One opt-out of a secure default, where it is in the component's options and what it gives up. */
export interface InsecureOptOut {
  /** The option's path inside the component's options, e.g. ['allowPrivateAddresses']. */
  at: SpecPath;
  /** What it allows, e.g. "connections to 127.0.0.1 past the SSRF guard". */
  allows: string;
}

/** A source component: reads records from somewhere. */
export interface SourceComponent<Name extends string = string, Schema extends z.ZodType = z.ZodType>
  extends ComponentBase<Name, Schema> {
  kind: 'source';
  create(options: z.output<Schema>, context: CreateContext): Source;
}

/**
 * A step component. `plan` declares what the step does to fields (reads, renames, protects, drops, derives)
 * so the planner can follow every field; `create` makes the function that runs on records.
 */
export interface StepComponent<Name extends string = string, Schema extends z.ZodType = z.ZodType>
  extends ComponentBase<Name, Schema> {
  kind: 'step';
  plan(options: z.output<Schema>, context: StepPlanContext): void;
  create(options: z.output<Schema>, context: CreateContext): StepInstance;
}

/** A sink component: writes batches somewhere, always through `Sink.write()` or `RecordSink.write()`. */
export interface SinkComponent<Name extends string = string, Schema extends z.ZodType = z.ZodType>
  extends ComponentBase<Name, Schema> {
  kind: 'sink';
  /**
   * What the sink stores: sealed envelope objects (`objects`, the default: files, S3) or records field by field
   * in another system (`records`: a table, a stream), whose clearance the planner caps at confidential (SLC107).
   */
  holds?: 'objects' | 'records';
  create(options: z.output<Schema>, settings: SinkSettings, context: CreateContext): SinkInstance;
  /**
   * Where the sink writes, as a path-like string (an absolute folder, `s3://bucket/prefix/`). Two sinks whose
   * targets are equal or nested would mix data of different clearances, so validation refuses them.
   */
  target?(options: z.output<Schema>, baseDir: string): string;
}

export type AnyComponent = SourceComponent | StepComponent | SinkComponent;

/** A validated use of a component in a spec: which one, its parsed options, and where it sits. */
export interface ComponentUse<C extends AnyComponent = AnyComponent> {
  component: C;
  options: unknown;
  /** Path of the component's options in the spec, e.g. ['steps', 2, 'mask']. */
  path: SpecPath;
}

/** Declares a source component; the kind is filled in. */
export function defineSource<N extends string, S extends z.ZodType>(c: Omit<SourceComponent<N, S>, 'kind'> & { kind?: 'source' }): SourceComponent<N, S> {
  return { ...c, kind: 'source' };
}
/** Declares a step component; the kind is filled in. */
export function defineStepComponent<N extends string, S extends z.ZodType>(c: Omit<StepComponent<N, S>, 'kind'> & { kind?: 'step' }): StepComponent<N, S> {
  return { ...c, kind: 'step' };
}
/** Declares a sink component; the kind is filled in. */
export function defineSink<N extends string, S extends z.ZodType>(c: Omit<SinkComponent<N, S>, 'kind'> & { kind?: 'sink' }): SinkComponent<N, S> {
  return { ...c, kind: 'sink' };
}
