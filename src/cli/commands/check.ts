// `sluice check`: validates the spec and plans it; prints every finding with its place, flow and fix. With
// `--secrets PATH` it scans a folder for literal credentials instead, as text, JSON or SARIF.
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
import { join, posix, resolve } from 'node:path';
import { stateDirOf } from '../runtime-setup.ts';
import type { Finding } from '../../plan/findings.ts';
import { loadSettings, SETTINGS_FILE } from '../settings.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { rotationFindings } from '../../crypto/keyring/rotation-findings.ts';
import { secretAgeFindings } from '../../secrets/store/age-findings.ts';
import { SluiceError } from '../../errors.ts';
import { scanFiles } from '../../secrets/scan/scan-files.ts';
import { secretScanSarif } from '../../secrets/scan/sarif.ts';
import { formatSecretScan } from '../format-secrets.ts';

/** Keyring and secret store findings (overdue rotation), when this folder has a state store; check never creates one. */
async function keyringFindings(context: CliContext): Promise<Finding[]> {
  const file = join(stateDirOf(context, await loadSettings(context.cwd)), 'state.db');
  if (!existsSync(file)) return [];
  const store = new SqliteStateStore(file);
  try {
    return [...rotationFindings(await store.listKeyVersions(), SETTINGS_FILE), ...secretAgeFindings(await store.listSecrets(), file)];
  } finally {
    await store.close();
  }
}

type Format = 'text' | 'json' | 'sarif';

interface CheckOptions {
  json?: boolean;
  lineage?: boolean;
  secrets?: string;
  format?: Format;
}

/** `check --secrets PATH`: scans a folder or file for literal credentials; exit 1 when any is found. */
async function checkSecrets(path: string, format: Format, context: CliContext, setExit: (code: number) => void): Promise<void> {
  const absolute = resolve(context.cwd, path);
  if (!existsSync(absolute)) throw new SluiceError('SLUICE_USAGE', `--secrets: ${path} does not exist; name a folder or a file to scan`);
  const scan = await scanFiles(absolute);
  if (format === 'sarif') println(context.stdout, JSON.stringify(secretScanSarif(scan), null, 2));
  else if (format === 'json') println(context.stdout, JSON.stringify({ path, scanned: scan.scanned, findings: scan.findings, skipped: scan.skipped }, null, 2));
  else {
    const shownRoot = statSync(absolute).isDirectory() ? path : posix.dirname(path.split('\\').join('/'));
    println(context.stdout, formatSecretScan(scan, shownRoot));
  }
  setExit(scan.findings.length > 0 ? EXIT.FAILED : EXIT.OK);
}

export function registerCheck(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('Check a pipeline spec and its plan: every field that would reach a sink above its clearance is an error, and so is a credential written in the spec. With --secrets, scan a folder for literal credentials instead')
    .argument('[spec]', `the pipeline spec (YAML or TypeScript; default: ${DEFAULT_SPEC})`)
    .option('--json', 'print the findings (and, with --lineage, the lineage) as JSON')
    .option('--lineage', 'also show, for every field of every sink, its source fields, the steps it passes and how it arrives')
    .option('--secrets <path>', 'scan this folder (recursively) or file for literal credentials: cloud keys, service tokens, private keys, JWTs, passwords in URLs, Kubernetes Secret data')
    .addOption(new Option('--format <format>', 'output format: text, json, or sarif (SARIF 2.1.0, with --secrets)').choices(['text', 'json', 'sarif']))
    .action(async (specArgument: string | undefined, options: CheckOptions) => {
      const format: Format = options.format ?? (options.json ? 'json' : 'text');
      if (options.secrets !== undefined) {
        if (specArgument !== undefined) throw new SluiceError('SLUICE_USAGE', `check takes a spec or --secrets PATH, not both (got '${specArgument}' and --secrets ${options.secrets})`);
        if (options.lineage) throw new SluiceError('SLUICE_USAGE', '--lineage shows a spec\'s plan; it does not go with --secrets');
        await checkSecrets(options.secrets, format, context, setExit);
        return;
      }
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
