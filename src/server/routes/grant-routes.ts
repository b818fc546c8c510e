// Just-in-time access: a principal asks for one sensitive permission in one namespace for a bounded time, with a
// reason; another principal holding grants:approve approves or denies it (two-person rule: never the requester);
// an approved grant ends on its own at expiresAt and can be revoked before. Every step is audited.
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { SluiceError } from '../../errors.ts';
import { GRANTABLE } from '../../auth/permissions.ts';
import type { Permission } from '../../auth/permissions.ts';
import type { AccessGrant, GrantStatus } from '../../auth/access-store.ts';
import { actorOf } from '../../auth/principal.ts';
import type { AuditAction } from '../../audit/audit-event.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute, RouteContext } from '../route.ts';
import { catalogName, empty, idParams } from './api-schemas.ts';
import { auditedAct } from './audited-act.ts';

/** Requests one principal may have waiting at once. */
export const MAX_PENDING_GRANTS = 10;

const grantSchema = z.strictObject({
  id: z.string(),
  principal: z.string(),
  permission: z.string(),
  namespace: z.string(),
  reason: z.string(),
  durationSeconds: z.number(),
  status: z.enum(['pending', 'approved', 'denied', 'revoked']),
  /** An approved grant past its expiry is reported as expired. */
  expired: z.boolean(),
  requestedAt: z.string(),
  decidedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  expiresAt: z.string().optional(),
});

function view(grant: AccessGrant, now: Date): z.infer<typeof grantSchema> {
  return { ...grant, expired: grant.status === 'approved' && grant.expiresAt !== undefined && Date.parse(grant.expiresAt) <= now.getTime() };
}

function grantDetails(grant: AccessGrant): Record<string, string | number> {
  return { principal: grant.principal, permission: grant.permission, namespace: grant.namespace, durationSeconds: grant.durationSeconds };
}

/** Records a refusal (self-approval and the like). */
async function audit(context: RouteContext<unknown, unknown, unknown>, action: AuditAction, grant: AccessGrant, outcome: 'success' | 'denied' = 'success', reason?: string): Promise<void> {
  await context.plane.audit.append({
    time: new Date().toISOString(),
    actor: actorOf(context.principal),
    action,
    resource: `grant:${grant.id}`,
    outcome,
    requestId: context.requestId,
    source: context.sourceAddress,
    ...(reason !== undefined ? { reason } : {}),
    details: grantDetails(grant),
  });
}

/** Approve or deny: only by another principal, only while pending. */
function decide(status: Extract<GrantStatus, 'approved' | 'denied'>): (context: RouteContext<{ id: string }, unknown, unknown>) => Promise<z.infer<typeof grantSchema>> {
  const action: AuditAction = status === 'approved' ? 'grant.approve' : 'grant.deny';
  return async (context) => {
    const { plane, params, principal } = context;
    const grant = await plane.store.access.getGrant(params.id);
    if (!grant) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
    if (grant.principal === principal.id) {
      await audit(context, action, grant, 'denied', 'self-approval');
      throw new SluiceError('SLUICE_FORBIDDEN', 'a grant must be decided by someone other than its requester (two-person rule)');
    }
    // An approver lends only what it holds itself there.
    if (status === 'approved' && !(await plane.authorizer.decide(principal, grant.permission, grant.namespace)).allowed) {
      await audit(context, action, grant, 'denied', 'approver-lacks-permission');
      throw new SluiceError('SLUICE_FORBIDDEN', `you do not hold ${grant.permission} in ${grant.namespace} yourself, so you cannot lend it`);
    }
    if (grant.status !== 'pending') throw new SluiceError('SLUICE_CONFLICT', `grant ${grant.id} is ${grant.status}, not pending: it was already decided`);
    const now = plane.now?.() ?? new Date();
    const expiresAt = status === 'approved' ? new Date(now.getTime() + grant.durationSeconds * 1000).toISOString() : undefined;
    await auditedAct(context, { action, resource: `grant:${grant.id}`, details: { ...grantDetails(grant), ...(expiresAt ? { expiresAt } : {}) } }, async () => {
      const changed = await plane.store.access.decideGrant(grant.id, 'pending', { status, decidedBy: principal.id, decidedAt: now.toISOString(), ...(expiresAt ? { expiresAt } : {}) });
      if (!changed) throw new SluiceError('SLUICE_CONFLICT', `grant ${grant.id} was decided by another request first`);
    });
    return view((await plane.store.access.getGrant(grant.id))!, now);
  };
}

export function grantRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/grants',
      summary: 'Ask for time-bound access to a sensitive permission in a namespace where you hold a role',
      tag: 'grants',
      access: { permission: 'grants:request', scope: 'namespaced' },
      query: empty,
      status: 201,
      body: z.strictObject({
        permission: z.enum(GRANTABLE as [Permission, ...Permission[]]),
        namespace: z.union([catalogName, z.literal('*')]).describe("a namespace, or '*' for permissions that are not namespaced (keys:rotate, subjects:erase, audit:read)"),
        reason: z.string().trim().min(3).max(500),
        durationMinutes: z.number().int().min(1).max(8 * 60),
      }),
      response: grantSchema,
      handler: async (context) => {
        const { plane, body, principal } = context;
        await context.authorize(body.namespace);
        // A principal may have a bounded number of requests waiting: a flood of them would bury the real ones.
        if ((await plane.store.access.listGrants({ principal: principal.id, status: 'pending' })).length >= MAX_PENDING_GRANTS) {
          throw Object.assign(new SluiceError('SLUICE_THROTTLED', `you have ${MAX_PENDING_GRANTS} requests waiting already; wait for them to be decided`), { retryAfter: 60 });
        }
        const now = plane.now?.() ?? new Date();
        const grant: AccessGrant = { id: randomUUID(), principal: principal.id, permission: body.permission, namespace: body.namespace, reason: body.reason, durationSeconds: body.durationMinutes * 60, status: 'pending', requestedAt: now.toISOString() };
        await auditedAct(context, { action: 'grant.request', resource: `grant:${grant.id}`, details: grantDetails(grant) }, () => plane.store.access.createGrant(grant));
        context.header('location', `/api/v1/grants/${grant.id}`);
        return view(grant, now);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/grants',
      summary: "The caller's own grants; approvers see everyone's",
      tag: 'grants',
      access: 'authenticated',
      query: z.strictObject({ status: z.enum(['pending', 'approved', 'denied', 'revoked']).optional() }),
      response: z.strictObject({ grants: z.array(grantSchema) }),
      handler: async ({ plane, principal, query }) => {
        const approver = (await plane.authorizer.decide(principal, 'grants:approve', '*')).allowed;
        const grants = await plane.store.access.listGrants({ ...(approver ? {} : { principal: principal.id }), ...(query.status ? { status: query.status } : {}) });
        const now = plane.now?.() ?? new Date();
        return { grants: grants.map((g) => view(g, now)) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/grants/:id/approve',
      summary: 'Approve a pending grant (not your own): it starts now and ends after its duration',
      tag: 'grants',
      access: { permission: 'grants:approve', scope: 'global' },
      params: idParams,
      query: empty,
      response: grantSchema,
      handler: decide('approved'),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/grants/:id/deny',
      summary: 'Deny a pending grant (not your own)',
      tag: 'grants',
      access: { permission: 'grants:approve', scope: 'global' },
      params: idParams,
      query: empty,
      response: grantSchema,
      handler: decide('denied'),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/grants/:id/revoke',
      summary: 'End an approved grant now (its holder or an approver)',
      tag: 'grants',
      access: 'authenticated',
      params: idParams,
      query: empty,
      response: grantSchema,
      handler: async (context) => {
        const { plane, params, principal } = context;
        const grant = await plane.store.access.getGrant(params.id);
        const approver = (await plane.authorizer.decide(principal, 'grants:approve', '*')).allowed;
        // Someone else's grant is invisible to a non-approver: 404, as for a missing id.
        if (!grant || (grant.principal !== principal.id && !approver)) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
        const now = plane.now?.() ?? new Date();
        if (grant.status !== 'approved') throw new SluiceError('SLUICE_CONFLICT', `grant ${grant.id} is ${grant.status}, not approved: there is nothing to revoke`);
        await auditedAct(context, { action: 'grant.revoke', resource: `grant:${grant.id}`, details: grantDetails(grant) }, async () => {
          if (!(await plane.store.access.decideGrant(grant.id, 'approved', { status: 'revoked', decidedBy: principal.id, decidedAt: now.toISOString() }))) {
            throw new SluiceError('SLUICE_CONFLICT', `grant ${grant.id} was revoked by another request first`);
          }
        });
        return view((await plane.store.access.getGrant(grant.id))!, now);
      },
    }),
  ];
}
