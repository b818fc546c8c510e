// Reading datasets through the API: a real run writes sealed objects; callers read them back with every field
// above their clearance masked, tokens turned back only with data:detokenize (here through a just-in-time
// grant), and every read audited. A tampered object releases nothing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPlane } from './support/control-plane-harness.ts';
import type { TestPlane } from './support/control-plane-harness.ts';
import { customersSpec, runCli } from './support/cli-harness.ts';
import { writeCustomers } from './support/generate-customers.ts';
import { Keyring } from '../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider, loadLocalRootKey } from '../src/crypto/providers/local-provider.ts';
import { KeyringDatasetReader } from '../src/server/keyring-dataset-reader.ts';
import { eraseSubject } from '../src/crypto/subjects/subject-keys.ts';
import type { DatasetReader } from '../src/server/keyring-dataset-reader.ts';

/** The customers pipeline with email tokenized and card numbers masked, into one confidential file sink. */
const spec = (out: string) =>
  customersSpec('crm', 100)
    .replace('  - mask: { fields: [card_number, email], keepLast: 4 }', '  - tokenize: { fields: [email] }\n  - mask: { fields: [card_number], keepLast: 4 }')
    .replace('  - file: { dir: out, clearance: confidential }', `  - file: { dir: ${out}, clearance: confidential, name: warehouse }`);

describe('control plane: datasets', () => {
  let plane: TestPlane;
  let keyring: Keyring;
  let sourceEmails: string[];
  let outDir: string;
  before(async () => {
    // A reader whose keyring is opened once the run below has created the root key.
    const reader: DatasetReader = {
      lines: (location, expected) => new KeyringDatasetReader(keyring, plane.store).lines(location, expected),
      detokenize: (token, key, domain) => new KeyringDatasetReader(keyring, plane.store).detokenize(token, key, domain),
      openSubject: (value, key) => new KeyringDatasetReader(keyring, plane.store).openSubject(value, key),
    };
    plane = await startTestPlane({ datasets: reader, pipelines: { marketing: ['leads'] } });
    const folder = join(plane.dir, 'pipelines', 'sales');
    await mkdir(folder, { recursive: true });
    // Outside the state folder, which holds the quarantine (the two may not overlap).
    outDir = await mkdtemp(join(tmpdir(), 'sluice-datasets-out-'));
    await writeFile(join(folder, 'crm.yaml'), spec(outDir));
    await writeCustomers(join(folder, 'customers.jsonl'), 30);
    sourceEmails = (await readFile(join(folder, 'customers.jsonl'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { email: string }).email);
    // The run, as `sluice run` makes it, into the plane's own state folder.
    const ran = await runCli(folder, '--state-dir', plane.dir, 'run', 'crm.yaml');
    assert.equal(ran.code, 0, ran.stderr);
    keyring = new Keyring(plane.store, new LocalKeyProvider(await loadLocalRootKey(join(plane.dir, 'master.key'))));
  });
  after(async () => {
    keyring?.close();
    await plane?.close();
  });

  test('the list shows each sink of visible pipelines with its field classes; other namespaces are absent', async () => {
    const { key } = await plane.apiKey('analyst', { namespace: 'sales', clearance: 'internal' });
    const listed = await plane.call('GET', '/api/v1/datasets', { key });
    assert.equal(listed.status, 200, listed.text);
    const crm = listed.body.datasets.find((d: { pipeline: string }) => d.pipeline === 'crm');
    assert.equal(crm.sink, 'warehouse');
    assert.equal(crm.fields.find((f: { name: string }) => f.name === 'email').revealable, 'tokens');
    assert.ok(listed.body.datasets.every((d: { namespace: string }) => d.namespace === 'sales'));
  });

  test('clearance caps plaintext: an internal analyst gets confidential fields masked; a confidential one sees them', async () => {
    const internal = await plane.apiKey('analyst', { namespace: 'sales', clearance: 'internal' });
    const low = await plane.call('GET', '/api/v1/datasets/sales/crm/warehouse/records?limit=5', { key: internal.key });
    assert.equal(low.status, 200, low.text);
    assert.equal(low.body.records.length, 5);
    assert.deepEqual(low.body.masked, ['full_name', 'phone']);
    for (const record of low.body.records) {
      assert.equal(record.full_name, '[masked]');
      assert.match(record.email, /^tok_/, 'tokens are internal: shown as tokens');
      assert.match(record.card_number, /\d{4}$/);
    }
    const confidential = await plane.apiKey('analyst', { namespace: 'sales', clearance: 'confidential' });
    const high = await plane.call('GET', '/api/v1/datasets/sales/crm/warehouse/records?limit=5', { key: confidential.key });
    assert.deepEqual(high.body.masked, []);
    assert.notEqual(high.body.records[0].full_name, '[masked]');
    assert.ok(!high.text.includes(sourceEmails[0]!), 'no plaintext email without a reveal');
    const read = (await plane.store.queryAuditEvents({ action: 'data.read', limit: 100 })).filter((e) => e.actor.principal === internal.principal);
    assert.equal(read.at(-1)?.details?.masked, 2);
    assert.equal(read.at(-1)?.details?.records, 5);
  });

  test('paging: offset and nextOffset walk every record once', async () => {
    const { key } = await plane.apiKey('analyst', { namespace: 'sales', clearance: 'confidential' });
    const ids: string[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page: Awaited<ReturnType<TestPlane['call']>> = await plane.call('GET', `/api/v1/datasets/sales/crm/warehouse/records?limit=7&offset=${offset}`, { key });
      ids.push(...page.body.records.map((r: { customer_id: string }) => r.customer_id));
      offset = page.body.nextOffset;
    }
    assert.equal(ids.length, 30);
    assert.equal(new Set(ids).size, 30);
  });

  test('reveal=tokens without data:detokenize is refused (403); with an approved grant and restricted clearance it turns tokens back, audited', async () => {
    const analyst = await plane.apiKey('analyst', { namespace: 'sales', clearance: 'restricted' });
    const refused = await plane.call('GET', '/api/v1/datasets/sales/crm/warehouse/records?limit=3&reveal=tokens', { key: analyst.key });
    assert.equal(refused.status, 403);
    assert.ok(!refused.text.includes(sourceEmails[0]!));
    const approver = await plane.apiKey('admin');
    const asked = await plane.call('POST', '/api/v1/grants', { key: analyst.key, body: { permission: 'data:detokenize', namespace: 'sales', reason: 'DSAR 123', durationMinutes: 10 } });
    await plane.call('POST', `/api/v1/grants/${asked.body.id}/approve`, { key: approver.key });
    const revealed = await plane.call('GET', '/api/v1/datasets/sales/crm/warehouse/records?limit=3&reveal=tokens', { key: analyst.key });
    assert.equal(revealed.status, 200, revealed.text);
    assert.deepEqual(revealed.body.records.map((r: { email: string }) => r.email), sourceEmails.slice(0, 3));
    const detokenized = (await plane.store.queryAuditEvents({ action: 'data.detokenize', limit: 10 })).at(-1);
    assert.equal(detokenized?.actor.principal, analyst.principal);
    assert.equal(detokenized?.details?.count, 3);
    assert.match(String(detokenized?.details?.via), /^grant:/);
  });

  test('a grant does not raise clearance: with data:detokenize but confidential clearance, restricted emails stay tokens', async () => {
    const analyst = await plane.apiKey('analyst', { namespace: 'sales', clearance: 'confidential' });
    const approver = await plane.apiKey('admin');
    const asked = await plane.call('POST', '/api/v1/grants', { key: analyst.key, body: { permission: 'data:detokenize', namespace: 'sales', reason: 'try', durationMinutes: 10 } });
    await plane.call('POST', `/api/v1/grants/${asked.body.id}/approve`, { key: approver.key });
    const response = await plane.call('GET', '/api/v1/datasets/sales/crm/warehouse/records?limit=3&reveal=tokens', { key: analyst.key });
    assert.equal(response.status, 200);
    assert.ok(response.body.records.every((r: { email: string }) => r.email.startsWith('tok_')));
  });

  test('IDOR: a reader of marketing gets 404 for the sales dataset, like a missing one; a viewer holds no datasets:read (403)', async () => {
    const other = await plane.apiKey('analyst', { namespace: 'marketing', clearance: 'restricted' });
    const response = await plane.call('GET', '/api/v1/datasets/sales/crm/warehouse/records', { key: other.key });
    const missing = await plane.call('GET', '/api/v1/datasets/marketing/nope/warehouse/records', { key: other.key });
    assert.equal(response.status, 404);
    assert.deepEqual({ ...response.body.error, requestId: '' }, { ...missing.body.error, requestId: '' });
    const { key: viewer } = await plane.apiKey('viewer');
    assert.equal((await plane.call('GET', '/api/v1/datasets', { key: viewer })).status, 403);
  });

  test('erasure through the API: an unknown dataset key is 404 (and its attempt recorded as a failure); a known one gives a receipt without the subject id, audited first', async () => {
    plane.plane.eraseSubject = (subject, keyId) => eraseSubject(subject, plane.store, keyring, keyId);
    const { key } = await plane.apiKey('admin');
    assert.equal((await plane.call('POST', '/api/v1/subjects/erase', { key, body: { subject: 'cust-000001', key: 'nope' } })).status, 404);
    const attempt = (await plane.store.queryAuditEvents({ action: 'subject.erase', limit: 10 })).at(-1);
    assert.deepEqual([attempt?.outcome, attempt?.reason], ['failure', 'SLUICE_KEY_UNKNOWN']);
    await keyring.create('subjects');
    const erased = await plane.call('POST', '/api/v1/subjects/erase', { key, body: { subject: 'cust-000001' } });
    assert.equal(erased.status, 200, erased.text);
    assert.equal(erased.body.keyId, 'subjects');
    // On record before the keys went, under the request's id.
    const event = (await plane.store.queryAuditEvents({ action: 'subject.erase', limit: 10 })).at(-1);
    assert.equal(event?.requestId, erased.headers.get('x-request-id'));
    assert.equal(event?.outcome, 'success');
    assert.ok(!JSON.stringify(await plane.store.queryAuditEvents({ limit: 10_000 })).includes('cust-000001'), 'the subject id is in no audit event');
  });

  test('audit export: JSON Lines with sequence numbers and chain hashes, and ECS documents', async () => {
    const { key } = await plane.apiKey('auditor');
    const lines = await plane.call('GET', '/api/v1/audit/export?limit=5', { key });
    assert.equal(lines.status, 200);
    assert.match(lines.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const rows = lines.text.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; chain: string });
    assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3, 4, 5]);
    assert.ok(rows.every((r) => Buffer.from(r.chain, 'base64').length === 32));
    const ecs = await plane.call('GET', '/api/v1/audit/export?format=ecs&afterSeq=2&limit=2', { key });
    const docs = ecs.text.trim().split('\n').map((l) => JSON.parse(l) as { ecs: { version: string } });
    assert.equal(docs.length, 2);
    assert.ok(docs[0]?.ecs.version);
    assert.equal((await plane.call('GET', '/api/v1/audit/export', { key: (await plane.apiKey('analyst')).key })).status, 403);
  });

  test('a tampered object releases no record: the read fails with SLUICE_DECRYPT_FAILED', async () => {
    const crmDir = join(outDir, 'crm');
    const [runDir] = await readdir(crmDir);
    const [part] = (await readdir(join(crmDir, runDir!))).filter((n) => n.endsWith('.sluice'));
    const file = join(crmDir, runDir!, part!);
    const bytes = await readFile(file);
    bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0x01;
    await writeFile(file, bytes);
    const { key } = await plane.apiKey('analyst', { namespace: 'sales', clearance: 'restricted' });
    const response = await plane.call('GET', '/api/v1/datasets/sales/crm/warehouse/records', { key });
    assert.equal(response.body.error?.code, 'SLUICE_DECRYPT_FAILED', response.text);
    assert.equal(response.body.records, undefined);
  });

  test('a spec changed after a run: its old objects are not read through the new plan (the old run may hold plaintext the new spec protects)', async () => {
    const { key } = await plane.apiKey('analyst', { namespace: 'sales', clearance: 'internal' });
    const [run] = await plane.store.listRuns({ pipeline: 'crm' });
    // Tokenize full_name too: under the new plan it would be an internal field, shown unmasked.
    await writeFile(join(plane.dir, 'pipelines', 'sales', 'crm.yaml'), spec(outDir).replace('tokenize: { fields: [email] }', 'tokenize: { fields: [email, full_name] }'));
    const latest = await plane.call('GET', '/api/v1/datasets/sales/crm/warehouse/records', { key });
    assert.equal(latest.status, 404, latest.text);
    const pinned = await plane.call('GET', `/api/v1/datasets/sales/crm/warehouse/records?run=${run!.id}`, { key });
    assert.equal(pinned.status, 409, pinned.text);
    assert.ok(!pinned.text.includes('"records"'));
  });
});
