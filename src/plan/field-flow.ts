// The state of one field as it flows from the source through the steps: lineage, class, protection.
import type { Classification } from '../spec/classification.ts';
import type { FieldType } from '../spec/contract.ts';

/** How a field arrives at a point of the pipeline. */
export interface FieldFlow {
  /** The field's name at this point. */
  name: string;
  type: FieldType;
  /** The source fields whose values reach this field. */
  origins: readonly string[];
  /** The highest classification among the origins. */
  sourceClass: Classification;
  /**
   * The classification of what the field holds now: `sourceClass` while it is plaintext, the residual level a
   * protective step declares once it is protected.
   */
  class: Classification;
  /** The protective step that last transformed this field, when it is no longer plaintext of its origins. */
  protectedBy?: string;
  /** Each hop: "source email", "steps[0] rename email -> contact", "steps[1] mask (keep last 4)". */
  hops: readonly string[];
}

export function isPlaintext(flow: FieldFlow): boolean {
  return flow.protectedBy === undefined;
}
