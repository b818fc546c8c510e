import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startDemoApi } from './demo-api.ts';
import { createDevCa, issueCertificate } from '../tls/dev-ca.ts';

async function withApi(work: (api: Awaited<ReturnType<typeof startDemoApi>>, get: (url: string, token?: string) => Promise<{ status: number; body: unknown }>) => Promise<void>): Promise<void> {
  const ca = await createDevCa();
  const server = await issueCertificate(ca, 'server', ['127.0.0.1']);
  const records = Array.from({ length: 250 }, (_, i) => ({ id: i + 1 }));
  const api = await startDemoApi({ records, token: 'right-token', ...server, port: 0 });
  const dispatcher = new Agent({ connect: { ca: ca.cert } });
  const get = async (url: string, token?: string) => {
    const response = await request(url, { dispatcher, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.statusCode, body: await response.body.json() };
  };
  try {
    await work(api, get);
  } finally {
    await dispatcher.close();
    await api.close();
  }
}

test('the demo API pages through its records to the right bearer token', async () => {
  await withApi(async (api, get) => {
    const ids: number[] = [];
    let url: string | null = api.url;
    while (url !== null) {
      const page = await get(url, 'right-token');
      assert.equal(page.status, 200);
      const body = page.body as { data: { id: number }[]; next: string | null };
      ids.push(...body.data.map((r) => r.id));
      url = body.next;
    }
    assert.deepEqual(ids, Array.from({ length: 250 }, (_, i) => i + 1));
  });
});

test('the demo API refuses a missing, a wrong and a prefix-of-the-right bearer token with 401', async () => {
  await withApi(async (api, get) => {
    for (const token of [undefined, 'wrong-token', 'right-toke', 'right-token-and-more']) {
      assert.equal((await get(api.url, token)).status, 401, `token ${String(token)}`);
    }
  });
});
