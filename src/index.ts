// The public API for TypeScript specs and embedding: definePipeline, defineStep and the types they use.
export { definePipeline } from './spec/define-pipeline.ts';
export type { PipelineDefinition } from './spec/define-pipeline.ts';
export { defineStep } from './steps/custom-step.ts';
export type { CustomStepDefinition, CustomStepOutput } from './steps/custom-step.ts';
export type { Classification } from './spec/classification.ts';
export type { FieldType, PiiCategory } from './spec/contract.ts';
export type { DataRecord } from './runtime/record.ts';
export { SluiceError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
