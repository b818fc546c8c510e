// Identifier quoting, checked against the real server as a property; relation names; the keyset statements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { identifierProblem, parseRelationName, quoteIdentifier, quoteRelation } from './identifiers.ts';
import { keysetStatements } from './keyset-query.ts';
import { serviceMissing } from '../../../test/support/services.ts';
import { LOCAL_POSTGRES } from '../../../test/support/postgres-scratch.ts';

const skip = await serviceMissing('postgresql');

/** Identifier characters: quotes, semicolons, comment markers, dollar quotes, backslashes, spaces and any Unicode. */
const hostile = fc.constantFrom('"', "'", ';', '-', '/', '*', '$', '\\', ' ', '\n', ')', '(', 'é', '🙂', 'x', 'A');
const identifiers = fc
  .string({ unit: fc.oneof(hostile, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 40 })
  .filter((name) => identifierProblem(name) === undefined);

test('SQL injection property: any name quoteIdentifier quotes comes back from PostgreSQL as that exact name, never as SQL', { skip }, async () => {
  const client = new pg.Client({ ...LOCAL_POSTGRES, application_name: 'sluice-test' });
  await client.connect();
  try {
    await fc.assert(
      fc.asyncProperty(identifiers, async (name) => {
        // As a column alias, the quoted name must name one column with exactly the given text.
        const result = await client.query({ text: `SELECT 1 AS ${quoteIdentifier(name)}`, values: [] });
        assert.deepEqual(result.fields.map((f) => f.name), [name]);
      }),
      { seed: 20261130, numRuns: 300 },
    );
  } finally {
    await client.end();
  }
});

test('quoteIdentifier refuses names PostgreSQL would alter: empty, with a NUL, or longer than 63 bytes', () => {
  for (const name of ['', 'a\0b', 'x'.repeat(64), 'é'.repeat(32)]) assert.throws(() => quoteIdentifier(name), TypeError, JSON.stringify(name));
  assert.equal(quoteIdentifier('x'.repeat(63)), `"${'x'.repeat(63)}"`);
  assert.equal(quoteIdentifier('x"; DROP TABLE y; --'), '"x""; DROP TABLE y; --"');
});

test('relation names: name or schema.name, quoted part by part; a third part is refused', () => {
  assert.deepEqual(parseRelationName('orders'), { name: 'orders' });
  assert.deepEqual(parseRelationName('sales.Orders'), { schema: 'sales', name: 'Orders' });
  assert.equal(quoteRelation(parseRelationName('sales.Orders')), '"sales"."Orders"');
  assert.throws(() => parseRelationName('a.b.c'), TypeError);
});

test('keyset statements: values only as parameters, every name quoted', () => {
  const { first, next } = keysetStatements({ from: '"s"."t"', select: '"a", "b"', order: ['updated at', 'id'] });
  assert.equal(first, 'SELECT "a", "b" FROM "s"."t" WHERE "updated at" IS NOT NULL AND "id" IS NOT NULL ORDER BY "updated at", "id" LIMIT $1');
  assert.equal(next, 'SELECT "a", "b" FROM "s"."t" WHERE "updated at" IS NOT NULL AND "id" IS NOT NULL AND ("updated at", "id") > ($1, $2) ORDER BY "updated at", "id" LIMIT $3');
});
