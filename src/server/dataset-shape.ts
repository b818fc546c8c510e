// What a pipeline's sinks hold, read off its plan: each dataset (one per sink) with its fields, the
// classification of what each field holds at rest, and how a protected value can be turned back (the token key
// and domain, the subject key) for callers allowed to.
import type { Plan } from '../plan/plan.ts';
import type { Classification } from '../spec/classification.ts';

export interface DatasetField {
  name: string;
  /** What the field holds at rest: the residual class of its protection, or its source class if plaintext. */
  class: Classification;
  /** The class of the plaintext behind it (what a reveal gives). */
  sourceClass: Classification;
  /** The step that protected it last ("steps[1] mask"), if one did. */
  protectedBy?: string;
  /** For tokenized fields: the key and domain that turn the tokens back. */
  token?: { key: string; domain: string };
  /** For fields sealed per subject by the encrypt step: its dataset key. */
  subjectKey?: string;
}

export interface DatasetShape {
  sink: string;
  clearance: Classification;
  /** Where the sink writes (a folder for the file sink), when it writes objects at rest. */
  target?: string;
  fields: DatasetField[];
}

interface StepOptions {
  fields?: readonly string[];
  key?: string;
  domain?: string;
}

/** The step that protected a field last, from the plan's label for it ("steps[2] tokenize"). */
function protectingStep(plan: Plan, protectedBy: string | undefined): { name: string; options: StepOptions } | undefined {
  const index = /^steps\[(\d+)\] /.exec(protectedBy ?? '')?.[1];
  const step = index !== undefined ? plan.spec.steps[Number(index)] : undefined;
  return step ? { name: step.component.name, options: step.options as StepOptions } : undefined;
}

export function datasetShapes(plan: Plan): DatasetShape[] {
  return plan.sinks.map(({ sink, fields }) => {
    const target = sink.component.target?.(sink.options, plan.spec.baseDir);
    return {
      sink: sink.name,
      clearance: sink.clearance,
      ...(target !== undefined ? { target } : {}),
      fields: fields.map((f) => {
        // The reveal a field allows is that of the step that protected it last, and only while it holds that
        // step's output: a later mask or hash leaves nothing to turn back.
        const step = protectingStep(plan, f.protectedBy);
        const token = step?.name === 'tokenize' ? { key: step.options.key ?? 'tokens', domain: step.options.domain ?? 'default' } : undefined;
        const subjectKey = step?.name === 'encrypt' ? (step.options.key ?? 'subjects') : undefined;
        return {
          name: f.name,
          class: f.class,
          sourceClass: f.sourceClass,
          ...(f.protectedBy !== undefined ? { protectedBy: f.protectedBy } : {}),
          ...(token ? { token } : {}),
          ...(subjectKey !== undefined ? { subjectKey } : {}),
        };
      }),
    };
  });
}
