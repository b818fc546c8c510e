// Tests of the cluster task message: round trip, version refusal, each malformed field, fields that are no longer part
// of it (the worker takes them from the state store), and errors that never quote it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SluiceError, isSluiceError } from '../errors.ts';
import { TASK_MESSAGE_VERSION, decodeTask, encodeTask, taskId } from './task-message.ts';
import type { TaskMessage } from './task-message.ts';

const base = {
  runId: 'run-2024.01_a',
  taskId: taskId(1),
};

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** Asserts decodeTask fails on `data` with SLUICE_TASK_INVALID and returns the error. */
function invalid(data: Uint8Array, what: string): SluiceError {
  try {
    decodeTask(data);
  } catch (error) {
    assert.ok(isSluiceError(error, 'SLUICE_TASK_INVALID'), `${what}: expected SLUICE_TASK_INVALID, got ${String(error)}`);
    return error;
  }
  assert.fail(`${what}: decoded, expected SLUICE_TASK_INVALID`);
}

test('taskId numbers tasks as t + six digits, in order', () => {
  assert.equal(taskId(1), 't000001');
  assert.equal(taskId(123456), 't123456');
  assert.ok(taskId(9) < taskId(10));
});

test('a task message round-trips through encodeTask and decodeTask', () => {
  const tasks: Omit<TaskMessage, 'v'>[] = [
    base,
    { ...base, taskId: taskId(42) },
    { runId: 'r', taskId: taskId(123_456_789) },
    { runId: 'A'.repeat(100), taskId: 't000000' },
  ];
  for (const task of tasks) {
    const decoded = decodeTask(encodeTask(task));
    assert.deepEqual(decoded, { v: TASK_MESSAGE_VERSION, ...task });
  }
});

test('property: any valid task message round-trips', () => {
  const task = fc.record({
    runId: fc.stringMatching(/^[A-Za-z0-9._-]{1,100}$/),
    taskId: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }).map(taskId), fc.stringMatching(/^t\d{6,9}$/)),
  });
  fc.assert(
    fc.property(task, (t) => {
      assert.deepEqual({ ...decodeTask(encodeTask(t)) }, { v: TASK_MESSAGE_VERSION, ...t });
    }),
    { numRuns: 100, seed: 4242 },
  );
});

test('a message of another version, or with none, fails with SLUICE_TASK_INVALID', () => {
  const versions: [string, unknown][] = [
    ['v: 2', { v: 2, ...base }],
    ['v: 0', { v: 0, ...base }],
    ['v: "1"', { v: '1', ...base }],
    ['v missing', base],
    ['v: null', { v: null, ...base }],
  ];
  for (const [what, message] of versions) {
    const error = invalid(bytes(message), what);
    assert.equal(error.code, 'SLUICE_TASK_INVALID');
  }
});

test('malformed fields fail with SLUICE_TASK_INVALID', () => {
  const v = TASK_MESSAGE_VERSION;
  const malformed: [string, unknown][] = [
    ['taskId without the t', { v, ...base, taskId: '000001' }],
    ['taskId too short', { v, ...base, taskId: 't1' }],
    ['taskId too long', { v, ...base, taskId: 't1234567890' }],
    ['taskId with a letter', { v, ...base, taskId: 't00000a' }],
    ['taskId upper case T', { v, ...base, taskId: 'T000001' }],
    ['taskId with a trailing newline', { v, ...base, taskId: 't000001\n' }],
    ['taskId a number', { v, ...base, taskId: 1 }],
    ['taskId missing', { v, runId: base.runId }],
    ['runId with a slash', { v, ...base, runId: '../run' }],
    ['runId with a space', { v, ...base, runId: 'run 1' }],
    ['runId empty', { v, ...base, runId: '' }],
    ['runId too long', { v, ...base, runId: 'r'.repeat(101) }],
    ['runId a number', { v, ...base, runId: 1 }],
    ['runId null', { v, ...base, runId: null }],
    ['runId missing', { v, taskId: base.taskId }],
    ['an extra key', { v, ...base, extra: true }],
  ];
  for (const [what, message] of malformed) invalid(bytes(message), what);
});

test('a message that carries a spec path, a hash or a range is refused: the worker takes those from the state store, never from the queue', () => {
  const v = TASK_MESSAGE_VERSION;
  const carried: [string, Record<string, unknown>][] = [
    ['pipeline', { pipeline: 'customers' }],
    ['specPath', { specPath: '/specs/customers.yaml' }],
    ['specHash', { specHash: 'ab'.repeat(32) }],
    ['from', { from: { offset: 0, line: 0 } }],
    ['until', { until: { offset: 64 } }],
    ['from and until', { from: { cursor: 'abc', page: 3 }, until: { cursor: 'def' } }],
    ['all of the old message', { pipeline: 'customers', specPath: '/specs/customers.yaml', specHash: 'ab'.repeat(32), from: { offset: 0 }, until: { offset: 64 } }],
  ];
  for (const [what, extra] of carried) {
    const error = invalid(bytes({ v, ...base, ...extra }), what);
    assert.match(error.message, /unknown key/, `${what}: refused as an unknown key`);
  }
  // encodeTask spreads what it is given, so a caller that slips a spec path past the type still gets a refused message.
  const forged = { ...base, specPath: '/etc/evil.yaml' } as Omit<TaskMessage, 'v'>;
  invalid(encodeTask(forged), 'specPath through encodeTask');
});

test('bytes that are not UTF-8, not JSON, or JSON that is not an object fail with SLUICE_TASK_INVALID', () => {
  const inputs: [string, Uint8Array][] = [
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
    ['a lone continuation byte', new Uint8Array([0x80])],
    ['an overlong encoding', new Uint8Array([0x22, 0xc0, 0xaf, 0x22])],
    ['empty', new Uint8Array()],
    ['not JSON', new TextEncoder().encode('run t000001 please')],
    ['truncated JSON', encodeTask(base).subarray(0, 20)],
    ['a JSON array', bytes([1, base])],
    ['a JSON string', bytes('t000001')],
    ['JSON null', bytes(null)],
  ];
  for (const [what, data] of inputs) invalid(data, what);
});

test('property: decodeTask on arbitrary bytes or JSON returns or throws SLUICE_TASK_INVALID, never anything else', () => {
  const check = (data: Uint8Array): void => {
    try {
      decodeTask(data);
    } catch (error) {
      assert.ok(error instanceof SluiceError, `not a SluiceError: ${String(error)}`);
      assert.equal(error.code, 'SLUICE_TASK_INVALID');
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), check), { numRuns: 100, seed: 7 });
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => check(bytes(value))),
    { numRuns: 100, seed: 8 },
  );
  // Near-misses: a valid message with one field replaced by arbitrary JSON, or one extra key (old fields included).
  const nearMiss = fc.tuple(
    fc.constantFrom('v', ...Object.keys(base), 'pipeline', 'specPath', 'specHash', 'from', 'until', 'extra', '__proto__'),
    fc.jsonValue({ maxDepth: 3 }),
  );
  fc.assert(
    fc.property(nearMiss, ([key, value]) => {
      const message: Record<string, unknown> = { v: TASK_MESSAGE_VERSION, ...base };
      Object.defineProperty(message, key, { value, enumerable: true, configurable: true, writable: true });
      check(bytes(message));
    }),
    { numRuns: 100, seed: 9 },
  );
});

test('a task message error never quotes the payload', () => {
  const secret = 'hunter2-SECRET-value';
  const v = TASK_MESSAGE_VERSION;
  const planted: [string, unknown][] = [
    ['in the version', { ...base, v: secret }],
    ['in an object version', { ...base, v: { password: secret } }],
    ['in runId', { v, ...base, runId: `${secret}/x` }],
    ['in runId, too long', { v, ...base, runId: secret.repeat(20) }],
    ['in taskId', { v, ...base, taskId: secret }],
    ['in an object taskId', { v, ...base, taskId: { password: secret } }],
    ['as an extra key', { v, ...base, [secret]: 1 }],
    ['as an extra value', { v, ...base, extra: secret }],
    ['as a specPath value', { v, ...base, specPath: `/specs/${secret}.yaml` }],
    ['as a pipeline value', { v, ...base, pipeline: secret }],
    ['in a range', { v, ...base, from: { [secret]: { password: secret } } }],
  ];
  for (const [where, message] of planted) {
    const error = invalid(bytes(message), where);
    assert.ok(!error.message.includes(secret), `${where}: the message quotes the payload: ${error.message}`);
    assert.ok(!error.message.includes('hunter2'), `${where}: the message quotes part of the payload`);
    assert.ok(!error.details.some((line) => line.includes('hunter2')), `${where}: the details quote the payload`);
  }
  const notJson = invalid(new TextEncoder().encode(`password=${secret}`), 'not JSON');
  assert.ok(!notJson.message.includes('hunter2'), 'a message that is not JSON is not quoted either');
});
