// Anomaly detection over the stored log, for the embedded mode where no process lives long enough to watch the
// stream: the detectors are deterministic given the events in order (time comes only from events), so replaying
// the log gives the same alerts a live watcher would have raised. Alerts already recorded are not raised twice.
import type { AuditStore } from './audit-store.ts';
import type { RecordedAuditEvent } from './audit-event.ts';
import { AnomalyDetector } from './anomaly/anomaly-detector.ts';
import type { AnomalyConfigInput } from './anomaly/config.ts';
import type { Alert } from './anomaly/detector.ts';

const PAGE = 10_000;

/** A stable identity of an alert: what it is about, which kind, when. */
export function alertKey(alert: Pick<Alert, 'kind' | 'principal' | 'source' | 'time'>): string {
  return `${alert.kind}\u0000${alert.principal ?? ''}\u0000${alert.source ?? ''}\u0000${alert.time}`;
}

function recordedKey(event: RecordedAuditEvent): string | undefined {
  const kind = event.details?.kind;
  if (typeof kind !== 'string') return undefined;
  const [type, ...rest] = event.resource.split(':');
  const subject = rest.join(':');
  return `${kind}\u0000${type === 'principal' ? subject : ''}\u0000${type === 'source' ? subject : ''}\u0000${event.time}`;
}

/** Every alert the log's events raise, and which of them are not yet recorded as audit.alert events. */
export async function replayAlerts(store: AuditStore, config: AnomalyConfigInput = {}): Promise<{ alerts: Alert[]; unrecorded: Alert[]; events: number }> {
  const detector = new AnomalyDetector(config);
  const alerts: Alert[] = [];
  const recorded = new Set<string>();
  let events = 0;
  for (let after = 0; ; ) {
    const page = await store.queryAuditEvents({ afterSeq: after, limit: PAGE });
    for (const event of page) {
      events++;
      if (event.action === 'audit.alert') {
        const key = recordedKey(event);
        if (key !== undefined) recorded.add(key);
        continue;
      }
      alerts.push(...detector.observe(event));
    }
    if (page.length < PAGE) break;
    after = page.at(-1)!.seq;
  }
  return { alerts, unrecorded: alerts.filter((a) => !recorded.has(alertKey(a))), events };
}
