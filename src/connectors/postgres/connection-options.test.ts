// Which hosts may be reached without TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost } from './connection-options.ts';

test('loopback hosts (the only ones allowed without TLS): localhost, 127.0.0.0/8, ::1, Unix sockets; nothing else', () => {
  for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '/var/run/postgresql']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['db.internal', '10.0.0.1', '192.168.1.1', '::ffff:127.0.0.1', 'localhost.example.com', '128.0.0.1', '0.0.0.0']) assert.equal(isLoopbackHost(host), false, host);
});
