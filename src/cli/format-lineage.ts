// Human text for the plan's lineage: for every field of every sink, where it comes from and how it arrives.
import type { Plan } from '../plan/plan.ts';
import { isPlaintext } from '../plan/field-flow.ts';

export function formatLineage(plan: Plan): string {
  const lines: string[] = [];
  for (const { sink, fields } of plan.sinks) {
    lines.push(`sink ${sink.name} (clearance ${sink.clearance})`);
    for (const flow of fields) {
      const state = isPlaintext(flow) ? `plaintext, ${flow.class}` : `protected by ${flow.protectedBy ?? 'a step'}, now ${flow.class} (was ${flow.sourceClass})`;
      lines.push(`  ${flow.name}: ${state}`);
      lines.push(`    ${flow.hops.join(' -> ')}`);
    }
  }
  return lines.join('\n');
}

/** The lineage as data, for --json. */
export function lineageJson(plan: Plan): object {
  return plan.sinks.map(({ sink, fields }) => ({
    sink: sink.name,
    clearance: sink.clearance,
    fields: fields.map((f) => ({ field: f.name, type: f.type, class: f.class, sourceClass: f.sourceClass, origins: f.origins, plaintext: isPlaintext(f), protectedBy: f.protectedBy ?? null, hops: f.hops })),
  }));
}
