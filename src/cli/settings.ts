// Local settings (sluice.settings.yaml in the working folder): where state and logs go.
import { z } from 'zod';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SluiceError } from '../errors.ts';
import { parseYamlSpec } from '../spec/yaml-document.ts';
import { formatLocation, formatPath } from '../spec/location.ts';
import { knownKeysAt } from '../spec/schema-walk.ts';
import { didYouMean } from '../spec/did-you-mean.ts';
import { secretReference } from '../spec/secret-reference-schema.ts';
import { durationSchema } from '../spec/duration.ts';
import { serverSettingsSchema } from '../server/server-settings.ts';
import { clusterSettingsSchema } from '../cluster/cluster-settings.ts';
import { checkPostgresConnection, postgresConnectionShape } from '../connectors/postgres/connection-options.ts';

/** Where the credentials that open providers come from: the environment or a mounted file, never a store they open. */
const BOOTSTRAP_SCHEMES = ['env', 'file'] as const;

export const SETTINGS_FILE = 'sluice.settings.yaml';

export const settingsSchema = z
  .strictObject({
    stateDir: z.string().min(1).default('.sluice').describe('Where the state store, quarantine and logs live.'),
    log: z
      .strictObject({
        file: z.string().optional().describe('Write JSON logs here instead of stderr.'),
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
    keys: z
      .strictObject({
        provider: z
          .enum(['local', 'pkcs11', 'vault-transit', 'aws-kms'])
          .default('local')
          .describe('Who holds the root key. local: a key file or SLUICE_MASTER_KEY (development). pkcs11: an HSM token; the key never leaves it.'),
        file: z.string().optional().describe('The local root key file (mode 0600); default <stateDir>/master.key. SLUICE_MASTER_KEY overrides it.'),
        pkcs11: z
          .strictObject({
            library: z.string().default('/usr/lib/softhsm/libsofthsm2.so').describe('The PKCS#11 module.'),
            token: z.string().describe('The token label.'),
            keyLabel: z.string().default('sluice-root').describe('The label of the root key in the token.'),
            pin: secretReference(BOOTSTRAP_SCHEMES).default('env://SLUICE_PKCS11_PIN').describe('Where the token user PIN comes from (env:// or file://).'),
          })
          .optional()
          .describe('The HSM token holding the root key.'),
        vault: z
          .strictObject({
            address: z.string().url().describe('https://vault.example:8200 (HTTPS only).'),
            mount: z.string().default('transit').describe('The Transit engine mount.'),
            key: z.string().default('sluice').describe('The Transit key name.'),
            caFile: z.string().optional().describe("A PEM file with the CA of Vault's certificate, if it is private."),
            token: secretReference(BOOTSTRAP_SCHEMES).default('env://VAULT_TOKEN').describe('Where the Vault token comes from (env:// or file://).'),
          })
          .optional()
          .describe('HashiCorp Vault Transit holding the root key.'),
        awsKms: z
          .strictObject({
            keyId: z.string().min(1).describe('The KMS key id or ARN.'),
            region: z.string().min(1).describe('The AWS region.'),
            endpoint: z.string().url().optional().describe('Another HTTPS endpoint (a VPC endpoint).'),
            caFile: z.string().optional().describe("A PEM file with the CA of the endpoint's certificate, if it is private."),
          })
          .optional()
          .describe("An AWS KMS key holding the root key; credentials come from the AWS SDK's default chain."),
        keyId: z.string().default('default').describe('The keyring key that seals sink objects and the quarantine.'),
      })
      .prefault({})
      .describe('Encryption keys.'),
    secrets: z
      .strictObject({
        ttl: durationSchema.default('5m').describe('How long a resolved value is reused before it is read again (a shorter lease wins).'),
        timeout: durationSchema.default('10s').describe('How long resolving one reference may take before it fails.'),
        vault: z
          .strictObject({
            address: z.string().url().describe('https://vault.example:8200 (HTTPS only).'),
            caFile: z.string().optional().describe("A PEM file with the CA of Vault's certificate, if it is private."),
            token: secretReference(BOOTSTRAP_SCHEMES).optional().describe('Token auth: where the Vault token comes from (env:// or file://).'),
            approle: z
              .strictObject({
                roleId: z.string().min(1).describe('The AppRole role id (not secret).'),
                secretId: secretReference(BOOTSTRAP_SCHEMES).describe('Where the AppRole secret id comes from (env:// or file://).'),
                mount: z.string().default('approle').describe('The AppRole auth mount.'),
              })
              .optional()
              .describe('AppRole auth: logs in, renews its token before the lease ends, logs in again after.'),
          })
          .refine((vault) => (vault.token === undefined) !== (vault.approle === undefined), { message: 'give exactly one of token and approle' })
          .optional()
          .describe('HashiCorp Vault (KV v2) for vault://mount/path#key references.'),
        awsSm: z
          .strictObject({
            region: z.string().min(1).describe('The AWS region.'),
            endpoint: z.string().url().optional().describe('Another HTTPS endpoint (a VPC endpoint).'),
            caFile: z.string().optional().describe("A PEM file with the CA of the endpoint's certificate, if it is private."),
          })
          .optional()
          .describe("AWS Secrets Manager for aws-sm://name#key references; credentials come from the AWS SDK's default chain."),
      })
      .prefault({})
      .describe('Where secret references are resolved, and for how long values are kept.'),
    state: z
      .strictObject({
        store: z.enum(['sqlite', 'postgresql']).default('sqlite').describe('Where runs, checkpoints, keyring metadata, the audit log and access state live: sqlite (state.db in the state folder) or postgresql (cluster mode).'),
        postgresql: z
          .strictObject({
            ...postgresConnectionShape,
            password: secretReference(BOOTSTRAP_SCHEMES).optional().describe("The role's password: env:// or file:// (the store opens before any other secret provider)."),
            schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('sluice').describe('The schema holding the store; created and migrated on start.'),
          })
          .superRefine((options, ctx) => checkPostgresConnection(options, (path, message) => ctx.addIssue({ code: 'custom', path: [path], message })))
          .optional()
          .describe('The server, as the PostgreSQL connectors take it: TLS verify-full with the pinned policy always, except insecureNoTls for a server on this machine.'),
      })
      .refine((state) => state.store !== 'postgresql' || state.postgresql !== undefined, { message: 'state.store is postgresql, so give state.postgresql (host, database, user)' })
      .prefault({})
      .describe('The state store. The state folder still holds the quarantine and logs.'),
    server: serverSettingsSchema,
    cluster: clusterSettingsSchema,
  })
  .describe('Local settings of the sluice command.');

export type Settings = z.infer<typeof settingsSchema>;

/** Reads the settings file in `cwd` if there is one; defaults otherwise. Paths come back absolute. */
export async function loadSettings(cwd: string): Promise<Settings> {
  const path = resolve(cwd, SETTINGS_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SluiceError('SLUICE_SETTINGS_INVALID', `cannot read ${SETTINGS_FILE}: ${(error as Error).message}`, { cause: error });
    }
  }
  let data: unknown = {};
  if (text !== undefined) {
    const parsed = parseYamlSpec(text, SETTINGS_FILE);
    if (parsed.issues.length > 0) {
      throw new SluiceError('SLUICE_SETTINGS_INVALID', `${SETTINGS_FILE} is not valid`, { details: parsed.issues.map((i) => `${formatLocation(i.location ?? { file: SETTINGS_FILE })}  ${i.message}`) });
    }
    data = parsed.data ?? {};
    const result = settingsSchema.safeParse(data);
    if (!result.success) {
      throw new SluiceError('SLUICE_SETTINGS_INVALID', `${SETTINGS_FILE} is not valid`, {
        details: result.error.issues.flatMap((i) => {
          const p = i.path.filter((x): x is string | number => typeof x !== 'symbol');
          // zod puts an unknown key's issue on its parent object: point at each key, as spec validation does.
          if (i.code === 'unrecognized_keys') {
            const known = knownKeysAt(settingsSchema, p);
            return i.keys.map((key) => {
              const hint = didYouMean(key, known) || ` Allowed here: ${known.join(', ')}.`;
              return `${formatLocation(parsed.locator.locate([...p, key]))}  ${formatPath([...p, key])}: unknown key '${key}'.${hint}`;
            });
          }
          return [`${formatLocation(parsed.locator.locate(p))}  ${formatPath(p)}: ${i.message}`];
        }),
      });
    }
  }
  const settings = settingsSchema.parse(data);
  const stateDir = resolve(cwd, settings.stateDir);
  return {
    stateDir,
    secrets: settings.secrets,
    // Without keys.file the root key sits in the state folder, wherever --state-dir puts it (runtime-setup).
    keys: { ...settings.keys, ...(settings.keys.file !== undefined ? { file: resolve(cwd, settings.keys.file) } : {}) },
    log: { ...settings.log, ...(settings.log.file !== undefined ? { file: resolve(cwd, settings.log.file) } : {}) },
    state: settings.state,
    ...(settings.cluster !== undefined ? { cluster: settings.cluster } : {}),
    server: {
      ...settings.server,
      pipelines: resolve(cwd, settings.server.pipelines),
      ...(settings.server.tls
        ? {
            tls: {
              ...settings.server.tls,
              cert: resolve(cwd, settings.server.tls.cert),
              key: resolve(cwd, settings.server.tls.key),
              ...(settings.server.tls.clientCa !== undefined ? { clientCa: resolve(cwd, settings.server.tls.clientCa) } : {}),
            },
          }
        : {}),
      oidc: settings.server.oidc.map((issuer) => ({ ...issuer, ...(issuer.caFile !== undefined ? { caFile: resolve(cwd, issuer.caFile) } : {}) })),
    },
  };
}
