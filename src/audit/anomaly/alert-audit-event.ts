// An alert as an audit event of its own (audit.alert), so alerts are kept, chained and verified like every act.
import type { AuditActor, AuditEvent } from '../audit-event.ts';
import type { Alert } from './detector.ts';

/**
 * The audit.alert event for `alert`, raised by `actor` (the server's own identity). The resource is the
 * principal or address the alert is about; details hold the kind, score, threshold and evidence counts, and the
 * dataset names of a new-datasets alert: names and counts only, as in the alert.
 */
export function alertAuditEvent(alert: Alert, actor: AuditActor): AuditEvent {
  const details: Record<string, string | number | boolean> = { kind: alert.kind, score: alert.score, threshold: alert.threshold, message: alert.message };
  for (const [name, value] of Object.entries(alert.evidence)) details[`evidence.${name}`] = value;
  if (alert.datasets !== undefined) details.datasets = alert.datasets.join(', ');
  const resource = alert.principal !== undefined ? `principal:${alert.principal}` : `source:${alert.source ?? 'unknown'}`;
  return { time: alert.time, actor, action: 'audit.alert', resource, outcome: 'success', details };
}
