// Live run progress over server-sent events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlane } from './support/control-plane-harness.ts';

test('a watcher of a running run gets progress events, then end with the finished run; another namespace gets 404', async () => {
  const plane = await startTestPlane();
  try {
    const { key } = await plane.apiKey('viewer', { namespace: 'sales' });
    await plane.store.createRun({ id: 'live-1', pipeline: 'customers', specHash: 'h', startedAt: new Date().toISOString(), pid: process.pid });
    const channel = plane.plane.progress.open('live-1');
    channel.update({ records: 10, done: 100, total: 1000 });
    const watching = plane.call('GET', '/api/v1/runs/live-1/events', { key });
    await new Promise((resolve) => setTimeout(resolve, 300));
    channel.update({ records: 500, done: 600, total: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const totals = (await plane.store.getRun('live-1'))!.totals;
    await plane.store.finishRun('live-1', { status: 'succeeded', finishedAt: new Date().toISOString(), totals: { ...totals, recordsIn: 1000 } });
    plane.plane.progress.close('live-1');
    const response = await watching;
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const events = response.text
      .trim()
      .split('\n\n')
      .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') }));
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.records);
    assert.deepEqual(progress, [10, 500]);
    assert.equal(events.at(-1)?.event, 'end');
    assert.equal(events.at(-1)?.data.status, 'succeeded');
    assert.equal(events.at(-1)?.data.totals.recordsIn, 1000);

    // A finished run, or one this server did not start: just its end.
    const again = await plane.call('GET', '/api/v1/runs/live-1/events', { key });
    assert.match(again.text, /^event: end\n/);
    // A run of a pipeline in another namespace: 404, as a missing one.
    await plane.store.createRun({ id: 'other-1', pipeline: 'leads', specHash: 'h', startedAt: new Date().toISOString(), pid: process.pid });
    assert.equal((await plane.call('GET', '/api/v1/runs/other-1/events', { key })).status, 404);
    assert.equal((await plane.call('GET', '/api/v1/runs/missing/events', { key })).status, 404);
  } finally {
    await plane.close();
  }
});
