// A real keyring for tests: an in-memory SQLite store and a random local root key, with the default key made.
import { randomBytes } from 'node:crypto';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../../src/crypto/providers/local-provider.ts';
import type { SinkEncryption } from '../../src/connectors/sink.ts';

export async function testEncryption(keyId = 'default'): Promise<SinkEncryption & { keyring: Keyring }> {
  const keyring = new Keyring(new SqliteStateStore(':memory:'), new LocalKeyProvider(randomBytes(32)));
  await keyring.ensure(keyId);
  return { keys: keyring, keyId, keyring };
}
