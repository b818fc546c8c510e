// What a step sees while it is planned: the fields that reach it, and verbs to declare what it does to them.
import type { Classification } from '../spec/classification.ts';
import type { FieldType } from '../spec/contract.ts';
import type { SpecPath } from '../spec/location.ts';
import type { FieldFlow } from './field-flow.ts';

/**
 * The planner's view for one step. Paths (`at`) are relative to the step's options, so findings point at the
 * exact option that names a field. A step that names a missing field gets an `unknown-field` finding.
 */
export interface StepPlanContext {
  /** "steps[2] mask": how this step appears in flows and findings. */
  readonly label: string;
  /** The contract's subject field, if it names one. */
  readonly subject: string | undefined;
  /** Reports a problem with the step's options that is not about a field (SLC106). */
  problem(message: string, fix: string, at: SpecPath): void;
  /** The fields that reach this step. */
  fields(): ReadonlyMap<string, FieldFlow>;
  /** The field's flow, or undefined (and a finding) when it does not reach this step. */
  read(field: string, at: SpecPath): FieldFlow | undefined;
  rename(from: string, to: string, at: SpecPath): void;
  drop(field: string, at: SpecPath): void;
  /** The field is transformed so that what it holds is now at `residual` level (e.g. masked card: internal). */
  protect(field: string, residual: Classification, effect: string, at: SpecPath): void;
  /**
   * A field written from others. It carries the highest classification of what it was computed from, unless
   * the step declares it protective by giving `residual`.
   */
  derive(
    field: string,
    options: { type: FieldType; from: readonly string[]; residual?: Classification; effect: string },
    at: SpecPath,
  ): void;
}
