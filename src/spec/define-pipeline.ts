// definePipeline(): a pipeline spec written in TypeScript, typed from the built-in components' own schemas.
// It goes through the same validation as a YAML spec when Sluice loads it.
import type { z } from 'zod';
import type { AnyComponent } from './component.ts';
import type { BUILTIN_SINKS, BUILTIN_SOURCES, BUILTIN_STEPS } from '../builtins.ts';
import type { contractSchema } from './contract.ts';
import type { runtimeSchema, sinkCommonShape } from './pipeline-schema.ts';
import type { Classification } from './classification.ts';

/** `{ <name>: options }` for one component. */
type SlotOf<C> = C extends AnyComponent ? { [K in C['name']]: z.input<C['spec']> } : never;

type SinkCommon = { clearance: Classification } & Partial<{ [K in Exclude<keyof typeof sinkCommonShape, 'clearance'>]: z.input<(typeof sinkCommonShape)[K]> }>;
type SinkSlotOf<C> = C extends AnyComponent ? { [K in C['name']]: z.input<C['spec']> & SinkCommon } : never;

/** A pipeline spec as written in TypeScript. */
export interface PipelineDefinition {
  pipeline: string;
  description?: string;
  source: SlotOf<(typeof BUILTIN_SOURCES)[number]>;
  contract: z.input<typeof contractSchema>;
  steps?: SlotOf<(typeof BUILTIN_STEPS)[number]>[];
  sinks: SinkSlotOf<(typeof BUILTIN_SINKS)[number]>[];
  schedule?: string;
  retention?: string;
  runtime?: z.input<typeof runtimeSchema>;
}

/** Declares a pipeline in TypeScript: `export default definePipeline({ ... })`. Checked when loaded. */
export function definePipeline(definition: PipelineDefinition): PipelineDefinition {
  return definition;
}
