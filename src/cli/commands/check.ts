// `sluice check`: validates the spec and plans it; prints every finding with its place, flow and fix.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { loadPlan } from '../load-plan.ts';
import { formatFindings } from '../format-findings.ts';
import { formatLineage, lineageJson } from '../format-lineage.ts';
import { hasErrors } from '../../plan/findings.ts';
import { EXIT } from '../exit-codes.ts';
import { DEFAULT_SPEC } from './defaults.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stateDirOf } from '../runtime-setup.ts';
import type { Finding } from '../../plan/findings.ts';
import { loadSettings, SETTINGS_FILE } from '../settings.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { rotationFindings } from '../../crypto/keyring/rotation-findings.ts';

/** Keyring findings (overdue rotation), when this folder has a state store; check never creates one. */
async function keyringFindings(context: CliContext): Promise<Finding[]> {
  const file = join(stateDirOf(context, await loadSettings(context.cwd)), 'state.db');
  if (!existsSync(file)) return [];
  const store = new SqliteStateStore(file);
  try {
    return rotationFindings(await store.listKeyVersions(), SETTINGS_FILE);
  } finally {
    await store.close();
  }
}

export function registerCheck(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('Check a pipeline spec and its plan: every field that would reach a sink above its clearance is an error')
    .argument('[spec]', 'the pipeline spec (YAML or TypeScript)', DEFAULT_SPEC)
    .option('--json', 'print the findings (and, with --lineage, the lineage) as JSON')
    .option('--lineage', 'also show, for every field of every sink, its source fields, the steps it passes and how it arrives')
    .action(async (specPath: string, options: { json?: boolean; lineage?: boolean }) => {
      const { plan } = await loadPlan(specPath, context.registry, context.cwd);
      plan.findings.push(...(await keyringFindings(context)));
      if (options.json) {
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
