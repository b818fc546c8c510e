// Test doubles for the runtime: a source over an in-memory array and a sink that keeps what it is given.
// Named as doubles on purpose; the real file source and sink are tested against real files.
import { z } from 'zod';
import { defineSink, defineSource } from '../../src/spec/component.ts';
import { RecordSink, Sink } from '../../src/connectors/sink.ts';
import type { RecordBatch, SinkBatch, SinkRunInfo, SinkSettings } from '../../src/connectors/sink.ts';
import type { OpenOptions, SourceBatch, SourcePosition, SourceReader } from '../../src/connectors/source.ts';
import type { DataRecord } from '../../src/runtime/record.ts';
import { SluiceError } from '../../src/errors.ts';
import assert from 'node:assert/strict';
import { openObjectBuffer } from '../../src/crypto/envelope/envelope.ts';
import type { KeySource } from '../../src/crypto/envelope/envelope.ts';

/** Records the memory source serves, by dataset name. */
export const datasets = new Map<string, unknown[]>();
/** Put this in a dataset to make the source fail when it reaches it, as a malformed line would. */
export const SOURCE_FAILS_HERE = Symbol('source fails here');

export const memorySource = defineSource({
  name: 'memory',
  summary: 'Test double: records from an in-memory array.',
  spec: z.strictObject({ dataset: z.string() }),
  examples: [{ dataset: 'x' }],
  create(options) {
    return {
      description: `memory ${options.dataset}`,
      async open(from): Promise<SourceReader> {
        const records = datasets.get(options.dataset) ?? [];
        let index = Number(from?.index ?? 0);
        return {
          async *batches(size: number): AsyncIterable<SourceBatch> {
            while (index < records.length) {
              const start = index;
              const slice = records.slice(start, start + size);
              if (slice.includes(SOURCE_FAILS_HERE)) throw new SluiceError('SLUICE_INPUT_MALFORMED', `memory:${start + slice.indexOf(SOURCE_FAILS_HERE) + 1}: cannot be read`);
              index = start + slice.length;
              yield { records: slice, refs: slice.map((_, i) => `memory:${start + i + 1}`), malformed: [], end: { index } };
            }
          },
          progress: () => ({ done: index, total: records.length }),
          close: async () => undefined,
        };
      },
    };
  },
});

/**
 * What the collecting sinks hold, by sink name, then by batch number (a rewrite replaces the batch): the
 * records, decrypted back from the object the sink received with `readerKeys`, as a reader would.
 */
export const collected = new Map<string, Map<number, DataRecord[]>>();
/** The sealed objects exactly as the collecting sinks received them. */
export const received: Buffer[] = [];
/** The keys the collecting sinks read their objects back with; tests set it to the run's keyring. */
export const reader: { keys?: KeySource } = {};
/** Failures to inject, by sink name: each write shifts one; an Error is thrown, undefined lets it through. */
export const failures = new Map<string, (Error | undefined)[]>();

class CollectingSink extends Sink {
  constructor(settings: SinkSettings) {
    super(settings);
  }
  protected async _open(_run: SinkRunInfo): Promise<void> {
    if (!collected.has(this.settings.name)) collected.set(this.settings.name, new Map());
  }
  protected async _write(batch: SinkBatch): Promise<string> {
    const failure = failures.get(this.settings.name)?.shift();
    if (failure) throw failure;
    const object = Buffer.concat(batch.pieces);
    assert.equal(object.length, batch.bytes);
    received.push(object);
    if (!reader.keys) throw new Error('set reader.keys to read the objects back');
    const { plaintext } = await openObjectBuffer(object, reader.keys, `memory:${this.settings.name}:${batch.batch}`);
    const records = plaintext.toString('utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as DataRecord);
    assert.equal(records.length, batch.records);
    collected.get(this.settings.name)?.set(batch.batch, records);
    return `memory:${this.settings.name}/${batch.batch}`;
  }
  describe(): string {
    return `memory:${this.settings.name}`;
  }
}

export const collectingSink = defineSink({
  name: 'collect',
  summary: 'Test double: keeps written batches in memory.',
  spec: z.strictObject({}),
  examples: [{}],
  create: (_options, settings) => new CollectingSink(settings),
});

/** Every record a sink holds, in batch order. */
export function sinkRecords(name: string): DataRecord[] {
  const batches = collected.get(name) ?? new Map<number, DataRecord[]>();
  return [...batches.keys()].sort((a, b) => a - b).flatMap((k) => batches.get(k) ?? []);
}

/** A system error with a code, as fs would throw it. */
export function systemError(code: string): Error {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/** What the record sink double holds, by sink name, then by batch number (a rewrite replaces the batch). */
export const recordBatches = new Map<string, Map<number, DataRecord[]>>();
/** The source refs the record sink double was given, by sink name, then by batch number. */
export const recordRefs = new Map<string, Map<number, string[]>>();

class RecordCollectingSink extends RecordSink {
  protected async _open(_run: SinkRunInfo): Promise<void> {
    if (!recordBatches.has(this.settings.name)) recordBatches.set(this.settings.name, new Map());
  }
  protected async _write(batch: RecordBatch): Promise<void> {
    const failure = failures.get(this.settings.name)?.shift();
    if (failure) throw failure;
    recordBatches.get(this.settings.name)?.set(batch.batch, [...batch.records]);
    if (!recordRefs.has(this.settings.name)) recordRefs.set(this.settings.name, new Map());
    recordRefs.get(this.settings.name)?.set(batch.batch, [...batch.refs]);
  }
  describe(): string {
    return `memory records:${this.settings.name}`;
  }
}

export const recordSinkDouble = defineSink({
  name: 'collect-records',
  summary: 'Test double: a record sink (a table or stream) that keeps written records in memory.',
  holds: 'records',
  spec: z.strictObject({}),
  examples: [{}],
  create: (_options, settings) => new RecordCollectingSink(settings),
});

/**
 * A stream double: serves `streamed` from where its position says, and logs what the runtime does with it: each
 * open's options and start, and each committed(end) call (the acknowledgements). Following, it waits for more
 * records until its signal aborts, yielding what it has whenever it has something.
 */
export const stream = { records: [] as unknown[], acks: [] as SourcePosition[], opens: [] as { from: SourcePosition | undefined; follow: boolean }[], incremental: false };

export const streamSourceDouble = defineSource({
  name: 'memory-stream',
  summary: 'Test double: a stream of in-memory records with acknowledgements.',
  spec: z.strictObject({}),
  examples: [{}],
  create() {
    return {
      description: 'memory stream',
      follows: true,
      get incremental() {
        return stream.incremental;
      },
      async open(from: SourcePosition | undefined, options?: OpenOptions): Promise<SourceReader> {
        stream.opens.push({ from, follow: options?.follow ?? false });
        let index = Number(from?.index ?? 0);
        const signal = options?.signal;
        return {
          async *batches(size: number): AsyncIterable<SourceBatch> {
            for (;;) {
              // Like the real streams, it stops pulling once the run is being stopped.
              if (signal?.aborted) return;
              if (index < stream.records.length) {
                const start = index;
                const slice = stream.records.slice(start, start + size);
                index = start + slice.length;
                yield { records: slice, refs: slice.map((_, i) => `stream:${start + i + 1}`), malformed: [], end: { index } };
                continue;
              }
              if (!options?.follow || signal?.aborted) return;
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
          },
          async committed(end: SourcePosition): Promise<void> {
            stream.acks.push(end);
          },
          progress: () => ({ done: index }),
          close: async () => undefined,
        };
      },
    };
  },
});
