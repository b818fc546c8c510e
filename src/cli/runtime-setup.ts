// Opens what a command that touches state needs: settings, logger, state store.
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { VaultTransitKeyProvider } from '../crypto/providers/vault-transit-provider.ts';
import { Keyring } from '../crypto/keyring/keyring.ts';
import { createLocalRootKey, loadLocalRootKey, LocalKeyProvider } from '../crypto/providers/local-provider.ts';
import type { KeyProvider } from '../crypto/providers/key-provider.ts';
import { SluiceError } from '../errors.ts';
import { println } from './context.ts';
import type { Logger } from 'pino';
import type { CliContext } from './context.ts';
import { loadSettings } from './settings.ts';
import type { Settings } from './settings.ts';
import { createLogger } from './logger.ts';
import { SqliteStateStore } from '../store/sqlite/sqlite-state-store.ts';
import type { StateStore } from '../store/state-store.ts';
import { BuiltinSecretStore } from '../secrets/store/builtin-store.ts';
import { localActor, stateOwnerReadPolicy } from '../auth/local-principal.ts';
import { SecretResolver } from '../secrets/resolve/secret-resolver.ts';
import type { SecretResolverOptions } from '../secrets/resolve/secret-resolver.ts';
import type { SecretProvider } from '../secrets/resolve/secret-provider.ts';
import { EnvSecretProvider } from '../secrets/resolve/env-provider.ts';
import { FileSecretProvider } from '../secrets/resolve/file-provider.ts';
import { BuiltinSecretProvider } from '../secrets/resolve/builtin-provider.ts';
import { VaultKvSecretProvider } from '../secrets/resolve/vault-kv-provider.ts';
import { parseDuration } from '../spec/duration.ts';
import { AuditLog } from '../audit/audit-log.ts';
import type { AuditEvent } from '../audit/audit-event.ts';
import { auditSigningKey } from '../audit/signing-key.ts';

export interface Runtime {
  stateDir: string;
  settings: Settings;
  logger: Logger;
  store: StateStore;
  /** Resolves the credentials that open providers (an HSM PIN, a Vault token): env:// and file:// only. */
  bootstrapSecrets: SecretResolver;
  /** The audit log; it signs checkpoints once a keyring is open. */
  audit: AuditLog;
}

/** The name of this state folder's audit log in its checkpoints. */
export const AUDIT_ORIGIN = 'sluice/audit';

/** Flushes the audit log (signing a last checkpoint if it can) and closes the state store. */
export async function closeRuntime(runtime: Runtime): Promise<void> {
  try {
    await runtime.audit.close();
  } finally {
    await runtime.store.close();
  }
}

/** The state folder: --state-dir, else stateDir of the settings. */
export function stateDirOf(context: CliContext, settings: Settings): string {
  return context.global.stateDir ? resolve(context.cwd, context.global.stateDir) : settings.stateDir;
}

/** `migrate: false` for a process that must not change the store's schema (a cluster worker). */
export async function openRuntime(context: CliContext, options: { migrate?: boolean } = {}): Promise<Runtime> {
  const settings = await loadSettings(context.cwd);
  const stateDir = stateDirOf(context, settings);
  // On a terminal, logs go to a file so the human output stays readable; elsewhere (CI, services) to stderr.
  const logFile = (context.global.logFile !== undefined ? resolve(context.cwd, context.global.logFile) : undefined) ?? settings.log.file ?? (context.stderr.isTTY ? join(stateDir, 'logs', 'sluice.log') : undefined);
  const logger = createLogger({ level: context.global.logLevel ?? settings.log.level, ...(logFile !== undefined ? { file: logFile } : {}) });
  const bootstrapSecrets = bootstrapResolver(settings, logger);
  const store = await openStateStore(settings, stateDir, bootstrapSecrets, context.cwd, options);
  return { stateDir, settings: { ...settings, stateDir }, logger, store, bootstrapSecrets, audit: new AuditLog(store) };
}

/** Resolves the credentials that open providers and stores: env:// and file:// only. */
export function bootstrapResolver(settings: Settings, logger?: Logger): SecretResolver {
  return new SecretResolver({ providers: [new EnvSecretProvider(), new FileSecretProvider()], ...(logger ? resolverLimits(settings, logger) : {}) });
}

/** The configured state store: state.db in the state folder, or a PostgreSQL schema (cluster mode). */
export async function openStateStore(settings: Settings, stateDir: string, bootstrap: SecretResolver, settingsDir: string, options: { migrate?: boolean } = {}): Promise<StateStore> {
  const postgresql = settings.state.postgresql;
  if (settings.state.store !== 'postgresql' || !postgresql) return new SqliteStateStore(join(stateDir, 'state.db'));
  // Loaded only when configured: pg is for cluster mode. The pool is the connectors' (verify-full TLS with the
  // pinned policy, the password resolved per connection, fixed session settings), handed over to the store.
  const [{ PostgresStateStore }, { openPool }] = await Promise.all([import('../store/postgres/postgres-state-store.ts'), import('../connectors/postgres/pool.ts')]);
  const { schema, ...connection } = postgresql;
  const pool = await openPool(connection, { baseDir: settingsDir, pipeline: 'state', secrets: bootstrap }, { readOnly: false, max: 10 });
  return await PostgresStateStore.open({ pool, owned: true, schema, ...(options.migrate === false ? { migrate: false } : {}) });
}

/** The local root key file: keys.file, else master.key in the state folder. */
export function localRootKeyFile(runtime: Runtime): string {
  return runtime.settings.keys.file ?? join(runtime.stateDir, 'master.key');
}

/** The configured key provider. With `create`, a missing root key is created (local file, or in the token). */
async function openProvider(runtime: Runtime, context: CliContext, create: boolean): Promise<KeyProvider> {
  const keys = runtime.settings.keys;
  if (keys.provider === 'pkcs11') {
    if (!keys.pkcs11) throw new SluiceError('SLUICE_SETTINGS_INVALID', "keys.provider is pkcs11, but keys.pkcs11 (library, token, keyLabel) is missing in sluice.settings.yaml");
    const pin = await runtime.bootstrapSecrets.resolve(keys.pkcs11.pin);
    // Loaded only when configured: the PKCS#11 and AWS SDK modules take most of a second to load.
    const { Pkcs11KeyProvider } = await import('../crypto/providers/pkcs11-provider.ts');
    return Pkcs11KeyProvider.open({ library: keys.pkcs11.library, tokenLabel: keys.pkcs11.token, keyLabel: keys.pkcs11.keyLabel, pin: pin.reveal(), createKey: create });
  }
  if (keys.provider === 'vault-transit') {
    if (!keys.vault) throw new SluiceError('SLUICE_SETTINGS_INVALID', 'keys.provider is vault-transit, but keys.vault (address, mount, key) is missing in sluice.settings.yaml');
    const token = await runtime.bootstrapSecrets.resolve(keys.vault.token);
    const ca = keys.vault.caFile !== undefined ? await readFile(resolve(context.cwd, keys.vault.caFile)) : undefined;
    return new VaultTransitKeyProvider({ address: keys.vault.address, mount: keys.vault.mount, keyName: keys.vault.key, token: token.reveal(), ...(ca ? { ca } : {}) });
  }
  if (keys.provider === 'aws-kms') {
    if (!keys.awsKms) throw new SluiceError('SLUICE_SETTINGS_INVALID', 'keys.provider is aws-kms, but keys.awsKms (keyId, region) is missing in sluice.settings.yaml');
    const ca = keys.awsKms.caFile !== undefined ? await readFile(resolve(context.cwd, keys.awsKms.caFile)) : undefined;
    const { AwsKmsKeyProvider } = await import('../crypto/providers/aws-kms-provider.ts');
    return new AwsKmsKeyProvider({ keyId: keys.awsKms.keyId, region: keys.awsKms.region, ...(keys.awsKms.endpoint !== undefined ? { endpoint: keys.awsKms.endpoint } : {}), ...(ca ? { ca } : {}) });
  }
  const keyFile = localRootKeyFile(runtime);
  if (create && !process.env.SLUICE_MASTER_KEY && !existsSync(keyFile)) {
    await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
    try {
      await createLocalRootKey(keyFile);
      println(context.stderr, `created a local root key in ${keyFile} (mode 0600). It is fine for development; in production the root key belongs in an HSM or a KMS.`);
    } catch (error) {
      // Another process created it between the check and the write: use theirs.
      if (!existsSync(keyFile)) throw error;
    }
  }
  return new LocalKeyProvider(await loadLocalRootKey(keyFile));
}

/**
 * Opens the keyring with the configured provider. With `createRootKey`, a missing root key is created (and the
 * user is told plainly what a local key is and is not fit for).
 */
export async function openKeyring(runtime: Runtime, context: CliContext, options: { createRootKey: boolean }): Promise<Keyring> {
  const keyring = new Keyring(runtime.store, await openProvider(runtime, context, options.createRootKey));
  runtime.audit.setSigner(async () => ({ origin: AUDIT_ORIGIN, privateKey: (await auditSigningKey(keyring)).privateKey }));
  return keyring;
}

/** Runs `work` with the runtime and an open keyring (no root key is created), closing both afterwards. */
export async function withKeyring(context: CliContext, work: (keyring: Keyring, runtime: Runtime) => Promise<void>): Promise<void> {
  const runtime = await openRuntime(context);
  try {
    const keyring = await openKeyring(runtime, context, { createRootKey: false });
    try {
      await work(keyring, runtime);
    } finally {
      keyring.close();
    }
  } finally {
    await closeRuntime(runtime);
  }
}

/** The built-in secret store, acting as the local user; reads allowed to the state folder's owner. */
export function openSecretStore(runtime: Runtime, keyring: Keyring, requestId?: string): BuiltinSecretStore {
  return new BuiltinSecretStore({
    store: runtime.store,
    keys: keyring,
    audit: runtime.audit,
    actor: localActor(),
    readPolicy: stateOwnerReadPolicy(runtime.stateDir),
    ...(requestId !== undefined ? { requestId } : {}),
  });
}

/** TTL, timeout and the short-value warning of a resolver, from the settings. */
function resolverLimits(settings: Settings, logger: Logger): Pick<SecretResolverOptions, 'ttlMs' | 'timeoutMs' | 'onShortValue'> {
  return {
    ttlMs: parseDuration(settings.secrets.ttl) ?? 300_000,
    timeoutMs: parseDuration(settings.secrets.timeout) ?? 10_000,
    onShortValue: (reference) => logger.warn({ reference }, 'a secret shorter than 6 characters cannot be scrubbed from output; use a longer one'),
  };
}

/**
 * The resolver a run uses: env://, file://, sluice:// (the built-in store, when a keyring is open) and, when
 * the settings configure them, vault:// and aws-sm://. Values are resolved only when a component asks.
 */
export async function openSecretResolver(runtime: Runtime, context: CliContext, keyring: Keyring | undefined, requestId?: string): Promise<SecretResolver> {
  const { secrets } = runtime.settings;
  const providers: SecretProvider[] = [new EnvSecretProvider(), new FileSecretProvider()];
  if (keyring) providers.push(new BuiltinSecretProvider(openSecretStore(runtime, keyring, requestId)));
  if (secrets.vault) {
    const vault = secrets.vault;
    const ca = vault.caFile !== undefined ? await readFile(resolve(context.cwd, vault.caFile)) : undefined;
    const bootstrap = runtime.bootstrapSecrets;
    const auth = vault.approle
      ? { approle: { roleId: vault.approle.roleId, mount: vault.approle.mount, secretId: async () => (await bootstrap.resolve(vault.approle!.secretId)).reveal() } }
      : { token: async () => (await bootstrap.resolve(vault.token!)).reveal() };
    providers.push(new VaultKvSecretProvider({ address: vault.address, auth, ...(ca ? { ca } : {}) }));
  }
  if (secrets.awsSm) {
    const ca = secrets.awsSm.caFile !== undefined ? await readFile(resolve(context.cwd, secrets.awsSm.caFile)) : undefined;
    const { AwsSecretsManagerProvider } = await import('../secrets/resolve/aws-sm-provider.ts');
    providers.push(new AwsSecretsManagerProvider({ region: secrets.awsSm.region, ...(secrets.awsSm.endpoint !== undefined ? { endpoint: secrets.awsSm.endpoint } : {}), ...(ca ? { ca } : {}) }));
  }
  return new SecretResolver({ providers, ...resolverLimits(runtime.settings, runtime.logger) });
}

/**
 * Records an act of the local user in the audit log and waits until it is durable: a command that cannot record
 * what it does fails (fail closed).
 */
export async function recordEvent(runtime: Runtime, event: Pick<AuditEvent, 'action' | 'resource' | 'outcome'> & Partial<Pick<AuditEvent, 'requestId' | 'reason' | 'details'>>): Promise<void> {
  await runtime.audit.append({ time: new Date().toISOString(), actor: localActor(), source: 'local', ...event });
}
