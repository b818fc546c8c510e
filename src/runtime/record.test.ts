// Records: no prototype, so field names that mean something to Object.prototype are only data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRecord } from './record.ts';

test('a field named __proto__ set on a new record is own data, not its prototype (prototype pollution attempt)', () => {
  const record = newRecord();
  record['__proto__'] = { admin: true };
  record['constructor'] = 'c';
  assert.equal(Object.getPrototypeOf(record), null);
  assert.deepEqual(Object.keys(record), ['__proto__', 'constructor']);
  assert.equal((record as { admin?: unknown }).admin, undefined);
  assert.equal(({} as { admin?: unknown }).admin, undefined);
  assert.equal(JSON.stringify(record), '{"__proto__":{"admin":true},"constructor":"c"}');
});

test('new records are distinct objects with nothing inherited', () => {
  const a = newRecord();
  const b = newRecord();
  a['x'] = 1;
  assert.equal(b['x'], undefined);
  assert.equal('toString' in a, false);
});
