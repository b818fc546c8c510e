// Human text for findings: one block per finding with its place, rule, flow and fix.
import type { Finding } from '../plan/findings.ts';
import { RULES } from '../plan/findings.ts';
import { formatLocation } from '../spec/location.ts';

export function formatFinding(finding: Finding): string {
  const lines = [`${formatLocation(finding.location)}  ${finding.severity} ${finding.rule} ${RULES[finding.rule].name}: ${finding.message}`];
  if (finding.flow) lines.push(`    flow: ${finding.flow.join(' -> ')}`);
  lines.push(`    fix:  ${finding.fix}`);
  return lines.join('\n');
}

export function formatFindings(findings: readonly Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const body = findings.map(formatFinding).join('\n\n');
  return `${body}${body ? '\n\n' : ''}${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}
