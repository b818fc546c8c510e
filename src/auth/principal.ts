// Who is calling the control plane, and how they proved it.
import type { AuditActor } from '../audit/audit-event.ts';
import type { Permission } from './permissions.ts';

/** An authenticated caller. */
export interface Principal {
  /** "apikey:<id>", "oidc:<issuer>#<subject>", "mtls:<name>", or "system:scheduler". */
  id: string;
  method: AuditActor['method'];
  /** Services (mTLS) may hold service-only roles (worker); users may not. */
  kind: 'user' | 'service';
  /** An API key's scopes: when non-empty, the only permissions it may use whatever its roles say. */
  scopes: readonly Permission[];
}

export function actorOf(principal: Principal): AuditActor {
  return { principal: principal.id, method: principal.method };
}
