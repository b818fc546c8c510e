// Literal credentials in a spec file as plan findings (SLC301, an error): a spec holds references, never
// values, so one written in clear stops `sluice check` and `sluice run` with its file, line and column.
import type { Finding } from '../../plan/findings.ts';
import { scanText } from './scan-files.ts';

/** The SLC301 findings of a spec's text; `file` names it as the other findings do. Never holds the value. */
export function literalSecretFindings(text: string, file: string): Finding[] {
  return scanText(text, file).map((s) => ({
    rule: 'SLC301',
    severity: 'error',
    message: `${s.message} (${s.ruleId})`,
    location: { file, line: s.line, column: s.column },
    fix: s.fix,
  }));
}
