// `sluice keys list|rotate --server URL`: the control plane's keyring, as `sluice keys` shows it here.
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { formatKeyRows, rotatedMessage } from '../format-keys.ts';
import type { KeyRow } from '../format-keys.ts';
import { EXIT } from '../exit-codes.ts';
import { withApiClient } from './connect.ts';

/** A key version as the API answers it. */
interface RemoteKey {
  keyId: string;
  version: number;
  state: string;
  provider: string;
  createdAt: string;
  rotationDays?: number;
}

export async function remoteKeysList(options: { json?: boolean }, context: CliContext, setExit: (code: number) => void): Promise<void> {
  await withApiClient(context, async (client) => {
    const { keys } = (await client.get('/api/v1/keys')) as { keys: RemoteKey[] };
    const rows: KeyRow[] = keys.map((k) => ({ key: k.keyId, version: k.version, state: k.state, provider: k.provider, created: k.createdAt, rotationDays: k.rotationDays ?? null }));
    println(context.stdout, options.json ? JSON.stringify(rows, null, 2) : formatKeyRows(rows));
    setExit(EXIT.OK);
  });
}

export async function remoteKeysRotate(keyId: string, context: CliContext, setExit: (code: number) => void): Promise<void> {
  await withApiClient(context, async (client) => {
    const { version } = (await client.post(`/api/v1/keys/${encodeURIComponent(keyId)}/rotate`)) as { keyId: string; version: number };
    println(context.stdout, rotatedMessage(keyId, version));
    setExit(EXIT.OK);
  });
}
