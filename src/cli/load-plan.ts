// Loads a spec and plans it, reporting every spec problem at once (including the fields steps name that
// the contract lacks, found by planning the parts of a broken spec that did validate).
import { SluiceError } from '../errors.ts';
import type { ComponentRegistry } from '../spec/registry.ts';
import { formatIssue, loadSpec } from '../spec/load-spec.ts';
import type { LoadedSpec } from '../spec/load-spec.ts';
import { planPipeline, planSteps } from '../plan/plan.ts';
import type { Plan } from '../plan/plan.ts';
import type { Finding } from '../plan/findings.ts';
import { formatFinding } from './format-findings.ts';

export interface LoadedPlan {
  loaded: LoadedSpec;
  plan: Plan;
}

export async function loadPlan(specPath: string, registry: ComponentRegistry, cwd?: string): Promise<LoadedPlan> {
  const loaded = await loadSpec(specPath, registry, cwd);
  const spec = loaded.result.spec;
  if (spec) return { loaded, plan: planPipeline(spec) };

  const details = loaded.issues.map(formatIssue);
  const { contract, steps } = loaded.result.partial;
  if (contract) {
    const findings: Finding[] = [];
    planSteps(contract, steps, { locator: loaded.locator }, findings);
    details.push(...findings.map(formatFinding));
  }
  const count = details.length;
  throw new SluiceError('SLUICE_SPEC_INVALID', `${specPath} has ${count} problem${count === 1 ? '' : 's'}; nothing was run`, { details });
}
