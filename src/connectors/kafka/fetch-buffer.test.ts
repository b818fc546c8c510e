// The bounded buffer between kafkajs's pushes and the runtime's pulls: backpressure, order, and duplicates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FetchBuffer } from './fetch-buffer.ts';

function messages(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ offset: String(from + i), value: Buffer.from(`{"n":${from + i}}`) }));
}

function buffer(start: ReadonlyMap<number, bigint> = new Map()) {
  const flow: string[] = [];
  const b = new FetchBuffer({ pause: () => flow.push('pause'), resume: () => flow.push('resume') }, start);
  return { b, flow };
}

test('backpressure: the consumer is paused once two batches wait, and resumed only when one batch or less is left', () => {
  const { b, flow } = buffer();
  b.limit(10);
  b.push(0, messages(0, 15));
  assert.deepEqual(flow, []);
  b.push(1, messages(0, 6));
  assert.deepEqual(flow, ['pause']);
  b.push(2, messages(0, 4)); // a fetch already in flight still lands: bounded by one fetch response
  assert.deepEqual(flow, ['pause'], 'paused once');
  b.take(10);
  assert.deepEqual(flow, ['pause'], '15 left: still more than a batch');
  b.take(10);
  assert.deepEqual(flow, ['pause', 'resume']);
  assert.equal(b.count, 5);
});

test('memory is bounded by bytes too: large messages pause fetching at two batch budgets, and a batch ends at its budget (at least one message)', () => {
  const flow: string[] = [];
  const b = new FetchBuffer({ pause: () => flow.push('pause'), resume: () => flow.push('resume') }, new Map(), 1000);
  b.limit(10_000);
  const big = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ offset: String(from + i), value: Buffer.alloc(400) }));
  b.push(0, big(0, 4));
  assert.deepEqual(flow, []);
  b.push(0, big(4, 1));
  assert.deepEqual(flow, ['pause'], '2000 bytes buffered: two budgets');
  assert.deepEqual(b.take(100).map((m) => Number(m.offset)), [0, 1], 'a batch stops before passing its 1000-byte budget');
  assert.deepEqual(flow, ['pause'], '1200 bytes left: more than one budget');
  assert.equal(b.take(100).length, 2);
  assert.deepEqual(flow, ['pause', 'resume']);
  const huge = new FetchBuffer({ pause: () => undefined, resume: () => undefined }, new Map(), 1000);
  huge.push(0, [{ offset: '0', value: Buffer.alloc(5000) }]);
  assert.equal(huge.take(10).length, 1, 'a message over the budget still goes, alone');
});

test('batches keep the fetch order, split a fetched chunk where they must, and record where each partition stands', () => {
  const { b } = buffer();
  b.push(0, messages(100, 3));
  b.push(1, messages(7, 2));
  const first = b.take(4);
  assert.deepEqual(first.map((m) => `${m.partition}@${m.offset}`), ['0@100', '0@101', '0@102', '1@7']);
  assert.deepEqual([...b.taken], [[0, 103n], [1, 8n]]);
  assert.deepEqual(b.take(4).map((m) => `${m.partition}@${m.offset}`), ['1@8']);
  assert.equal(b.count, 0);
});

test('a fetch of 50,000 small messages is taken in batches, each message once and in order (read by index, not shift())', () => {
  const { b } = buffer();
  b.push(0, messages(0, 50_000));
  const offsets: bigint[] = [];
  for (let batch = b.take(5000); batch.length > 0; batch = b.take(5000)) offsets.push(...batch.map((m) => m.offset));
  assert.equal(offsets.length, 50_000);
  assert.ok(offsets.every((offset, i) => offset === BigInt(i)));
  assert.deepEqual([...b.taken], [[0, 50_000n]]);
  assert.equal(b.count, 0);
});

test('messages below where a resumed run starts (its checkpoint) are dropped as duplicates', () => {
  const { b } = buffer(new Map([[0, 5n]]));
  assert.equal(b.push(0, messages(0, 8)), 5);
  assert.deepEqual(b.take(10).map((m) => Number(m.offset)), [5, 6, 7]);
});

test('after a rebalance what was buffered is forgotten, and redelivered messages already taken are dropped', () => {
  const { b, flow } = buffer();
  b.limit(2);
  b.push(0, messages(0, 6));
  assert.deepEqual(flow, ['pause']);
  b.take(2);
  b.reset();
  assert.equal(b.count, 0);
  assert.deepEqual(flow, ['pause', 'resume'], 'a paused consumer is resumed, or it would never fetch again');
  // kafkajs starts again from the committed offset (0): 0 and 1 were handed to the runtime already.
  assert.equal(b.push(0, messages(0, 6)), 2);
  assert.deepEqual(b.take(10).map((m) => Number(m.offset)), [2, 3, 4, 5]);
});

test('property: whatever the pushes and pulls, each offset of a partition is taken at most once and in increasing order', () => {
  const step = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), partition: fc.integer({ min: 0, max: 2 }), from: fc.integer({ min: 0, max: 40 }), count: fc.integer({ min: 0, max: 10 }) }),
    fc.record({ kind: fc.constant('take' as const), max: fc.integer({ min: 1, max: 12 }) }),
    fc.constant({ kind: 'reset' as const }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      const { b } = buffer();
      b.limit(5);
      const last = new Map<number, bigint>();
      for (const s of steps) {
        if (s.kind === 'push') b.push(s.partition, messages(s.from, s.count));
        else if (s.kind === 'reset') b.reset();
        else {
          for (const m of b.take(s.max)) {
            assert.ok(m.offset > (last.get(m.partition) ?? -1n), `partition ${m.partition} offset ${m.offset} again or out of order`);
            last.set(m.partition, m.offset);
          }
        }
      }
    }),
  );
});
