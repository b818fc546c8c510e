// `sluice check`: validates the spec and plans it; prints every finding with its place, flow and fix. With
// `--secrets PATH` it scans a folder for literal credentials instead, as text, JSON or SARIF, leaving out what
// the folder's `.sluiceignore` (or `--ignore-file`), `--exclude` globs and `sluice:allow` markers accept.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { loadPlan } from '../load-plan.ts';
import { formatFindings } from '../format-findings.ts';
import { formatLineage, lineageJson } from '../format-lineage.ts';
import { hasErrors } from '../../plan/findings.ts';
import { EXIT } from '../exit-codes.ts';
import { DEFAULT_SPEC } from './defaults.ts';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { bootstrapResolver, openStateStore, stateDirOf } from '../runtime-setup.ts';
import type { Finding } from '../../plan/findings.ts';
import { loadSettings, SETTINGS_FILE } from '../settings.ts';
import type { Settings } from '../settings.ts';
import { postgresInsecureOptOuts } from '../../connectors/postgres/connection-options.ts';
import { natsInsecureOptOuts } from '../../connectors/nats/connection-options.ts';
import { rotationFindings } from '../../crypto/keyring/rotation-findings.ts';
import { secretAgeFindings } from '../../secrets/store/age-findings.ts';
import { SERVER_MODE_FILE } from '../server-mode.ts';
import type { ServerMode } from '../server-mode.ts';
import { SluiceError } from '../../errors.ts';
import { scanFiles } from '../../secrets/scan/scan-files.ts';
import { GlobError, pathGlob } from '../../secrets/scan/glob.ts';
import type { PathGlob } from '../../secrets/scan/glob.ts';
import { IGNORE_FILE, readIgnoreFile } from '../../secrets/scan/ignore-file.ts';
import type { IgnoreFile } from '../../secrets/scan/ignore-file.ts';
import { secretScanSarif } from '../../secrets/scan/sarif.ts';
import { formatSecretScan } from '../format-secrets.ts';

/** Keyring and secret store findings (overdue rotation), when this folder has a state store; check never creates one. */
async function keyringFindings(context: CliContext): Promise<Finding[]> {
  const settings = await loadSettings(context.cwd);
  const stateDir = stateDirOf(context, settings);
  const server = [...(await serverModeFindings(stateDir)), ...stateStoreOptOuts(settings), ...clusterOptOuts(settings)];
  // A check never creates a store: with SQLite only an existing state.db is read; PostgreSQL is opened as configured.
  const file = join(stateDir, 'state.db');
  if (settings.state.store === 'sqlite' && !existsSync(file)) return server;
  const store = await openStateStore(settings, stateDir, bootstrapResolver(settings), context.cwd);
  try {
    const where = settings.state.store === 'sqlite' ? file : `${SETTINGS_FILE} (state.postgresql)`;
    return [...rotationFindings(await store.listKeyVersions(), SETTINGS_FILE), ...secretAgeFindings(await store.listSecrets(), where), ...server];
  } finally {
    await store.close();
  }
}

/** SLC108 for a PostgreSQL state store reached without TLS (allowed only on this machine). */
function stateStoreOptOuts(settings: Settings): Finding[] {
  const postgresql = settings.state.store === 'postgresql' ? settings.state.postgresql : undefined;
  if (!postgresql) return [];
  return postgresInsecureOptOuts(postgresql).map((optOut) => ({
    rule: 'SLC108' as const,
    severity: 'warning' as const,
    message: `the state store: ${optOut.allows}`,
    location: { file: SETTINGS_FILE },
    fix: 'give state.postgresql.tls (the server must offer TLS) instead of insecureNoTls before the store leaves this machine',
  }));
}

/** SLC108 for a cluster work queue reached without TLS (allowed only on this machine). */
function clusterOptOuts(settings: Settings): Finding[] {
  if (!settings.cluster) return [];
  return natsInsecureOptOuts(settings.cluster.nats).map((optOut) => ({
    rule: 'SLC108' as const,
    severity: 'warning' as const,
    message: `the cluster work queue: ${optOut.allows}`,
    location: { file: SETTINGS_FILE },
    fix: 'give cluster.nats.tls (and a client certificate per worker) instead of insecureLoopbackPlaintext before workers run on other machines',
  }));
}

/** SLC203 when `sluice serve` last started in plain HTTP (--insecure-dev). */
async function serverModeFindings(stateDir: string): Promise<Finding[]> {
  const file = join(stateDir, SERVER_MODE_FILE);
  let mode: Partial<ServerMode>;
  try {
    mode = JSON.parse(await readFile(file, 'utf8')) as Partial<ServerMode>;
  } catch {
    return [];
  }
  if (mode.insecureDev !== true) return [];
  return [
    {
      rule: 'SLC203',
      severity: 'warning',
      message: `sluice serve last started with --insecure-dev (plain HTTP on ${String(mode.listen)}, ${String(mode.startedAt)}): credentials and data cross that socket unencrypted`,
      location: { file },
      fix: "for anything but development, set server.tls in sluice.settings.yaml ('sluice certs init' makes development certificates) and start serve without --insecure-dev",
    },
  ];
}

type Format = 'text' | 'json' | 'sarif';

interface CheckOptions {
  json?: boolean;
  lineage?: boolean;
  secrets?: string;
  format?: Format;
  ignoreFile?: string;
  exclude?: string[];
}

/** Every `--exclude` glob, or a SLUICE_USAGE error naming each one that cannot be used. */
function excludeGlobs(globs: readonly string[]): PathGlob[] {
  const problems: string[] = [];
  const out: PathGlob[] = [];
  for (const glob of globs) {
    try {
      out.push(pathGlob(glob));
    } catch (error) {
      if (!(error instanceof GlobError)) throw error;
      problems.push(`--exclude '${glob}': ${error.message}`);
    }
  }
  if (problems.length > 0) throw new SluiceError('SLUICE_USAGE', `${problems.length === 1 ? 'an --exclude glob' : 'some --exclude globs'} cannot be used`, { details: problems });
  return out;
}

/** `--ignore-file FILE` (which must exist), else `.sluiceignore` in the scanned folder when there is one. */
async function ignoreFileFor(given: string | undefined, folder: string, shownFolder: string, cwd: string): Promise<IgnoreFile | undefined> {
  if (given !== undefined) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) throw new SluiceError('SLUICE_USAGE', `--ignore-file: ${given} does not exist; name the file of accepted fingerprints and globs`);
    return readIgnoreFile(path, given);
  }
  const path = join(folder, IGNORE_FILE);
  return existsSync(path) ? readIgnoreFile(path, posix.join(shownFolder, IGNORE_FILE)) : undefined;
}

/**
 * `check --secrets PATH`: scans a folder or file for literal credentials; exit 1 when any is found that was not
 * accepted. A stale ignore-file entry is told, never a failure.
 */
async function checkSecrets(path: string, format: Format, options: CheckOptions, context: CliContext, setExit: (code: number) => void): Promise<void> {
  const absolute = resolve(context.cwd, path);
  if (!existsSync(absolute)) throw new SluiceError('SLUICE_USAGE', `--secrets: ${path} does not exist; name a folder or a file to scan`);
  const isFolder = statSync(absolute).isDirectory();
  const shownRoot = isFolder ? path : posix.dirname(path.split('\\').join('/'));
  const exclude = excludeGlobs(options.exclude ?? []);
  const ignore = await ignoreFileFor(options.ignoreFile, isFolder ? absolute : dirname(absolute), shownRoot, context.cwd);
  const scan = await scanFiles(absolute, { exclude, ...(ignore === undefined ? {} : { ignore }) });
  if (format === 'sarif') println(context.stdout, JSON.stringify(secretScanSarif(scan), null, 2));
  else if (format === 'json') {
    const { scanned, findings, suppressed, excluded, stale, skipped } = scan;
    println(context.stdout, JSON.stringify({ path, ...(ignore === undefined ? {} : { ignoreFile: ignore.name }), scanned, findings, suppressed, excluded, stale, skipped }, null, 2));
  } else println(context.stdout, formatSecretScan(scan, shownRoot));
  setExit(scan.findings.length > 0 ? EXIT.FAILED : EXIT.OK);
}

export function registerCheck(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('Check a pipeline spec and its plan: every field that would reach a sink above its clearance is an error, and so is a credential written in the spec. With --secrets, scan a folder for literal credentials instead')
    .argument('[spec]', `the pipeline spec (YAML or TypeScript; default: ${DEFAULT_SPEC}); with --server, a catalogued pipeline as NAMESPACE/NAME`)
    .option('--json', 'print the findings (and, with --lineage, the lineage) as JSON')
    .option('--lineage', 'also show, for every field of every sink, its source fields, the steps it passes and how it arrives')
    .option('--secrets <path>', 'scan this folder (recursively) or file for literal credentials: cloud keys, service tokens, private keys, JWTs, passwords in URLs, Kubernetes Secret data; `sluice:allow` on a line (or `sluice:allow-next-line` above it) accepts its findings')
    .addOption(new Option('--format <format>', 'output format: text, json, or sarif (SARIF 2.1.0, with --secrets)').choices(['text', 'json', 'sarif']))
    .option('--ignore-file <file>', `with --secrets: the file of accepted finding fingerprints and path globs not to scan (default: ${IGNORE_FILE} in the scanned folder)`)
    .option('--exclude <glob>', 'with --secrets: do not scan paths this glob matches, relative to the scanned folder (repeatable)', (glob: string, previous: string[] = []) => [...previous, glob])
    .action(async (specArgument: string | undefined, options: CheckOptions) => {
      if (context.global.remote) {
        const { remoteCheck } = await import('../remote/remote-check.ts');
        await remoteCheck(specArgument, options, context, setExit);
        return;
      }
      const format: Format = options.format ?? (options.json ? 'json' : 'text');
      if (options.secrets !== undefined) {
        if (specArgument !== undefined) throw new SluiceError('SLUICE_USAGE', `check takes a spec or --secrets PATH, not both (got '${specArgument}' and --secrets ${options.secrets})`);
        if (options.lineage) throw new SluiceError('SLUICE_USAGE', '--lineage shows a spec\'s plan; it does not go with --secrets');
        await checkSecrets(options.secrets, format, options, context, setExit);
        return;
      }
      if (options.ignoreFile !== undefined || options.exclude !== undefined) throw new SluiceError('SLUICE_USAGE', '--ignore-file and --exclude go with --secrets PATH');
      if (format === 'sarif') throw new SluiceError('SLUICE_USAGE', '--format sarif is for --secrets PATH; a spec check prints text or json');
      const specPath = specArgument ?? DEFAULT_SPEC;
      const { plan } = await loadPlan(specPath, context.registry, context.cwd);
      plan.findings.push(...(await keyringFindings(context)));
      if (format === 'json') {
        println(context.stdout, JSON.stringify({ pipeline: plan.spec.pipeline, findings: plan.findings, ...(options.lineage ? { lineage: lineageJson(plan) } : {}) }, null, 2));
        setExit(hasErrors(plan.findings) ? EXIT.FAILED : EXIT.OK);
        return;
      }
      if (options.lineage) println(context.stdout, formatLineage(plan) + '\n');
      if (plan.findings.length === 0) {
        const fields = plan.sinks.map((s) => `${s.sink.name} (${s.sink.clearance}): ${s.fields.map((f) => (f.protectedBy ? `${f.name}*` : f.name)).join(', ')}`);
        println(context.stdout, `${specPath}: ok, no findings\n  ${fields.join('\n  ')}\n  (* protected by a step)`);
      } else println(context.stdout, formatFindings(plan.findings));
      setExit(hasErrors(plan.findings) ? EXIT.FAILED : EXIT.OK);
    });
}
