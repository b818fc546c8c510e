// `sluice keys`: the keyring as routine commands: create the root key, create, list and rotate keys.
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { openKeyring, openRuntime, openSecretStore, withKeyring, closeRuntime, recordEvent, localRootKeyFile } from '../runtime-setup.ts';
import { SECRETS_KEY_ID } from '../../secrets/store/builtin-store.ts';
import { createLocalRootKey } from '../../crypto/providers/local-provider.ts';
import { SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { formatKeyRows, rotatedMessage } from '../format-keys.ts';
import type { KeyRow } from '../format-keys.ts';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rewrapObjectFile } from '../../crypto/envelope/rewrap.ts';
import { rewrapSubjectKeys } from '../../crypto/subjects/subject-keys.ts';

/** How long after a rotation the old version may still be used by running processes (their cache is 30 s). */
const RECENT_ROTATION_MS = 60_000;

export function registerKeys(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const keys = program.command('keys').description('Manage the keyring: root key, keys and their versions');
  registerKeyMaintenance(keys, context, setExit);

  keys
    .command('init')
    .description('Create the root key: a local key file (mode 0600), or a non-extractable key inside the PKCS#11 token')
    .action(async () => {
      const runtime = await openRuntime(context);
      try {
        if (runtime.settings.keys.provider === 'aws-kms') {
          const keyring = await openKeyring(runtime, context, { createRootKey: false });
          keyring.close();
          println(context.stdout, `the root key is the AWS KMS key ${runtime.settings.keys.awsKms?.keyId ?? ''}; nothing to create here`);
        } else if (runtime.settings.keys.provider === 'vault-transit') {
          // The root key lives in Vault; init only proves that it answers and that the token may use it.
          const keyring = await openKeyring(runtime, context, { createRootKey: false });
          keyring.close();
          const vault = runtime.settings.keys.vault;
          println(context.stdout, `the root key is the Transit key '${vault?.key ?? ''}' at ${vault?.address ?? ''} (mount ${vault?.mount ?? ''}); nothing to create here`);
        } else if (runtime.settings.keys.provider === 'pkcs11') {
          const keyring = await openKeyring(runtime, context, { createRootKey: true });
          keyring.close();
          println(context.stdout, `the root key '${runtime.settings.keys.pkcs11?.keyLabel ?? ''}' is in the PKCS#11 token '${runtime.settings.keys.pkcs11?.token ?? ''}' (sensitive, never extractable)`);
        } else {
          const file = localRootKeyFile(runtime);
          await mkdir(dirname(file), { recursive: true, mode: 0o700 });
          await createLocalRootKey(file);
          println(context.stdout, `created the local root key ${file} (mode 0600). Back it up: without it nothing Sluice wrote can be read. It is fine for development; in production the root key belongs in an HSM or a KMS.`);
        }
      } finally {
        await closeRuntime(runtime);
      }
      setExit(EXIT.OK);
    });

  keys
    .command('create')
    .description('Create a key with its first version')
    .argument('<key-id>', 'lowercase letters, digits, - and _')
    .option('--rotation-days <n>', 'rotate at least this often (reported when overdue)')
    .action(async (keyId: string, options: { rotationDays?: string }) => {
      const days = options.rotationDays === undefined ? undefined : Number(options.rotationDays);
      if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new SluiceError('SLUICE_USAGE', `--rotation-days takes a whole number of days above 0, not '${options.rotationDays}'`);
      await withKeyring(context, async (keyring, runtime) => {
        await keyring.create(keyId, days === undefined ? {} : { rotationDays: days });
        await recordEvent(runtime, { action: 'key.create', resource: `key:${keyId}`, outcome: 'success', details: { version: 1 } });
        println(context.stdout, `created key '${keyId}' version 1 (primary)`);
      });
      setExit(EXIT.OK);
    });

  keys
    .command('list')
    .description('List keys and versions (never their material)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      if (context.global.remote) {
        const { remoteKeysList } = await import('../remote/remote-keys.ts');
        await remoteKeysList(options, context, setExit);
        return;
      }
      await withKeyring(context, async (keyring) => {
        const versions = await keyring.list();
        const rows: KeyRow[] = versions.map((v) => ({ key: v.keyId, version: v.version, state: v.state, provider: v.provider, created: v.createdAt, rotationDays: v.rotationDays ?? null }));
        println(context.stdout, options.json ? JSON.stringify(rows, null, 2) : formatKeyRows(rows));
      });
      setExit(EXIT.OK);
    });

  keys
    .command('rotate')
    .description('Make a new primary version; older versions keep decrypting what they sealed')
    .argument('<key-id>')
    .action(async (keyId: string) => {
      if (context.global.remote) {
        const { remoteKeysRotate } = await import('../remote/remote-keys.ts');
        await remoteKeysRotate(keyId, context, setExit);
        return;
      }
      await withKeyring(context, async (keyring, runtime) => {
        const version = await keyring.rotate(keyId);
        await recordEvent(runtime, { action: 'key.rotate', resource: `key:${keyId}`, outcome: 'success', details: { version } });
        println(context.stdout, rotatedMessage(keyId, version));
      });
      setExit(EXIT.OK);
    });
}

/** The local path of a `file:` object location, or undefined for objects elsewhere. */
function localPath(location: string): string | undefined {
  return location.startsWith('file:') ? fileURLToPath(location) : undefined;
}

function registerKeyMaintenance(keys: Command, context: CliContext, setExit: (code: number) => void): void {
  keys
    .command('rewrap')
    .description("Move objects' data keys to the primary version of their key, without re-encrypting payloads")
    .argument('[key-id]', 'only objects under this key (default: every key)')
    .action(async (keyId: string | undefined) => {
      await withKeyring(context, async (keyring, runtime) => {
        const objects = await runtime.store.listObjects(keyId === undefined ? {} : { keyId });
        let moved = 0;
        let current = 0;
        const missing: string[] = [];
        for (const object of objects) {
          const path = localPath(object.location);
          if (path === undefined) continue;
          if (!existsSync(path)) {
            missing.push(object.location);
            continue;
          }
          const result = await rewrapObjectFile(path, keyring);
          // The index follows the file, also when an earlier rewrap renamed the file but stopped before this.
          if (result.to !== object.keyVersion) await runtime.store.updateObjectKey(object.location, result.to);
          if (result.changed) moved++;
          else current++;
        }
        if (missing.length > 0) await runtime.store.forgetObjects({ locations: missing });
        let subjectKeys = 0;
        const keyIds = keyId !== undefined ? [keyId] : [...new Set((await keyring.list()).map((v) => v.keyId))];
        for (const id of keyIds) if ((await keyring.list(id)).some((v) => v.state === 'primary')) subjectKeys += await rewrapSubjectKeys(runtime.store, keyring, id);
        const secrets = keyIds.includes(SECRETS_KEY_ID) && (await runtime.store.listSecrets()).length > 0 ? await openSecretStore(runtime, keyring).reseal() : 0;
        await recordEvent(runtime, { action: 'key.rewrap', resource: `key:${keyId ?? '*'}`, outcome: 'success', details: { objects: moved, subjectKeys, secrets } });
        println(context.stdout, `rewrapped ${moved} object(s); ${current} already under their primary version; ${missing.length} no longer exist (forgotten); ${subjectKeys} subject key(s) rewrapped; ${secrets} stored secret(s) resealed`);
      });
      setExit(EXIT.OK);
    });

  keys
    .command('destroy')
    .description('Destroy a key version: what it seals becomes unreadable (refused while objects depend on it)')
    .argument('<key-id>')
    .argument('<version>')
    .option('--force', 'destroy even though objects still depend on it; they become unreadable')
    .action(async (keyId: string, versionText: string, options: { force?: boolean }) => {
      const version = Number(versionText);
      if (!Number.isInteger(version) || version < 1) throw new SluiceError('SLUICE_USAGE', `the version is a whole number above 0, not '${versionText}'`);
      await withKeyring(context, async (keyring, runtime) => {
        const record = (await keyring.list(keyId)).find((v) => v.version === version);
        if (!record) throw new SluiceError('SLUICE_KEY_UNKNOWN', `key '${keyId}' has no version ${version}`);
        if (record.state === 'destroyed') throw new SluiceError('SLUICE_USAGE', `key '${keyId}' version ${version} is already destroyed`);
        if (record.state === 'primary') throw new SluiceError('SLUICE_USAGE', `key '${keyId}' version ${version} is the primary version; rotate the key first`);
        const dependents = (await runtime.store.listObjects({ keyId, keyVersion: version })).filter((o) => {
          const path = localPath(o.location);
          return path === undefined || existsSync(path);
        });
        const subjectKeys = await runtime.store.countSubjectKeys(keyId, version);
        const storedSecrets = await runtime.store.countSecrets(keyId, version);
        if ((dependents.length > 0 || subjectKeys > 0 || storedSecrets > 0) && !options.force) {
          const shown = dependents.slice(0, 5).map((o) => `  ${o.location}`);
          const what = [
            dependents.length > 0 ? `${dependents.length} object(s)` : '',
            subjectKeys > 0 ? `${subjectKeys} subject key(s) of the encrypt step` : '',
            storedSecrets > 0 ? `${storedSecrets} stored secret(s)` : '',
          ]
            .filter(Boolean)
            .join(' and ');
          throw new SluiceError('SLUICE_KEY_IN_USE', `key '${keyId}' version ${version} still seals ${what}; run 'sluice keys rewrap ${keyId}' first (objects), or pass --force to make them unreadable`, {
            details: [...shown, ...(dependents.length > 5 ? [`  … and ${dependents.length - 5} more`] : [])],
          });
        }
        // Running processes keep sealing with a version for a while after a rotation (they cache the primary).
        const successor = (await keyring.list(keyId)).find((v) => v.version === version + 1);
        if (successor && Date.now() - Date.parse(successor.createdAt) < RECENT_ROTATION_MS && !options.force) {
          throw new SluiceError('SLUICE_KEY_IN_USE', `key '${keyId}' version ${version} stopped being primary less than a minute ago; running processes may still seal with it. Wait a minute and rewrap first`);
        }
        if (dependents.length === 0 && subjectKeys === 0) {
          println(context.stderr, `note: no indexed object or subject key depends on '${keyId}' version ${version}; tokens made with it (if it is a token key) can no longer be detokenized`);
        }
        await runtime.store.destroyKeyVersion(keyId, version);
        await recordEvent(runtime, { action: 'key.destroy', resource: `key:${keyId}`, outcome: 'success', details: { version, objects: dependents.length } });
        println(context.stdout, `destroyed key '${keyId}' version ${version}${dependents.length > 0 ? `; ${dependents.length} object(s) sealed under it can no longer be read` : ''}`);
      });
      setExit(EXIT.OK);
    });
}
