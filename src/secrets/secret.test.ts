// A Secret never prints: string conversion, JSON, util.inspect, console formatting, pino and structuredClone
// all show [REDACTED] or nothing; reveal() gives the value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { format, inspect } from 'node:util';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Secret } from './secret.ts';

const VALUE = 'planted-secret-value-5d1c';

test('a planted secret does not print through toString, templates, JSON, inspect, format or pino', async () => {
  const secret = new Secret(VALUE, 'env://TOKEN');
  assert.equal(secret.reveal(), VALUE);
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
  // The lint rules refuse a Secret in a template or a +: these lines are the mistakes they guard against.
  // eslint-disable-next-line @typescript-eslint/restrict-template-expressions
  pino({}, sink).info({ secret, nested: { secret } }, `token ${secret}`);
  const outputs = [
    String(secret),
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions
    `${secret}`,
    // eslint-disable-next-line @typescript-eslint/restrict-plus-operands
    'x' + secret,
    JSON.stringify({ secret }),
    inspect(secret),
    inspect({ deep: { secret } }, { showHidden: true, depth: 10 }),
    format('%s %o %O %j', secret, secret, secret, secret),
    ...lines,
  ];
  for (const output of outputs) assert.ok(!output.includes(VALUE), output);
  assert.ok(outputs.every((o) => o.includes('[REDACTED]')));
  assert.deepEqual(Object.keys(secret), ['reference']);
  assert.ok(!JSON.stringify(structuredClone({ ...secret })).includes(VALUE));
});
