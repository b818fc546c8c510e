// The redaction registry end to end: unique fake secrets are planted in every provider (env, file, the
// built-in store, Vault KV and Secrets Manager test doubles), used by components during successful and failing
// runs, echoed back by a "remote" in errors, and then every output is grepped: stdout, stderr, the log file,
// every file of the state folder (state.db and its WAL), the sink objects and quarantine records, raw and
// decrypted. Zero hits.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { assertNoStack, decryptLines, runCli } from './support/cli-harness.ts';
import type { Outcome } from './support/cli-harness.ts';
import { ComponentRegistry } from '../src/spec/registry.ts';
import { BUILTIN_SINKS, BUILTIN_SOURCES, BUILTIN_STEPS } from '../src/builtins.ts';
import { apiSourceDouble, remoteLookupDouble } from './support/credentialed-doubles.ts';
import { datasets } from './support/memory-components.ts';
import { selfSignedCertificate } from './support/tls-fixture.ts';
import { startVaultKvDouble } from './support/vault-kv-double.ts';
import { SM_REGION, startSecretsManagerDouble } from './support/aws-sm-double.ts';

/** A unique fake secret per provider: long, random, and greppable. */
const planted = (label: string) => `planted-${label}-${randomBytes(9).toString('hex')}`;
const SECRETS = {
  store: planted('store'),
  env: planted('env'),
  file: planted('file'),
  vault: planted('vault'),
  awsSm: planted('awssm'),
  vaultToken: `hvs.${planted('vaulttoken')}`,
  awsSecretKey: planted('awssecretkey'),
};
const ACCESS_KEY_ID = 'AKIAPLANTEDTEST00001';

const registry = new ComponentRegistry([...BUILTIN_SOURCES, ...BUILTIN_STEPS, ...BUILTIN_SINKS, apiSourceDouble, remoteLookupDouble]);

const tls = selfSignedCertificate();
const vault = await startVaultKvDouble(tls, { secrets: { 'secret/crm': { lookup_key: SECRETS.vault } }, tokens: [SECRETS.vaultToken] });
const sm = await startSecretsManagerDouble(tls, ACCESS_KEY_ID, { 'crm/lookup': JSON.stringify({ key: SECRETS.awsSm }) });
after(async () => {
  await vault.close();
  await sm.close();
});

function spec(refuse: boolean, keyFile: string): string {
  return `pipeline: planted
source:
  api-double: { token: sluice://crm/api-token, dataset: planted, refuse: ${refuse} }
contract:
  fields:
    id:   { type: string, class: public }
    flag: { type: boolean, class: public }
steps:
  - remote-lookup-double:
      keys: [env://PLANTED_LOOKUP_KEY, file://${keyFile}, vault://secret/crm#lookup_key, aws-sm://crm/lookup#key]
      failWhen: flag
sinks:
  - file: { dir: out, clearance: public }
`;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function assertNoSecret(where: string, bytes: Buffer | string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    for (const form of [value, encodeURIComponent(value), Buffer.from(value).toString('base64').replace(/=+$/, '')]) {
      assert.ok(!bytes.includes(form), `${where} holds the planted ${name} secret`);
    }
  }
}

test('planted secrets in every provider never reach stdout, stderr, logs, the state store, sinks or the quarantine, in successful and failing runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-planted-'));
  const saved = { ...process.env };
  try {
    const keyFile = join(dir, 'lookup.key');
    writeFileSync(keyFile, `${SECRETS.file}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'vault-token'), SECRETS.vaultToken, { mode: 0o600 });
    writeFileSync(join(dir, 'ca.pem'), tls.cert);
    writeFileSync(
      join(dir, 'sluice.settings.yaml'),
      `log: { file: sluice.log, level: trace }
secrets:
  vault: { address: ${vault.address}, caFile: ca.pem, token: file://${join(dir, 'vault-token')} }
  awsSm: { region: ${SM_REGION}, endpoint: ${sm.endpoint}, caFile: ca.pem }
`,
    );
    process.env.PLANTED_LOOKUP_KEY = SECRETS.env;
    process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = SECRETS.awsSecretKey;
    const outcomes: [string, Outcome][] = [];
    const cli = async (stdin: string | undefined, ...args: string[]) => {
      const outcome = await runCli({ cwd: dir, logLevel: null, registry, ...(stdin !== undefined ? { stdin } : {}) }, ...args);
      outcomes.push([args.join(' '), outcome]);
      return outcome;
    };
    assert.equal((await cli(SECRETS.store, 'secrets', 'set', 'crm/api-token')).code, 0);
    datasets.set('planted', [{ id: 'a', flag: false }, { id: 'b', flag: true }, { id: 'c', flag: false }]);

    // A successful run: two records written, the flagged one quarantined with an error that quotes every key.
    writeFileSync(join(dir, 'pipeline.yaml'), spec(false, keyFile));
    const succeeded = await cli(undefined, 'run', '--progress', 'none');
    assert.equal(succeeded.code, 0, succeeded.stderr);
    assert.match(succeeded.stdout, /1 record\(s\) were quarantined/);
    // Each remote really was asked, with the planted credential.
    assert.ok(vault.calls.some((c) => c.path === '/v1/secret/data/crm' && c.token === SECRETS.vaultToken && c.status === 200));
    assert.ok(sm.calls.some((c) => c.secretId === 'crm/lookup' && c.status === 200));

    // A failing run: the source's "remote" refuses the token and echoes it (query string and message).
    writeFileSync(join(dir, 'pipeline.yaml'), spec(true, keyFile));
    const failed = await cli(undefined, 'run', '--progress', 'none', '--fresh');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /HTTP 401 .*\[REDACTED\]/);
    assertNoStack(failed.stderr);
    await cli(undefined, 'runs');
    await cli(undefined, 'check');

    for (const [command, outcome] of outcomes.slice(1)) {
      assertNoSecret(`stdout of ${command}`, outcome.stdout);
      assertNoSecret(`stderr of ${command}`, outcome.stderr);
    }
    const log = readFileSync(join(dir, 'sluice.log'), 'utf8');
    assert.match(log, /\[REDACTED\]/, 'the failure was logged, scrubbed');
    const files = filesUnder(dir).filter((f) => !['lookup.key', 'vault-token'].includes(f.slice(dir.length + 1)));
    assert.ok(files.some((f) => f.endsWith('state.db')));
    for (const file of files) if (statSync(file).size > 0) assertNoSecret(file, readFileSync(file));
    const objects = files.filter((f) => f.endsWith('.sluice'));
    const quarantine = objects.filter((f) => f.includes('quarantine'));
    assert.ok(quarantine.length > 0 && objects.length > quarantine.length);
    const lines = await decryptLines(dir, objects);
    assert.ok(lines.some((l) => l.includes('lookup service refused the keys [REDACTED]')), 'the quarantine reason is kept, scrubbed');
    for (const line of lines) assertNoSecret('a decrypted object', line);
  } finally {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
