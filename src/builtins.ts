// The components that ship with Sluice. This is the one place they are listed; the CLI and the typed
// definePipeline() both take them from here.
import { ComponentRegistry } from './spec/registry.ts';
import { fileSource } from './connectors/sources/file-source.ts';
import { fileSink } from './connectors/sinks/file-sink.ts';
import { s3Source } from './connectors/sources/s3-source.ts';
import { httpSource } from './connectors/sources/http/http-source.ts';
import { natsSource } from './connectors/sources/nats-source.ts';
import { natsSink } from './connectors/sinks/nats-sink.ts';
import { kafkaSource } from './connectors/sources/kafka-source.ts';
import { kafkaSink } from './connectors/sinks/kafka-sink.ts';
import { postgresSource } from './connectors/sources/postgres-source.ts';
import { postgresSink } from './connectors/sinks/postgres-sink.ts';
import { s3Sink } from './connectors/sinks/s3-sink.ts';
import { renameStep } from './steps/rename.ts';
import { customStep } from './steps/custom-step.ts';
import { dropStep } from './privacy/transforms/drop.ts';
import { maskStep } from './privacy/transforms/mask.ts';
import { tokenizeStep } from './privacy/transforms/tokenize.ts';
import { encryptStep } from './privacy/transforms/encrypt.ts';
import { redactStep } from './privacy/transforms/redact.ts';
import { hashStep } from './privacy/transforms/hash.ts';
import { generalizeStep } from './privacy/transforms/generalize.ts';
import { scanStep } from './privacy/transforms/scan.ts';

export const BUILTIN_SOURCES = [fileSource, httpSource, postgresSource, s3Source, natsSource, kafkaSource] as const;
export const BUILTIN_STEPS = [renameStep, dropStep, redactStep, maskStep, hashStep, generalizeStep, tokenizeStep, encryptStep, scanStep, customStep] as const;
export const BUILTIN_SINKS = [fileSink, postgresSink, s3Sink, natsSink, kafkaSink] as const;

/** A registry with every built-in component. */
export function builtinRegistry(): ComponentRegistry {
  return new ComponentRegistry([...BUILTIN_SOURCES, ...BUILTIN_STEPS, ...BUILTIN_SINKS]);
}
