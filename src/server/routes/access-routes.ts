// Access management: API keys (the value shown once) and role bindings. Admin only (access:manage).
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { createApiKey } from '../../auth/api-key.ts';
import { ALL_PERMISSIONS } from '../../auth/permissions.ts';
import type { Permission } from '../../auth/permissions.ts';
import type { Principal } from '../../auth/principal.ts';
import type { RoleDefinition } from '../../auth/permissions.ts';
import { isWithin } from '../../spec/classification.ts';
import type { Classification } from '../../spec/classification.ts';
import { auditedAct } from './audited-act.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute } from '../route.ts';
import type { ControlPlane } from '../control-plane.ts';
import { classification, empty, idParams } from './api-schemas.ts';

const permission = z.enum(ALL_PERMISSIONS as [Permission, ...Permission[]]);
const namespace = z.string().regex(/^(\*|[a-z0-9][a-z0-9_-]{0,62})$/, "a namespace, or '*' for all");
const principalName = z.string().regex(/^(apikey|oidc|mtls):.{1,490}$/, 'a principal: apikey:<id>, oidc:<issuer>#<subject> or mtls:<name>');
const bindingBody = z.strictObject({ principal: principalName, role: z.string().min(1).max(63), namespace, clearance: classification });
const bindingSchema = z.strictObject({ principal: z.string(), role: z.string(), namespace: z.string(), clearance: z.string(), createdAt: z.string(), createdBy: z.string() });
const apiKeySchema = z.strictObject({ id: z.string(), principal: z.string(), name: z.string(), scopes: z.array(z.string()), createdAt: z.string(), createdBy: z.string(), expiresAt: z.string().optional(), revokedAt: z.string().optional() });

function checkRole(plane: ControlPlane, role: string): RoleDefinition {
  const definition = Object.hasOwn(plane.authorizer.roles, role) ? plane.authorizer.roles[role] : undefined;
  if (!definition) throw new SluiceError('SLUICE_REQUEST_INVALID', `no such role; roles: ${Object.keys(plane.authorizer.roles).join(', ')}`);
  return definition;
}

/**
 * Nobody hands out more than they hold: every permission of the role must be the caller's own in that namespace
 * (after its key's scopes), and the clearance at most the caller's. Without this ceiling a key scoped to
 * access:manage, or a custom role with only access:manage, would mint itself admin.
 */
async function checkCeiling(plane: ControlPlane, caller: Principal, role: RoleDefinition, roleName: string, namespace: string, clearance: Classification): Promise<void> {
  for (const permission of role.permissions) {
    if (!(await plane.authorizer.decide(caller, permission, namespace)).allowed) {
      throw new SluiceError('SLUICE_FORBIDDEN', `role '${roleName}' includes ${permission} in ${namespace}, which you do not hold there; nobody can give more than they have`);
    }
  }
  const own = (await plane.authorizer.decide(caller, 'access:manage', namespace)).clearance;
  if (!isWithin(clearance, own)) throw new SluiceError('SLUICE_FORBIDDEN', `clearance ${clearance} is above your own (${own})`);
}

/** A service-only role (worker) bound to a user, or any role bound to a system principal, would do nothing or too much. */
function checkKind(principal: string, role: RoleDefinition, roleName: string): void {
  if (role.serviceOnly && !principal.startsWith('mtls:')) throw new SluiceError('SLUICE_REQUEST_INVALID', `role '${roleName}' is for services (mtls:<name> principals) only`);
}

export function accessRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/api-keys',
      summary: 'API keys (never their values)',
      tag: 'access',
      access: { permission: 'access:manage', scope: 'global' },
      query: empty,
      response: z.strictObject({ apiKeys: z.array(apiKeySchema) }),
      handler: async ({ plane }) => ({
        apiKeys: (await plane.store.access.listApiKeys()).map((k) => ({
          id: k.id,
          principal: `apikey:${k.id}`,
          name: k.name,
          scopes: [...k.scopes],
          createdAt: k.createdAt,
          createdBy: k.createdBy,
          ...(k.expiresAt !== undefined ? { expiresAt: k.expiresAt } : {}),
          ...(k.revokedAt !== undefined ? { revokedAt: k.revokedAt } : {}),
        })),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/api-keys',
      summary: 'Create an API key with role bindings; the key is in this answer and nowhere else, ever',
      tag: 'access',
      access: { permission: 'access:manage', scope: 'global' },
      query: empty,
      status: 201,
      body: z.strictObject({
        name: z.string().min(1).max(200),
        scopes: z.array(permission).max(32).default([]),
        expiresInDays: z.number().int().min(1).max(3650).optional(),
        bindings: z.array(bindingBody.omit({ principal: true })).max(32).default([]),
      }),
      response: z.strictObject({ id: z.string(), principal: z.string(), key: z.string(), expiresAt: z.string().optional() }),
      handler: async (context) => {
        const { plane, body, principal } = context;
        for (const b of body.bindings) {
          const role = checkRole(plane, b.role);
          checkKind('apikey:', role, b.role);
          await checkCeiling(plane, principal, role, b.role, b.namespace, b.clearance);
        }
        // A scoped caller makes only keys scoped within its own scopes.
        if (principal.scopes.length > 0 && (body.scopes.length === 0 || !body.scopes.every((s) => principal.scopes.includes(s)))) {
          throw new SluiceError('SLUICE_FORBIDDEN', `your key is scoped to ${principal.scopes.join(', ')}: a key it creates must be scoped within those`);
        }
        const now = new Date();
        const created = createApiKey({ name: body.name, createdBy: principal.id, scopes: body.scopes, ...(body.expiresInDays !== undefined ? { expiresAt: new Date(now.getTime() + body.expiresInDays * 86_400_000) } : {}), now });
        const keyPrincipal = `apikey:${created.record.id}`;
        await auditedAct(context, { action: 'config.change', resource: keyPrincipal, details: { what: 'api-key.create', bindings: body.bindings.length, scopes: body.scopes.join(',') } }, async () => {
          await plane.store.access.createApiKey(created.record);
          for (const b of body.bindings) await plane.store.access.bindRole({ ...b, principal: keyPrincipal, createdAt: now.toISOString(), createdBy: principal.id });
        });
        return { id: created.record.id, principal: keyPrincipal, key: created.value, ...(created.record.expiresAt !== undefined ? { expiresAt: created.record.expiresAt } : {}) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/api-keys/:id',
      summary: 'Revoke an API key: the next request with it is refused',
      tag: 'access',
      access: { permission: 'access:manage', scope: 'global' },
      params: idParams,
      query: empty,
      response: z.strictObject({ id: z.string(), revoked: z.literal(true) }),
      handler: async (context) => {
        const { plane, params } = context;
        const key = await plane.store.access.getApiKey(params.id);
        if (!key || key.revokedAt !== undefined) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
        await auditedAct(context, { action: 'config.change', resource: `apikey:${params.id}`, details: { what: 'api-key.revoke' } }, async () => {
          if (!(await plane.store.access.revokeApiKey(params.id, new Date().toISOString()))) throw new SluiceError('SLUICE_CONFLICT', 'the key was revoked by another request first');
        });
        return { id: params.id, revoked: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/role-bindings',
      summary: 'Role bindings, of one principal or all',
      tag: 'access',
      access: { permission: 'access:manage', scope: 'global' },
      query: z.strictObject({ principal: z.string().max(500).optional() }),
      response: z.strictObject({ bindings: z.array(bindingSchema) }),
      handler: async ({ plane, query }) => ({ bindings: (await plane.store.access.listBindings(query.principal)).map((b) => ({ ...b })) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/role-bindings',
      summary: 'Bind a role to a principal in a namespace, up to a clearance',
      tag: 'access',
      access: { permission: 'access:manage', scope: 'global' },
      query: empty,
      status: 201,
      body: bindingBody,
      response: bindingSchema,
      handler: async (context) => {
        const { plane, body, principal } = context;
        const role = checkRole(plane, body.role);
        checkKind(body.principal, role, body.role);
        if (body.principal === principal.id) throw new SluiceError('SLUICE_FORBIDDEN', 'a principal cannot bind roles to itself; ask another admin');
        await checkCeiling(plane, principal, role, body.role, body.namespace, body.clearance);
        const binding = { ...body, createdAt: new Date().toISOString(), createdBy: principal.id };
        await auditedAct(context, { action: 'config.change', resource: body.principal, details: { what: 'role-binding.create', role: body.role, namespace: body.namespace, clearance: body.clearance } }, () => plane.store.access.bindRole(binding));
        return binding;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/role-bindings',
      summary: 'Remove a role binding',
      tag: 'access',
      access: { permission: 'access:manage', scope: 'global' },
      query: bindingBody.omit({ clearance: true }),
      response: z.strictObject({ removed: z.literal(true) }),
      handler: async (context) => {
        const { plane, query } = context;
        const exists = (await plane.store.access.listBindings(query.principal)).some((b) => b.role === query.role && b.namespace === query.namespace);
        if (!exists) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
        await auditedAct(context, { action: 'config.change', resource: query.principal, details: { what: 'role-binding.remove', role: query.role, namespace: query.namespace } }, async () => {
          if (!(await plane.store.access.unbindRole(query.principal, query.role, query.namespace))) throw new SluiceError('SLUICE_CONFLICT', 'the binding was removed by another request first');
        });
        return { removed: true as const };
      },
    }),
  ];
}
