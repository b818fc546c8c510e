// The validated pipeline: what the planner and runtime receive after a spec has been checked.
import type { Classification } from './classification.ts';
import type { Contract } from './contract.ts';
import type { ComponentUse, SinkComponent, SourceComponent, StepComponent } from './component.ts';
import type { Locator } from './location.ts';
import type { RuntimeSettings } from './pipeline-schema.ts';

/** A sink as the spec declares it: the component, its options and the settings every sink has. */
export interface SinkUse extends ComponentUse<SinkComponent> {
  /** Unique within the pipeline. */
  name: string;
  clearance: Classification;
  /** When set, only these fields reach the sink. */
  fields?: readonly string[];
}

/** A validated pipeline spec. */
export interface PipelineSpec {
  pipeline: string;
  description?: string;
  source: ComponentUse<SourceComponent>;
  contract: Contract;
  steps: ComponentUse<StepComponent>[];
  sinks: SinkUse[];
  schedule?: string;
  retention?: string;
  runtime: RuntimeSettings;
  /** Where each part of the spec came from, for messages. */
  locator: Locator;
  /** The folder relative paths in the spec resolve against. */
  baseDir: string;
}
