// Human text for `sluice audit verify`, here or over --server.

/** What a verification found (see verifyAuditLog). */
export interface AuditVerifyResult {
  ok: boolean;
  size: number;
  checkpointsVerified: number;
  firstBadSeq?: number;
  problems: readonly string[];
}

export function formatAuditVerify(result: AuditVerifyResult): string {
  if (result.ok) return `audit log ok: ${result.size} events, ${result.checkpointsVerified} checkpoint(s) matched`;
  const lines = [`audit log FAILED verification${result.firstBadSeq !== undefined ? `: first bad event ${result.firstBadSeq}` : ''}`];
  for (const problem of result.problems) lines.push(`  ${problem}`);
  return lines.join('\n');
}
