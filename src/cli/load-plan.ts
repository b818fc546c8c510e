// Loads a spec and plans it, reporting every spec problem at once (including the fields steps name that
// the contract lacks, found by planning the parts of a broken spec that did validate, and credentials written
// in the spec's text).
import { SluiceError } from '../errors.ts';
import type { ComponentRegistry } from '../spec/registry.ts';
import { formatIssue, loadSpec } from '../spec/load-spec.ts';
import type { LoadedSpec } from '../spec/load-spec.ts';
import { planPipeline, planSteps } from '../plan/plan.ts';
import type { Plan } from '../plan/plan.ts';
import type { Finding } from '../plan/findings.ts';
import { formatFinding } from './format-findings.ts';
import { literalSecretFindings } from '../secrets/scan/spec-findings.ts';

export interface LoadedPlan {
  loaded: LoadedSpec;
  plan: Plan;
}

export async function loadPlan(specPath: string, registry: ComponentRegistry, cwd?: string): Promise<LoadedPlan> {
  const loaded = await loadSpec(specPath, registry, cwd);
  // A credential written in the spec is an error finding, so check reports it and run refuses the spec.
  const secrets = literalSecretFindings(loaded.text, loaded.locator.file);
  const spec = loaded.result.spec;
  if (spec) {
    const plan = planPipeline(spec);
    plan.findings.push(...secrets);
    return { loaded, plan };
  }

  const details = loaded.issues.map(formatIssue);
  const { contract, steps } = loaded.result.partial;
  if (contract) {
    const findings: Finding[] = [];
    planSteps(contract, steps, { locator: loaded.locator }, findings);
    details.push(...findings.map(formatFinding));
  }
  details.push(...secrets.map(formatFinding));
  const count = details.length;
  throw new SluiceError('SLUICE_SPEC_INVALID', `${specPath} has ${count} problem${count === 1 ? '' : 's'}; nothing was run`, { details });
}
