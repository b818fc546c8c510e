// The tokenize step: deterministic keyed tokens through a real run, reversible only with the key, planned as
// protection (a restricted field tokenized may reach an internal sink).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import fc from 'fast-check';
import { ComponentRegistry } from '../../spec/registry.ts';
import { validateSpec } from '../../spec/validate.ts';
import { fileOnlyLocator } from '../../spec/location.ts';
import { planPipeline } from '../../plan/plan.ts';
import { runPipeline } from '../../runtime/executor.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { tokenizeStep } from './tokenize.ts';
import { detokenize, openTokenizer } from '../../crypto/tokens.ts';
import { isSluiceError } from '../../errors.ts';
import { collectingSink, datasets, memorySource, reader, sinkRecords } from '../../../test/support/memory-components.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';

const registry = new ComponentRegistry([memorySource, collectingSink, tokenizeStep]);

function plan(steps: unknown[], clearance = 'internal') {
  const result = validateSpec(
    {
      pipeline: 'tok',
      source: { memory: { dataset: 'people' } },
      contract: { fields: { id: { type: 'string', class: 'internal' }, email: { type: 'string', class: 'restricted', pii: 'email' } } },
      steps,
      sinks: [{ collect: { name: 'out', clearance } }],
    },
    registry,
    fileOnlyLocator('tok.yaml'),
    tmpdir(),
  );
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

test('tokenize: the planner counts it as protection (restricted -> internal); without it the plan is refused', () => {
  assert.deepEqual(plan([{ tokenize: { fields: ['email'] } }]).findings, []);
  assert.deepEqual(plan([]).findings.map((f) => f.rule), ['SLC101']);
  const onPublic = plan([{ tokenize: { fields: ['email'] } }], 'public').findings.find((f) => f.field === 'email');
  assert.match(onPublic?.message ?? '', /protected by steps\[0\] tokenize, which still leaves it internal/);
});

test('tokenize through a run: same value, same token; tokens carry the prefix and reverse only with the key and domain', async () => {
  datasets.set('people', [
    { id: 'a', email: 'ada@example.com' },
    { id: 'b', email: 'grace@example.com' },
    { id: 'c', email: 'ada@example.com' },
  ]);
  const encryption = await testEncryption();
  reader.keys = encryption.keys;
  const store = new SqliteStateStore(':memory:');
  const result = await runPipeline({ plan: plan([{ tokenize: { fields: ['email'] } }]), store, stateDir: mkdtempSync(join(tmpdir(), 'sluice-tok-')), encryption, specHash: 'h', logger: pino({ level: 'silent' }) });
  assert.equal(result.run.totals.protectedFields['tokenized:email'], 3);
  const emails = sinkRecords('out').map((r) => String(r.email));
  assert.ok(emails.every((t) => /^tok_1_[A-Za-z0-9_-]+$/.test(t)));
  assert.equal(emails[0], emails[2], 'the same value gives the same token (joins still work)');
  assert.notEqual(emails[0], emails[1]);
  assert.ok(emails.every((t) => !t.includes('example.com')));
  assert.equal(await detokenize(emails[1] ?? '', encryption.keys, 'tokens', 'default'), 'grace@example.com');
  await assert.rejects(detokenize(emails[1] ?? '', encryption.keys, 'tokens', 'other-domain'), (e) => isSluiceError(e, 'SLUICE_TOKEN_INVALID'));
  const other = await testEncryption();
  await other.keys.ensure('tokens');
  await assert.rejects(detokenize(emails[1] ?? '', other.keys, 'tokens', 'default'), (e) => isSluiceError(e, 'SLUICE_TOKEN_INVALID'));
  await assert.rejects(detokenize('ada@example.com', encryption.keys, 'tokens', 'default'), (e) => isSluiceError(e, 'SLUICE_TOKEN_INVALID'));
  await store.close();
});

test('tokens: a tampered token is refused; after rotation old tokens still reverse and new ones carry the new version', async () => {
  const { keyring } = await testEncryption();
  const v1 = await openTokenizer(keyring, 'tokens', 'crm');
  const token = v1.tokenize('4000 0000 1234 5678');
  const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'AB' : 'AA');
  await assert.rejects(detokenize(tampered, keyring, 'tokens', 'crm'), (e) => isSluiceError(e, 'SLUICE_TOKEN_INVALID'));
  await keyring.rotate('tokens');
  const v2 = await openTokenizer(keyring, 'tokens', 'crm');
  assert.match(v2.tokenize('x'), /^tok_2_/);
  assert.equal(await detokenize(token, keyring, 'tokens', 'crm'), '4000 0000 1234 5678');
});

test('tokens of a batch made together equal tokens made one by one, for any text (non-ASCII, lone surrogates, repeats, empty, long, some cached) and reverse to it', async () => {
  const { keyring } = await testEncryption();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ maxLength: 300 }), fc.constantFrom('', 'ada@example.com')), { maxLength: 30 }),
      async (values) => {
        // A tokenizer of its own for each side, so neither answers from the other's cache. The batch side has
        // every third value cached already, so cached and new values mix in one batch.
        const batchSide = await openTokenizer(keyring, 'tokens', 'crm');
        values.forEach((value, i) => i % 3 === 0 && batchSide.tokenize(value));
        const together = batchSide.tokenizeAll(values);
        const alone = await openTokenizer(keyring, 'tokens', 'crm');
        assert.deepEqual(together, values.map((value) => alone.tokenize(value)));
        // Each token opens under noble's aessiv to its value, so each is aessiv's own output for it. Lone
        // surrogates do not survive UTF-8 (they become U+FFFD, as in every UTF-8 encoder), so compare encoded.
        for (const [i, value] of values.entries()) assert.equal(await detokenize(together[i]!, keyring, 'tokens', 'crm'), Buffer.from(value, 'utf8').toString('utf8'));
      },
    ),
    { numRuns: 60 },
  );
});


test('tokens stay the same while the cache goes from caching every token to sampling (a column of distinct values) and back (a hot value)', async () => {
  const { keyring } = await testEncryption();
  const tokenizer = await openTokenizer(keyring, 'tokens', 'crm');
  const oracle = await openTokenizer(keyring, 'tokens', 'crm');
  // 12,000 distinct values: no hits, so past the first 4,096 lookups only some new tokens are cached.
  const distinct = Array.from({ length: 12_000 }, (_, i) => `customer-${i}@example.com`);
  const first = tokenizer.tokenizeAll(distinct);
  // Then batches where one value recurs: it gets in after a few sightings, and the hits bring full caching back.
  const batches = Array.from({ length: 4 }, (_, b) => Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 'hot@example.com' : `b${b}-${i}@example.com`)));
  const later = batches.map((batch) => tokenizer.tokenizeAll(batch));
  const again = tokenizer.tokenizeAll(distinct.slice(0, 500));
  for (const [values, tokens] of [[distinct, first], ...batches.map((batch, b) => [batch, later[b]!] as const), [distinct.slice(0, 500), again]] as const) {
    assert.deepEqual(tokens, values.map((value) => oracle.tokenize(value)));
  }
});
test('the tokenize step gives each value its token when records reach apply in another order than prepare saw them, and tokenizes non-string values as JSON', async () => {
  const { keyring } = await testEncryption();
  const instance = tokenizeStep.create(tokenizeStep.spec.parse({ fields: ['email', 'id'] }), { baseDir: tmpdir(), pipeline: 'tok' });
  await instance.open?.({ keys: keyring, subjects: undefined as never });
  const records = [
    { id: 1, email: 'ada@example.com' },
    { id: 2, email: null },
    { id: 3, email: 'grace@example.com' },
  ];
  await instance.prepare?.(records.map((r) => ({ ...r })));
  const alone = await openTokenizer(keyring, 'tokens', 'default');
  for (const record of [records[2]!, records[0]!, records[1]!]) {
    const out = instance.apply({ ...record });
    assert.equal(out.id, alone.tokenize(String(record.id)));
    assert.equal(out.email, record.email === null ? null : alone.tokenize(record.email));
  }
});
