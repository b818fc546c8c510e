// Findings of `sluice check`: each has a rule, a severity, a place, the field and flow concerned, and a fix.
import type { Location } from '../spec/location.ts';

/** The rules the planner checks. Ids are stable: users filter and suppress by them. */
export const RULES = {
  'SLC101': { name: 'clearance-exceeded', summary: 'plaintext of a field reaches a sink whose clearance is lower than its classification' },
  'SLC102': { name: 'unknown-field', summary: 'a step or sink names a field that the contract does not declare (or that an earlier step removed)' },
  'SLC103': { name: 'subject-undeclared', summary: 'the contract names a subject field it does not declare' },
  'SLC104': { name: 'field-collision', summary: 'a step writes a field that already exists' },
  'SLC105': { name: 'sink-empty', summary: 'no field reaches a sink' },
  'SLC107': { name: 'record-sink-restricted', summary: 'a sink that stores records field by field in another system (a table, a stream) is given a restricted clearance' },
  'SLC108': { name: 'insecure-opt-out', summary: 'a component uses an explicit opt-out of a secure default (plain text to loopback, a private address past the SSRF guard)' },
  'SLC201': { name: 'key-rotation-overdue', summary: 'a key has not been rotated within its rotation period' },
  'SLC202': { name: 'secret-rotation-overdue', summary: 'a secret of the built-in store is older than its max age' },
  'SLC203': { name: 'server-insecure-dev', summary: 'sluice serve last started with --insecure-dev: plain HTTP on loopback, for development only' },
  'SLC106': { name: 'step-misconfigured', summary: 'a step cannot work as configured (e.g. per-subject encryption without a subject field)' },
  'SLC301': { name: 'literal-secret', summary: 'a credential is written in the spec in clear text instead of a secret reference' },
} as const;

export type RuleId = keyof typeof RULES;
export type Severity = 'error' | 'warning';

/** One finding of the planner. */
export interface Finding {
  rule: RuleId;
  severity: Severity;
  message: string;
  location: Location;
  /** The sink field (or step field) concerned. */
  field?: string;
  /** How the field got here: source field, each step it passed, the sink. */
  flow?: readonly string[];
  /** What to change so the finding goes away. */
  fix: string;
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
