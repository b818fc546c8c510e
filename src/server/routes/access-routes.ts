// Access management: API keys (the value shown once) and role bindings. Admin only (access:manage).
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { createApiKey } from '../../auth/api-key.ts';
import { ALL_PERMISSIONS } from '../../auth/permissions.ts';
import type { Permission } from '../../auth/permissions.ts';
import { actorOf } from '../../auth/principal.ts';
import type { Principal } from '../../auth/principal.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute } from '../route.ts';
import type { ControlPlane } from '../control-plane.ts';
import { classification, empty, idParams } from './api-schemas.ts';

const permission = z.enum(ALL_PERMISSIONS as [Permission, ...Permission[]]);
const namespace = z.string().regex(/^(\*|[a-z0-9][a-z0-9_-]{0,62})$/, "a namespace, or '*' for all");
const bindingBody = z.strictObject({ principal: z.string().min(3).max(500), role: z.string().min(1).max(63), namespace, clearance: classification });
const bindingSchema = z.strictObject({ principal: z.string(), role: z.string(), namespace: z.string(), clearance: z.string(), createdAt: z.string(), createdBy: z.string() });
const apiKeySchema = z.strictObject({ id: z.string(), principal: z.string(), name: z.string(), scopes: z.array(z.string()), createdAt: z.string(), createdBy: z.string(), expiresAt: z.string().optional(), revokedAt: z.string().optional() });

async function configChange(plane: ControlPlane, principal: Principal, requestId: string, source: string, resource: string, details: Record<string, string | number | boolean>): Promise<void> {
  await plane.audit.append({ time: new Date().toISOString(), actor: actorOf(principal), action: 'config.change', resource, outcome: 'success', requestId, source, details });
}

function checkRole(plane: ControlPlane, role: string): void {
  if (!Object.hasOwn(plane.authorizer.roles, role)) throw new SluiceError('SLUICE_REQUEST_INVALID', `no such role; roles: ${Object.keys(plane.authorizer.roles).join(', ')}`);
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
      handler: async ({ plane, body, principal, requestId, sourceAddress }) => {
        for (const b of body.bindings) checkRole(plane, b.role);
        const now = new Date();
        const created = createApiKey({ name: body.name, createdBy: principal.id, scopes: body.scopes, ...(body.expiresInDays !== undefined ? { expiresAt: new Date(now.getTime() + body.expiresInDays * 86_400_000) } : {}), now });
        await plane.store.access.createApiKey(created.record);
        const keyPrincipal = `apikey:${created.record.id}`;
        for (const b of body.bindings) await plane.store.access.bindRole({ ...b, principal: keyPrincipal, createdAt: now.toISOString(), createdBy: principal.id });
        await configChange(plane, principal, requestId, sourceAddress, keyPrincipal, { what: 'api-key.create', bindings: body.bindings.length });
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
      handler: async ({ plane, params, principal, requestId, sourceAddress }) => {
        if (!(await plane.store.access.revokeApiKey(params.id, new Date().toISOString()))) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
        await configChange(plane, principal, requestId, sourceAddress, `apikey:${params.id}`, { what: 'api-key.revoke' });
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
      handler: async ({ plane, body, principal, requestId, sourceAddress }) => {
        checkRole(plane, body.role);
        const binding = { ...body, createdAt: new Date().toISOString(), createdBy: principal.id };
        await plane.store.access.bindRole(binding);
        await configChange(plane, principal, requestId, sourceAddress, body.principal, { what: 'role-binding.create', role: body.role, namespace: body.namespace, clearance: body.clearance });
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
      handler: async ({ plane, query, principal, requestId, sourceAddress }) => {
        if (!(await plane.store.access.unbindRole(query.principal, query.role, query.namespace))) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
        await configChange(plane, principal, requestId, sourceAddress, query.principal, { what: 'role-binding.remove', role: query.role, namespace: query.namespace });
        return { removed: true as const };
      },
    }),
  ];
}
