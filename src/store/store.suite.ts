// The state store contract: every implementation (SQLite here, PostgreSQL in cluster mode) must pass it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore } from './state-store.ts';
import { emptyTotals } from './state-store.ts';
import { isSluiceError } from '../errors.ts';

/** Registers the contract tests for a store made by `open` (a fresh, empty store each call). */
export function stateStoreSuite(name: string, open: () => Promise<StateStore>): void {
  describe(`state store contract: ${name}`, () => {
    let store: StateStore;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
    });

    test('a new run is running, with empty totals and one attempt', async () => {
      await store.createRun({ id: 'r1', pipeline: 'p', specHash: 'h1', startedAt: '2026-01-01T00:00:00.000Z', pid: 42 });
      const run = await store.getRun('r1');
      assert.equal(run?.status, 'running');
      assert.equal(run?.attempts, 1);
      assert.deepEqual(run?.totals, emptyTotals());
      assert.equal(await store.getRun('missing'), undefined);
    });

    test('checkpoints commit in order and the last one is returned with its totals', async () => {
      assert.equal(await store.lastCheckpoint('r1'), undefined);
      const totals = { ...emptyTotals(), recordsIn: 10, batches: 1, recordsOut: { s: 9 } };
      await store.commitCheckpoint({ runId: 'r1', batch: 1, position: { offset: 100, line: 10 }, totals });
      await store.commitCheckpoint({ runId: 'r1', batch: 2, position: { offset: 200, line: 20 }, totals: { ...totals, recordsIn: 20, batches: 2 } });
      const last = await store.lastCheckpoint('r1');
      assert.equal(last?.batch, 2);
      assert.deepEqual(last?.position, { offset: 200, line: 20 });
      assert.equal(last?.totals.recordsIn, 20);
      assert.equal((await store.getRun('r1'))?.totals.recordsIn, 20);
    });

    test('committing a batch twice or out of order is refused (the denial path)', async () => {
      for (const batch of [2, 4]) {
        await assert.rejects(
          store.commitCheckpoint({ runId: 'r1', batch, position: {}, totals: emptyTotals() }),
          (error) => isSluiceError(error, 'SLUICE_STATE_STORE'),
        );
      }
      assert.equal((await store.lastCheckpoint('r1'))?.batch, 2);
    });

    test('an unfinished run is found, resumed with another attempt, and no longer found once finished', async () => {
      assert.equal((await store.findUnfinished('p'))?.id, 'r1');
      assert.equal(await store.findUnfinished('other'), undefined);
      assert.equal(await store.resumeRun('r1', 43, { status: 'running', pid: 42 }), true);
      assert.equal(await store.resumeRun('r1', 44, { status: 'running', pid: 42 }), false, 'a second taker loses');
      const resumed = await store.getRun('r1');
      assert.equal(resumed?.attempts, 2);
      assert.equal(resumed?.pid, 43);
      await store.finishRun('r1', { status: 'succeeded', finishedAt: '2026-01-01T01:00:00.000Z', totals: { ...emptyTotals(), recordsIn: 20 } });
      assert.equal(await store.findUnfinished('p'), undefined);
      const done = await store.getRun('r1');
      assert.equal(done?.status, 'succeeded');
      assert.equal(done?.finishedAt, '2026-01-01T01:00:00.000Z');
    });

    test('a second running run of the same pipeline is refused (two processes starting together)', async () => {
      await store.createRun({ id: 'ra', pipeline: 'solo', specHash: 'h', startedAt: '2026-01-01T00:00:00.000Z', pid: 1 });
      await assert.rejects(
        store.createRun({ id: 'rb', pipeline: 'solo', specHash: 'h', startedAt: '2026-01-01T00:00:01.000Z', pid: 2 }),
        (error) => isSluiceError(error, 'SLUICE_RUN_LOCKED'),
      );
      await store.finishRun('ra', { status: 'succeeded', finishedAt: '2026-01-01T00:01:00.000Z', totals: emptyTotals() });
      await store.createRun({ id: 'rc', pipeline: 'solo', specHash: 'h', startedAt: '2026-01-01T00:02:00.000Z', pid: 2 });
      await store.finishRun('rc', { status: 'succeeded', finishedAt: '2026-01-01T00:03:00.000Z', totals: emptyTotals() });
    });

    test('a failed run is unfinished and keeps its error', async () => {
      await store.createRun({ id: 'r2', pipeline: 'p', specHash: 'h1', startedAt: '2026-01-02T00:00:00.000Z', pid: 44 });
      await store.finishRun('r2', { status: 'failed', finishedAt: '2026-01-02T00:01:00.000Z', totals: emptyTotals(), error: 'disk full' });
      const unfinished = await store.findUnfinished('p');
      assert.equal(unfinished?.id, 'r2');
      assert.equal(unfinished?.error, 'disk full');
    });

    test('key versions: a new version becomes primary, the old one active; destroying erases the wrapped material', async () => {
      const base = { provider: 'local', createdAt: '2026-01-01T00:00:00.000Z' };
      await store.addKeyVersion({ keyId: 'k', version: 1, wrapped: Buffer.from('w1'), rotationDays: 90, ...base });
      await store.addKeyVersion({ keyId: 'k', version: 2, wrapped: Buffer.from('w2'), ...base });
      await store.addKeyVersion({ keyId: 'other', version: 1, wrapped: Buffer.from('o1'), ...base });
      const versions = await store.listKeyVersions('k');
      assert.deepEqual(versions.map((v) => [v.version, v.state, v.wrapped.toString()]), [[1, 'active', 'w1'], [2, 'primary', 'w2']]);
      assert.equal(versions[0]?.rotationDays, 90);
      assert.equal((await store.listKeyVersions()).length, 3);
      await store.destroyKeyVersion('k', 1);
      const [destroyed] = await store.listKeyVersions('k');
      assert.equal(destroyed?.state, 'destroyed');
      assert.equal(destroyed?.wrapped.length, 0);
      await assert.rejects(store.destroyKeyVersion('k', 9), (error) => isSluiceError(error, 'SLUICE_KEY_UNKNOWN'));
      await assert.rejects(store.addKeyVersion({ keyId: 'k', version: 2, wrapped: Buffer.from('again'), ...base }), 'a version is never overwritten');
    });

    test('objects committed with a checkpoint are indexed by key version; rewrap moves them; forgetting removes them', async () => {
      await store.createRun({ id: 'ro', pipeline: 'objects', specHash: 'h', startedAt: '2026-01-04T00:00:00.000Z', pid: 1 });
      const objects = [1, 2, 3].map((n) => ({ location: `file:/out/part-${n}`, runId: 'ro', keyId: 'k', keyVersion: n === 3 ? 2 : 1 }));
      await store.commitCheckpoint({ runId: 'ro', batch: 1, position: {}, totals: emptyTotals(), objects });
      assert.deepEqual((await store.listObjects({ keyId: 'k', keyVersion: 1 })).map((o) => o.location), ['file:/out/part-1', 'file:/out/part-2']);
      assert.deepEqual((await store.listObjects({ runId: 'ro' })).map((o) => o.location), ['file:/out/part-1', 'file:/out/part-2', 'file:/out/part-3']);
      assert.deepEqual(await store.listObjects({ runId: 'another-run' }), []);
      await store.updateObjectKey('file:/out/part-1', 2);
      assert.equal((await store.listObjects({ keyId: 'k', keyVersion: 2 })).length, 2);
      await store.forgetObjects({ locations: ['file:/out/part-2'] });
      assert.deepEqual((await store.listObjects({ keyId: 'k', keyVersion: 1 })).map((o) => o.location), []);
      await store.forgetObjects({ runId: 'ro' });
      assert.deepEqual(await store.listObjects({ keyId: 'k' }), []);
      await store.finishRun('ro', { status: 'succeeded', finishedAt: '2026-01-04T00:01:00.000Z', totals: emptyTotals() });
    });

    test('runs are listed newest first, by pipeline and with a limit', async () => {
      await store.createRun({ id: 'r3', pipeline: 'q', specHash: 'h2', startedAt: '2026-01-03T00:00:00.000Z', pid: 45 });
      // Newest first; runs that started at the same time, last created first.
      assert.deepEqual((await store.listRuns()).map((r) => r.id), ['ro', 'r3', 'r2', 'rc', 'ra', 'r1']);
      assert.deepEqual((await store.listRuns({ pipeline: 'p' })).map((r) => r.id), ['r2', 'r1']);
      assert.deepEqual((await store.listRuns({ limit: 1 })).map((r) => r.id), ['ro']);
    });

    test('the last successful position skips successful runs that committed nothing and runs that failed, however many', async () => {
      const at = (minute: number) => `2026-02-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
      assert.equal(await store.lastSucceededPosition('inc'), undefined);
      await store.createRun({ id: 'i1', pipeline: 'inc', specHash: 'h', startedAt: at(0), pid: 1 });
      await store.commitCheckpoint({ runId: 'i1', batch: 1, position: { after: 'a' }, totals: emptyTotals() });
      await store.commitCheckpoint({ runId: 'i1', batch: 2, position: { after: 'b' }, totals: emptyTotals() });
      await store.finishRun('i1', { status: 'succeeded', finishedAt: at(1), totals: emptyTotals() });
      for (let i = 2; i < 40; i++) {
        await store.createRun({ id: `i${i}`, pipeline: 'inc', specHash: 'h', startedAt: at(i), pid: 1 });
        await store.finishRun(`i${i}`, { status: 'succeeded', finishedAt: at(i), totals: emptyTotals() });
      }
      await store.createRun({ id: 'i40', pipeline: 'inc', specHash: 'h', startedAt: at(40), pid: 1 });
      await store.commitCheckpoint({ runId: 'i40', batch: 1, position: { after: 'z' }, totals: emptyTotals() });
      await store.finishRun('i40', { status: 'failed', finishedAt: at(41), totals: emptyTotals(), error: 'x' });
      assert.deepEqual(await store.lastSucceededPosition('inc'), { after: 'b' });
      assert.equal(await store.lastSucceededPosition('other'), undefined);
    });

    test('secrets: created once, replaced only from the version read (two rotations never overwrite each other)', async () => {
      const record = { name: 'crm/token', version: 1, keyId: 'secrets', keyVersion: 1, sealed: Buffer.from('sealed-1'), createdAt: '2026-02-01T00:00:00.000Z', rotatedAt: '2026-02-01T00:00:00.000Z', maxAgeDays: 90 };
      assert.equal(await store.putSecret(record, undefined), true);
      assert.equal(await store.putSecret(record, undefined), false);
      const rotated = { ...record, version: 2, sealed: Buffer.from('sealed-2'), rotatedAt: '2026-03-01T00:00:00.000Z' };
      assert.equal(await store.putSecret(rotated, 1), true);
      assert.equal(await store.putSecret({ ...rotated, version: 3 }, 1), false);
      await store.markSecretRead('crm/token', '2026-03-02T00:00:00.000Z');
      const got = await store.getSecret('crm/token');
      assert.deepEqual({ ...got, sealed: got?.sealed.toString() }, { ...rotated, sealed: 'sealed-2', lastReadAt: '2026-03-02T00:00:00.000Z' });
      assert.equal(await store.getSecret('absent'), undefined);
    });

    test('secrets: listed by name, counted by key version, resealed, deleted', async () => {
      await store.putSecret({ name: 'a/first', version: 1, keyId: 'secrets', keyVersion: 1, sealed: Buffer.from('x'), createdAt: '2026-02-01T00:00:00.000Z', rotatedAt: '2026-02-01T00:00:00.000Z' }, undefined);
      assert.deepEqual((await store.listSecrets()).map((r) => r.name), ['a/first', 'crm/token']);
      assert.equal(await store.countSecrets('secrets', 1), 2);
      assert.equal(await store.resealSecret('a/first', 1, 2, Buffer.from('y')), true);
      assert.equal(await store.resealSecret('a/first', 7, 2, Buffer.from('z')), false);
      assert.equal(await store.countSecrets('secrets', 1), 1);
      assert.equal((await store.getSecret('a/first'))?.sealed.toString(), 'y');
      assert.equal(await store.deleteSecret('a/first'), true);
      assert.equal(await store.deleteSecret('a/first'), false);
      assert.equal(await store.countSecrets('secrets', 2), 0);
    });

    test('audit rows append only at the head they were built on (two writers never interleave), with their nodes', async () => {
      assert.deepEqual(await store.auditHead(), { size: 0, chain: Buffer.alloc(32) });
      const row = (seq: number, action: 'secret.read' | 'secret.create', principal: string, time: string) => ({
        seq,
        time,
        action,
        principal,
        resource: `secret:${seq}`,
        outcome: 'success' as const,
        event: JSON.stringify({ seq, time, action }),
        leaf: Buffer.alloc(32, seq),
        chain: Buffer.alloc(32, 100 + seq),
      });
      assert.equal(await store.appendAuditRows(0, [row(1, 'secret.create', 'os:a(1)', '2026-02-01T00:00:00.000Z'), row(2, 'secret.read', 'os:b(2)', '2026-02-01T00:00:01.000Z')], [{ level: 8, index: 0, hash: Buffer.alloc(32, 7) }]), true);
      assert.equal(await store.appendAuditRows(0, [row(1, 'secret.read', 'os:c(3)', '2026-02-01T00:00:02.000Z')], []), false, 'a stale head is refused');
      assert.equal(await store.appendAuditRows(2, [row(3, 'secret.read', 'os:a(1)', '2026-02-01T00:00:03.000Z')], []), true);
      assert.deepEqual(await store.auditHead(), { size: 3, chain: Buffer.alloc(32, 103) });
      assert.deepEqual((await store.readAuditRows(2, 10)).map((r) => r.seq), [2, 3]);
      assert.ok((await store.readAuditRows(1, 1))[0]?.leaf.equals(Buffer.alloc(32, 1)));
      assert.ok((await store.getAuditNode(8, 0))?.equals(Buffer.alloc(32, 7)));
      assert.equal(await store.getAuditNode(8, 1), undefined);
      assert.deepEqual((await store.queryAuditEvents({ action: 'secret.read' })).map((e) => e.seq), [2, 3]);
      assert.deepEqual((await store.queryAuditEvents({ principal: 'os:a(1)', afterSeq: 1 })).map((e) => e.seq), [3]);
      assert.deepEqual((await store.queryAuditEvents({ from: '2026-02-01T00:00:01.000Z', to: '2026-02-01T00:00:02.000Z' })).map((e) => e.seq), [2]);
      assert.deepEqual((await store.queryAuditEvents({ limit: 2 })).map((e) => e.seq), [1, 2]);
      await store.putAuditCheckpoint({ treeSize: 3, root: Buffer.alloc(32, 9), time: '2026-02-01T00:00:04.000Z', note: 'note' });
      await store.putAuditCheckpoint({ treeSize: 2, root: Buffer.alloc(32, 8), time: '2026-02-01T00:00:02.000Z', note: 'note2' });
      assert.deepEqual((await store.listAuditCheckpoints()).map((c) => c.treeSize), [2, 3]);
      assert.equal((await store.latestAuditCheckpoint())?.note, 'note');
    });

    test('API keys are kept by id with their hash; revoking works once', async () => {
      const key = { id: 'k1', name: 'ci', hash: Buffer.alloc(32, 3), scopes: ['runs:read' as const], createdAt: '2026-03-01T00:00:00.000Z', createdBy: 'os:a(1)', expiresAt: '2026-04-01T00:00:00.000Z' };
      await store.access.createApiKey(key);
      await assert.rejects(store.access.createApiKey(key));
      const got = await store.access.getApiKey('k1');
      assert.ok(got?.hash.equals(key.hash));
      assert.deepEqual(got?.scopes, ['runs:read']);
      assert.equal(got?.expiresAt, key.expiresAt);
      assert.equal(got?.revokedAt, undefined);
      assert.equal(await store.access.getApiKey('missing'), undefined);
      assert.equal(await store.access.revokeApiKey('k1', '2026-03-02T00:00:00.000Z'), true);
      assert.equal(await store.access.revokeApiKey('k1', '2026-03-03T00:00:00.000Z'), false);
      assert.equal((await store.access.getApiKey('k1'))?.revokedAt, '2026-03-02T00:00:00.000Z');
      assert.deepEqual((await store.access.listApiKeys()).map((k) => k.id), ['k1']);
    });

    test('role bindings are unique per principal, role and namespace; binding again changes the clearance', async () => {
      const binding = { principal: 'apikey:k1', role: 'analyst', namespace: 'sales', clearance: 'internal' as const, createdAt: '2026-03-01T00:00:00.000Z', createdBy: 'os:a(1)' };
      await store.access.bindRole(binding);
      await store.access.bindRole({ ...binding, clearance: 'confidential' });
      await store.access.bindRole({ ...binding, principal: 'apikey:k2', role: 'viewer', namespace: '*' });
      assert.deepEqual((await store.access.listBindings('apikey:k1')).map((b) => [b.role, b.namespace, b.clearance]), [['analyst', 'sales', 'confidential']]);
      assert.equal((await store.access.listBindings()).length, 2);
      assert.equal(await store.access.unbindRole('apikey:k1', 'analyst', 'sales'), true);
      assert.equal(await store.access.unbindRole('apikey:k1', 'analyst', 'sales'), false);
      assert.deepEqual(await store.access.listBindings('apikey:k1'), []);
    });

    test('a grant is decided once: a second decision from the old status is refused', async () => {
      const grant = { id: 'g1', principal: 'apikey:k1', permission: 'data:decrypt' as const, namespace: 'sales', reason: 'INC-1', durationSeconds: 3600, status: 'pending' as const, requestedAt: '2026-03-01T00:00:00.000Z' };
      await store.access.createGrant(grant);
      await store.access.createGrant({ ...grant, id: 'g2', principal: 'apikey:k2', requestedAt: '2026-03-01T00:00:01.000Z' });
      assert.equal(await store.access.decideGrant('g1', 'pending', { status: 'approved', decidedBy: 'oidc:x#admin', decidedAt: '2026-03-01T00:01:00.000Z', expiresAt: '2026-03-01T01:01:00.000Z' }), true);
      assert.equal(await store.access.decideGrant('g1', 'pending', { status: 'denied', decidedBy: 'oidc:x#other', decidedAt: '2026-03-01T00:02:00.000Z' }), false);
      const got = await store.access.getGrant('g1');
      assert.equal(got?.status, 'approved');
      assert.equal(got?.decidedBy, 'oidc:x#admin');
      assert.equal(got?.expiresAt, '2026-03-01T01:01:00.000Z');
      assert.equal(await store.access.decideGrant('g1', 'approved', { status: 'revoked', decidedBy: 'oidc:x#admin', decidedAt: '2026-03-01T00:03:00.000Z' }), true);
      assert.equal((await store.access.getGrant('g1'))?.expiresAt, '2026-03-01T01:01:00.000Z');
      assert.deepEqual((await store.access.listGrants()).map((g) => g.id), ['g2', 'g1']);
      assert.deepEqual((await store.access.listGrants({ principal: 'apikey:k2', status: 'pending' })).map((g) => g.id), ['g2']);
      assert.deepEqual(await store.access.listGrants({ status: 'denied' }), []);
    });

    test('tasks are recorded once: publishing again leaves a recorded task as it is; positions round-trip; listed in task order (t999999 before t1000000)', async () => {
      await store.createRun({ id: 'rt', pipeline: 'cluster', specHash: 'h', startedAt: '2026-04-01T00:00:00.000Z', pid: 1 });
      await store.createTasks('rt', [
        { id: 't000002', from: { offset: 100, line: 10 }, until: { offset: 200, line: 20 } },
        { id: 't000001', until: { offset: 100, line: 10 } },
        { id: 't000003', from: { offset: 200, line: 20 } },
      ]);
      await store.createTasks('rt', [
        { id: 't000001', from: { offset: 5, line: 1 }, until: { offset: 7, line: 2 } },
        { id: 't000004', from: { after: 'k' } },
        { id: 't000005' },
        { id: 't000006', specPath: '/specs/cluster.yaml' },
        // Ids grow a digit past t999999: listed in task order, not as text (where t1000000 sorts first).
        { id: 't1000000' },
        { id: 't999999' },
      ]);
      const tasks = await store.listTasks('rt');
      assert.deepEqual(tasks.map((t) => t.id), ['t000001', 't000002', 't000003', 't000004', 't000005', 't000006', 't999999', 't1000000']);
      // Absent fields are absent, not undefined-valued keys.
      assert.deepEqual(tasks[0], { runId: 'rt', id: 't000001', until: { offset: 100, line: 10 }, status: 'pending', attempts: 0 });
      assert.deepEqual(tasks[1], { runId: 'rt', id: 't000002', from: { offset: 100, line: 10 }, until: { offset: 200, line: 20 }, status: 'pending', attempts: 0 });
      assert.deepEqual(tasks[3]?.from, { after: 'k' });
      assert.deepEqual(tasks[4], { runId: 'rt', id: 't000005', status: 'pending', attempts: 0 });
      assert.equal(tasks[5]?.specPath, '/specs/cluster.yaml');
      assert.deepEqual(await store.listTasks('another-run'), []);
    });

    test('a lease counts an attempt and records the worker; a live lease is not taken over, an expired one is; an unknown task is undefined', async () => {
      const first = await store.leaseTask('rt', 't000001', 'w1', '2026-04-01T00:01:00.000Z', '2026-04-01T00:00:00.000Z');
      assert.equal(first?.leased, true);
      assert.deepEqual(first?.task, { runId: 'rt', id: 't000001', until: { offset: 100, line: 10 }, status: 'pending', attempts: 1, worker: 'w1', leasedUntil: '2026-04-01T00:01:00.000Z' });
      // A second delivery while w1's lease runs: not taken, nothing counted.
      const duplicate = await store.leaseTask('rt', 't000001', 'w2', '2026-04-01T00:01:30.000Z', '2026-04-01T00:00:30.000Z');
      assert.equal(duplicate?.leased, false);
      assert.equal(duplicate?.task.attempts, 1);
      assert.equal(duplicate?.task.worker, 'w1');
      // Renewing extends only the holder's lease.
      assert.equal(await store.renewLease('rt', 't000001', 1, '2026-04-01T00:01:10.000Z'), true);
      assert.equal(await store.renewLease('rt', 't000001', 7, '2026-04-01T00:09:00.000Z'), false);
      // Once it has run out, another delivery takes the task over.
      const second = await store.leaseTask('rt', 't000001', 'w2', '2026-04-01T00:02:00.000Z', '2026-04-01T00:01:10.000Z');
      assert.equal(second?.leased, true);
      assert.equal(second?.task.attempts, 2);
      assert.equal(second?.task.worker, 'w2');
      assert.equal(second?.task.leasedUntil, '2026-04-01T00:02:00.000Z');
      assert.equal(await store.renewLease('rt', 't000001', 1, '2026-04-01T00:03:00.000Z'), false, 'the attempt taken over holds no lease');
      assert.equal(await store.leaseTask('rt', 't888888', 'w1', '2026-04-01T00:01:00.000Z', '2026-04-01T00:00:00.000Z'), undefined);
      assert.equal(await store.leaseTask('another-run', 't000001', 'w1', '2026-04-01T00:01:00.000Z', '2026-04-01T00:00:00.000Z'), undefined);
    });

    test('a task commits once with its totals and objects; a second commit returns false and writes nothing (the denial path)', async () => {
      const totals = { ...emptyTotals(), recordsIn: 10, recordsOut: { s: 9 }, quarantined: 1, batches: 1 };
      const objects = [{ location: 'file:/out/rt/t000001.part', runId: 'rt', keyId: 'k', keyVersion: 2 }];
      // w2 took the task over (attempt 2): the attempt it took over from cannot commit.
      const stale = { runId: 'rt', taskId: 't000001', worker: 'w1', attempt: 1, totals: { ...totals, recordsIn: 5 }, committedAt: '2026-04-01T00:01:20.000Z' };
      assert.equal(await store.commitTask({ ...stale, objects: [{ location: 'file:/out/rt/t000001-stale.part', runId: 'rt', keyId: 'k', keyVersion: 2 }] }), false);
      assert.deepEqual(await store.listObjects({ runId: 'rt' }), [], 'a superseded attempt records no objects');
      assert.equal(await store.commitTask({ runId: 'rt', taskId: 't000001', worker: 'w2', attempt: 2, totals, committedAt: '2026-04-01T00:01:30.000Z', objects }), true);
      assert.equal(await store.renewLease('rt', 't000001', 2, '2026-04-01T00:09:00.000Z'), false, 'a committed task holds no lease');
      assert.deepEqual(await store.listObjects({ runId: 'rt' }), objects);
      const again = { runId: 'rt', taskId: 't000001', worker: 'w3', attempt: 2, totals: { ...totals, recordsIn: 99 }, committedAt: '2026-04-01T00:05:00.000Z' };
      assert.equal(await store.commitTask({ ...again, objects: [{ location: 'file:/out/rt/t000001-again.part', runId: 'rt', keyId: 'k', keyVersion: 2 }] }), false);
      assert.deepEqual(await store.listObjects({ runId: 'rt' }), objects, 'a refused commit records no objects');
      const [task] = await store.listTasks('rt');
      assert.equal(task?.status, 'committed');
      assert.deepEqual(task?.totals, totals);
      assert.equal(task?.committedAt, '2026-04-01T00:01:30.000Z');
      assert.equal(task?.worker, 'w2');
      assert.equal(await store.commitTask({ ...again, taskId: 't888888' }), false, 'an unknown task does not commit');
    });

    test('a lease of a committed task counts no attempt and returns it committed', async () => {
      const leased = await store.leaseTask('rt', 't000001', 'w4', '2026-04-01T00:09:00.000Z', '2026-04-01T00:08:00.000Z');
      assert.equal(leased?.leased, false);
      assert.equal(leased?.task.status, 'committed');
      assert.equal(leased?.task.attempts, 2);
      assert.equal(leased?.task.worker, 'w2');
      assert.equal(leased?.task.leasedUntil, '2026-04-01T00:02:00.000Z');
    });

    test('two commits of one task at once: exactly one wins, and only its objects are recorded', async () => {
      await store.leaseTask('rt', 't000002', 'w1', '2026-04-01T00:01:00.000Z', '2026-04-01T00:00:00.000Z');
      const commit = (worker: string) =>
        store.commitTask({
          runId: 'rt',
          taskId: 't000002',
          worker,
          attempt: 1,
          totals: { ...emptyTotals(), recordsIn: worker === 'wa' ? 1 : 2 },
          committedAt: '2026-04-01T00:03:00.000Z',
          objects: [{ location: `file:/out/rt/t000002-${worker}.part`, runId: 'rt', keyId: 'k', keyVersion: 2 }],
        });
      const results = await Promise.all([commit('wa'), commit('wb')]);
      assert.equal(results.filter(Boolean).length, 1, `results: ${results.join(', ')}`);
      const winner = results[0] ? 'wa' : 'wb';
      const task = (await store.listTasks('rt')).find((t) => t.id === 't000002');
      assert.equal(task?.worker, winner);
      assert.equal(task?.totals?.recordsIn, winner === 'wa' ? 1 : 2);
      assert.deepEqual((await store.listObjects({ runId: 'rt' })).map((o) => o.location), ['file:/out/rt/t000001.part', `file:/out/rt/t000002-${winner}.part`]);
    });

    test('a failed task is dead with its error, and then neither commits nor leases; a committed task cannot fail', async () => {
      await store.failTask('rt', 't000003', 'source unreachable');
      const dead = (await store.listTasks('rt')).find((t) => t.id === 't000003');
      assert.equal(dead?.status, 'dead');
      assert.equal(dead?.error, 'source unreachable');
      const late = { runId: 'rt', taskId: 't000003', worker: 'w1', attempt: 0, totals: emptyTotals(), committedAt: '2026-04-01T00:04:00.000Z' };
      assert.equal(await store.commitTask({ ...late, objects: [{ location: 'file:/out/rt/t000003.part', runId: 'rt', keyId: 'k', keyVersion: 2 }] }), false);
      assert.equal((await store.listObjects({ runId: 'rt' })).some((o) => o.location === 'file:/out/rt/t000003.part'), false);
      const leased = await store.leaseTask('rt', 't000003', 'w1', '2026-04-01T00:05:00.000Z', '2026-04-01T00:04:00.000Z');
      assert.equal(leased?.leased, false);
      assert.equal(leased?.task.status, 'dead');
      assert.equal(leased?.task.attempts, 0);
      await store.failTask('rt', 't000001', 'too late');
      const committed = (await store.listTasks('rt')).find((t) => t.id === 't000001');
      assert.equal(committed?.status, 'committed');
      assert.equal(committed?.error, undefined);
      assert.equal(committed !== undefined && 'error' in committed, false);
      // A resumed run tries its dead tasks again, from a clean count; committed tasks stay committed.
      assert.equal(await store.retryDeadTasks('rt'), 1);
      const retried = (await store.listTasks('rt')).find((t) => t.id === 't000003');
      assert.equal(retried?.status, 'pending');
      assert.equal(retried?.attempts, 0);
      assert.equal(retried !== undefined && 'error' in retried, false);
      assert.equal((await store.listTasks('rt')).find((t) => t.id === 't000001')?.status, 'committed');
      assert.equal(await store.retryDeadTasks('rt'), 0);
      await store.finishRun('rt', { status: 'succeeded', finishedAt: '2026-04-01T00:10:00.000Z', totals: emptyTotals() });
    });

    test('task progress: counts by status and the records of committed tasks only; an unknown run is all zeros', async () => {
      await store.createRun({ id: 'rp', pipeline: 'progress', specHash: 'h', startedAt: '2026-04-02T00:00:00.000Z', pid: 1 });
      await store.createTasks('rp', ['t000001', 't000002', 't000003', 't000004'].map((id) => ({ id })));
      const totals = (recordsIn: number) => ({ ...emptyTotals(), recordsIn });
      assert.equal(await store.commitTask({ runId: 'rp', taskId: 't000001', worker: 'w', attempt: 0, totals: totals(5), committedAt: '2026-04-02T00:01:00.000Z', end: { after: '["5"]', n: 5 } }), true);
      assert.equal(await store.commitTask({ runId: 'rp', taskId: 't000002', worker: 'w', attempt: 0, totals: totals(7), committedAt: '2026-04-02T00:01:00.000Z' }), true);
      await store.failTask('rp', 't000003', 'broken');
      assert.deepEqual(await store.taskProgress('rp'), { pending: 1, committed: 2, dead: 1, recordsIn: 12 });
      assert.deepEqual(await store.taskProgress('no-such-run'), { pending: 0, committed: 0, dead: 0, recordsIn: 0 });
      // A committed task keeps where its reading ended (an incremental source's next run starts there).
      const [first, second] = await store.listTasks('rp');
      assert.deepEqual(first?.end, { after: '["5"]', n: 5 });
      assert.equal(second !== undefined && 'end' in second, false);
      await store.finishRun('rp', { status: 'succeeded', finishedAt: '2026-04-02T00:02:00.000Z', totals: emptyTotals() });
    });

    test('a task of a run that is no longer running does not commit (a late worker of an abandoned run)', async () => {
      await store.createRun({ id: 'rl', pipeline: 'late-worker', specHash: 'h', startedAt: '2026-04-03T00:00:00.000Z', pid: 1 });
      await store.createTasks('rl', [{ id: 't000001' }]);
      const lease = (await store.leaseTask('rl', 't000001', 'w', '2026-04-03T00:01:00.000Z', '2026-04-03T00:00:00.000Z'))?.task;
      await store.finishRun('rl', { status: 'abandoned', finishedAt: '2026-04-03T00:00:30.000Z', totals: emptyTotals() });
      const late = { runId: 'rl', taskId: 't000001', worker: 'w', attempt: lease?.attempts ?? 1, totals: emptyTotals(), committedAt: '2026-04-03T00:00:40.000Z' };
      assert.equal(await store.commitTask({ ...late, objects: [{ location: 'file:/out/rl/late.part', runId: 'rl', keyId: 'k', keyVersion: 1 }] }), false);
      assert.deepEqual(await store.listObjects({ runId: 'rl' }), []);
    });

    test('a run hold round-trips, only its holder renews it, and resuming records the new holder', async () => {
      await store.createRun({ id: 'rh', pipeline: 'held', specHash: 'h', startedAt: '2026-04-04T00:00:00.000Z', pid: 7, hold: { host: 'node-a', heldUntil: '2026-04-04T00:02:00.000Z' } });
      const run = await store.getRun('rh');
      assert.equal(run?.host, 'node-a');
      assert.equal(run?.heldUntil, '2026-04-04T00:02:00.000Z');
      assert.equal(await store.renewRun('rh', 7, { host: 'node-a', heldUntil: '2026-04-04T00:04:00.000Z' }), true);
      assert.equal(await store.renewRun('rh', 7, { host: 'node-b', heldUntil: '2026-04-04T00:09:00.000Z' }), false, 'the same pid on another machine is not the holder');
      assert.equal(await store.renewRun('rh', 8, { host: 'node-a', heldUntil: '2026-04-04T00:09:00.000Z' }), false);
      assert.equal((await store.getRun('rh'))?.heldUntil, '2026-04-04T00:04:00.000Z');
      assert.equal(await store.resumeRun('rh', 9, { status: 'running', pid: 7 }, { host: 'node-b', heldUntil: '2026-04-04T00:10:00.000Z' }), true);
      const resumed = await store.getRun('rh');
      assert.deepEqual([resumed?.pid, resumed?.host, resumed?.heldUntil], [9, 'node-b', '2026-04-04T00:10:00.000Z']);
      await store.finishRun('rh', { status: 'succeeded', finishedAt: '2026-04-04T00:11:00.000Z', totals: emptyTotals() });
      assert.equal(await store.renewRun('rh', 9, { host: 'node-b', heldUntil: '2026-04-04T00:12:00.000Z' }), false, 'a finished run is held by no one');
    });

    test('workers: a heartbeat inserts the worker the first time and replaces its fields after; listed by id', async () => {
      const worker = { id: 'w2', host: 'node-b', pid: 20, concurrency: 4, inFlight: 0, state: 'ready' as const, startedAt: '2026-04-01T00:00:00.000Z', lastSeenAt: '2026-04-01T00:00:00.000Z' };
      assert.deepEqual(await store.listWorkers(), []);
      await store.recordWorker(worker);
      await store.recordWorker({ ...worker, id: 'w1', host: 'node-a', pid: 10 });
      const beat = { ...worker, inFlight: 3, state: 'draining' as const, lastSeenAt: '2026-04-01T00:00:15.000Z' };
      await store.recordWorker(beat);
      assert.deepEqual(await store.listWorkers(), [{ ...worker, id: 'w1', host: 'node-a', pid: 10 }, beat]);
    });
  });
}
