// How driver and server failures are classified (retry or not) and described (never quoting a value).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePostgresError, isTransientPostgresError } from './postgres-errors.ts';

test('failures: connection losses, terminations and timeouts are retryable; bad data, bad SQL and refused TLS are not', () => {
  const server = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  const cases: [string, unknown, boolean][] = [
    ['pg_terminate_backend', server('57P01', 'terminating connection due to administrator command'), true],
    ['connection failure', server('08006'), true],
    ['serialization failure', server('40001'), true],
    ['deadlock', server('40P01'), true],
    ['statement timeout', server('57014'), true],
    ['too many connections', server('53300'), true],
    ['socket reset', server('ECONNRESET'), true],
    ['server down', server('ECONNREFUSED'), true],
    ['driver: connection lost', new Error('Connection terminated unexpectedly'), true],
    ['driver: connect timeout', new Error('timeout exceeded when trying to connect'), true],
    ['bad value', server('22P02', 'invalid input syntax for type integer: "078-05-1120"'), false],
    ['unique violation', server('23505'), false],
    ['undefined table', server('42P01'), false],
    ['read-only', server('25006'), false],
    ['untrusted certificate', server('DEPTH_ZERO_SELF_SIGNED_CERT'), false],
    ['wrong password', server('28P01'), false],
  ];
  for (const [what, error, retryable] of cases) assert.equal(isTransientPostgresError(error), retryable, what);
  const described = describePostgresError(server('22P02', 'invalid input syntax for type integer: "078-05-1120"'));
  assert.ok(!described.includes('078-05-1120'), 'a data error is described without the value it quotes');
  assert.match(described, /22P02/);
  assert.match(describePostgresError(server('42P01', 'relation "x" does not exist')), /relation "x" does not exist/);
});
