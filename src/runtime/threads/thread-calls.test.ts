// Calls between pipeline threads and the thread that started them, over a real MessageChannel: values and bytes
// arrive as the callee returned them, errors keep their code and retryability, and no secret crosses in one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { isRetryable, isSluiceError, SluiceError } from '../../errors.ts';
import { redactions } from '../../secrets/redaction.ts';
import { answerCall, reviveBuffers, ThreadCaller } from './thread-calls.ts';
import type { CallMessage, CallTargets } from './thread-calls.ts';

/** A caller wired to `targets` through a MessageChannel, as a pipeline thread is to its pool. */
function connected(targets: CallTargets): { caller: ThreadCaller; close: () => void } {
  const channel = new MessageChannel();
  const caller = new ThreadCaller(channel.port1);
  channel.port1.on('message', (message) => caller.settle(message));
  channel.port2.on('message', (message: CallMessage) => void answerCall(targets, message).then((reply) => channel.port2.postMessage(reply)));
  return {
    caller,
    close: () => channel.port1.close(),
  };
}

interface Store {
  add(a: number, b: number): Promise<number>;
  echo(bytes: Buffer): Promise<{ copy: Buffer; nested: { list: Buffer[] } }>;
}

test('a call through the proxy reaches the target and its value comes back; Buffers stay Buffers both ways', async () => {
  let received: unknown;
  const { caller, close } = connected({
    store: {
      add: async (a: number, b: number) => a + b,
      echo: async (bytes: Buffer) => {
        received = bytes;
        return { copy: Buffer.from(bytes), nested: { list: [Buffer.from('x')] } };
      },
    },
  });
  try {
    const store = caller.proxy<Store>('store');
    assert.equal(await store.add(2, 3), 5);
    const echoed = await store.echo(Buffer.from('hello'));
    assert.ok(Buffer.isBuffer(received), 'the callee gets a Buffer');
    assert.ok(Buffer.isBuffer(echoed.copy) && Buffer.isBuffer(echoed.nested.list[0]), 'the caller gets Buffers at any depth');
    assert.equal(echoed.copy.toString(), 'hello');
  } finally {
    close();
  }
});

test('the proxy has no then, so awaiting it does not treat it as a promise', () => {
  const { caller, close } = connected({ store: {} });
  try {
    const store = caller.proxy<Record<string, unknown>>('store');
    assert.equal(store.then, undefined);
    assert.equal(typeof store.listRuns, 'function');
  } finally {
    close();
  }
});

test('an error keeps its code and whether a retry may succeed; a system error keeps its errno', async () => {
  const { caller, close } = connected({
    store: {
      busy: async () => {
        throw new SluiceError('SLUICE_STATE_BUSY', 'the store is busy', { retryable: true });
      },
      reset: async () => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
    },
  });
  try {
    const busy = await caller.call('store', 'busy', []).then(() => undefined, (error: unknown) => error);
    assert.ok(isSluiceError(busy, 'SLUICE_STATE_BUSY'));
    assert.ok(isRetryable(busy));
    const reset = await caller.call('store', 'reset', []).then(() => undefined, (error: unknown) => error);
    assert.ok(!isSluiceError(reset));
    assert.equal((reset as { code?: string }).code, 'ECONNRESET');
    assert.ok(isRetryable(reset));
  } finally {
    close();
  }
});

test('calling a method the run does not offer is refused by name (SLUICE_THREAD)', async () => {
  const reply = await answerCall({ store: {} }, { kind: 'call', id: 1, target: 'store', method: 'dropEverything', args: [] });
  assert.equal(reply.error?.code, 'SLUICE_THREAD');
  assert.match(reply.error?.message ?? '', /store\.dropEverything/);
  const unknownTarget = await answerCall({}, { kind: 'call', id: 2, target: 'shell', method: 'exec', args: [] });
  assert.equal(unknownTarget.error?.code, 'SLUICE_THREAD');
});

test('a secret planted in an error message does not cross to the thread', async () => {
  const secret = 'hunter2-planted-secret-value';
  redactions.register(secret);
  try {
    const reply = await answerCall(
      {
        store: {
          fail: async () => {
            throw new SluiceError('SLUICE_STATE_STORE', `connection to postgres://app:${secret}@db failed`);
          },
        },
      },
      { kind: 'call', id: 1, target: 'store', method: 'fail', args: [] },
    );
    assert.ok(reply.error);
    assert.ok(!reply.error.message.includes(secret), reply.error.message);
    assert.match(reply.error.message, /REDACTED/);
  } finally {
    redactions.unregister(secret);
  }
});

test('reviveBuffers leaves what is not bytes alone', () => {
  const date = new Date(0);
  const value = reviveBuffers({ a: 1, b: 'x', c: null, d: [true, undefined], e: date }) as Record<string, unknown>;
  assert.deepEqual(value, { a: 1, b: 'x', c: null, d: [true, undefined], e: date });
  assert.equal(value.e, date);
});
