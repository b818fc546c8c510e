// The sequence number read from the front of an event's canonical text, without parsing the rest: it must agree
// with the text's own JSON on every event the log writes, and refuse anything that is not `{"seq":DIGITS,`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalEvent, seqOfCanonical } from './canonical-event.ts';
import type { AuditEvent } from './audit-event.ts';

const event: AuditEvent = { time: '2026-01-01T00:00:00.000Z', actor: { principal: 'os:me(1000)', method: 'os-user' }, action: 'secret.read', resource: 'secret:s', outcome: 'success' };

/** The rule, said plainly: `{"seq":`, one to sixteen decimal digits, a comma, and a safe integer. */
function reference(text: string): number | undefined {
  const match = /^\{"seq":(\d{1,16}),/.exec(text);
  if (match === null) return undefined;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

test('seqOfCanonical reads back the sequence number of any canonical event', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (seq) => {
      const text = canonicalEvent(seq, event);
      assert.equal(seqOfCanonical(text), seq);
      assert.equal(seqOfCanonical(text), (JSON.parse(text) as { seq: number }).seq);
    }),
    { numRuns: 2000 },
  );
});

test('seqOfCanonical agrees with the plain rule on mangled fronts (signs, exponents, spaces, long numbers, no comma)', () => {
  const front = fc.oneof(
    fc.string({ unit: fc.constantFrom('0', '1', '9', '-', '+', 'e', '.', ' ', ',', 'x', '"', '}'), maxLength: 24 }),
    fc.stringMatching(/^\d{1,20}$/),
  );
  fc.assert(
    fc.property(front, fc.constantFrom(',"time":"x"}', '', '}', ',', ' ,'), (middle, rest) => {
      const text = `{"seq":${middle}${rest}`;
      assert.equal(seqOfCanonical(text), reference(text), JSON.stringify(text));
    }),
    { numRuns: 5000 },
  );
  for (const text of ['{"seq":9007199254740991,', '{"seq":9007199254740992,', '{"seq":12345678901234567,', '{"seq":,', '{"seq":1e3,', '{"seq": 1,', '{"seq":-1,', '{"seq":0x1,', '{"seq":7}', '{ "seq":7,', '']) {
    assert.equal(seqOfCanonical(text), reference(text), text);
  }
  assert.equal(seqOfCanonical('{"seq":9007199254740991,'), Number.MAX_SAFE_INTEGER);
});
