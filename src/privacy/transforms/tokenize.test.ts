// The tokenize step: deterministic keyed tokens through a real run, reversible only with the key, planned as
// protection (a restricted field tokenized may reach an internal sink).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
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
