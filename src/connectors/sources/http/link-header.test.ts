// The RFC 8288 Link header parser: several links, quoted and token rel values, several relation types, junk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseLinkHeader } from './link-header.ts';

test('Link headers: the target of each relation, the first one winning', () => {
  const table: [header: string | string[] | undefined, expected: Record<string, string>][] = [
    ['<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"', { next: 'https://api.github.com/x?page=2', last: 'https://api.github.com/x?page=9' }],
    ['</items?cursor=b>;rel=next', { next: '/items?cursor=b' }],
    ['<a>; title="x, y; z"; rel="prev next"', { prev: 'a', next: 'a' }],
    ['<a>; REL="Next"', { next: 'a' }],
    ['<a>; rel="next"; rel="last"', { next: 'a' }],
    ['<a>; rel=next, <b>; rel=next', { next: 'a' }],
    [['<a>; rel=prev', '<b>; rel=next'], { prev: 'a', next: 'b' }],
    ['<a>; rel="x\\"y"', { 'x"y': 'a' }],
    ['', {}],
    [undefined, {}],
    ['garbage, <a>; rel=next', {}],
    ['<unterminated; rel=next', {}],
  ];
  for (const [header, expected] of table) assert.deepEqual({ ...parseLinkHeader(header) }, expected, String(header));
});

test('property: the parser ends on any input without throwing', () => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('<', '>', ';', ',', '"', '\\', '=', ' ', 'r', 'e', 'l', 'n', 'x', 't') }), (text) => {
    parseLinkHeader(text);
  }));
});
