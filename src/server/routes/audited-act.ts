// A state change over the API is on record before it happens (fail closed: if the audit log cannot be written,
// nothing changes). If the change then fails, a failure event with the same request id follows it.
import type { AuditEvent } from '../../audit/audit-event.ts';
import { actorOf } from '../../auth/principal.ts';
import type { RouteContext } from '../route.ts';

export type ActEvent = Pick<AuditEvent, 'action' | 'resource'> & { details?: AuditEvent['details'] };

export async function auditedAct<T>(context: Pick<RouteContext<unknown, unknown, unknown>, 'plane' | 'principal' | 'requestId' | 'sourceAddress'>, event: ActEvent, act: () => Promise<T>): Promise<T> {
  const base = { actor: actorOf(context.principal), requestId: context.requestId, source: context.sourceAddress, ...event };
  await context.plane.audit.append({ time: new Date().toISOString(), outcome: 'success', ...base });
  try {
    return await act();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    await context.plane.audit.append({ time: new Date().toISOString(), outcome: 'failure', ...base, reason: typeof code === 'string' ? code : 'SLUICE_INTERNAL' }).catch(() => undefined);
    throw error;
  }
}
