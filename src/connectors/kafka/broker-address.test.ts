// Broker addresses: what parses, and which hosts count as this machine (the only ones plaintext may reach).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLoopbackHost, parseBroker } from './broker-address.ts';

const LOOPBACK: [string, boolean][] = [
  ['localhost', true],
  ['LOCALHOST', true],
  ['localhost.', true],
  ['kafka.localhost', true],
  ['127.0.0.1', true],
  ['127.255.0.9', true],
  ['::1', true],
  ['localhost.example.com', false], // a name that only starts like it: anyone can register it
  ['127.0.0.1.nip.io', false], // resolves to loopback today, to anything tomorrow
  ['10.0.0.1', false],
  ['0.0.0.0', false],
  ['128.0.0.1', false],
  ['kafka', false],
];

for (const [host, loopback] of LOOPBACK) {
  test(`isLoopbackHost('${host}') is ${loopback}`, () => assert.equal(isLoopbackHost(host), loopback));
}

test('parseBroker: host:port parses; IPv6 literals, missing or bad ports and odd hosts are refused with a reason', () => {
  assert.deepEqual(parseBroker('kafka-1.internal:9093'), { host: 'kafka-1.internal', port: 9093 });
  assert.deepEqual(parseBroker('127.0.0.1:1'), { host: '127.0.0.1', port: 1 });
  for (const bad of ['kafka', 'kafka:', 'kafka:0', 'kafka:65536', 'kafka:9o92', '[::1]:9092', '::1:9092', ':9092', 'ka fka:9092', 'user@kafka:9092']) {
    assert.equal(typeof parseBroker(bad), 'string', bad);
  }
});

test('property: parseBroker never throws, and whatever it accepts prints back to the same text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (text) => {
      const parsed = parseBroker(text);
      if (typeof parsed !== 'string') assert.equal(`${parsed.host}:${parsed.port}`, text.replace(/:0+(?=\d)/, ':'));
    }),
  );
  fc.assert(
    fc.property(fc.domain(), fc.integer({ min: 1, max: 65535 }), (host, port) => {
      assert.deepEqual(parseBroker(`${host}:${port}`), { host, port });
    }),
  );
});
