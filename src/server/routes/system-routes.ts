// Health, readiness, metrics, the OpenAPI document and "who am I".
import { z } from 'zod';
import { defineRoute } from '../route.ts';
import type { AnyRoute } from '../route.ts';
import { empty } from './api-schemas.ts';

export function systemRoutes(openapi: () => unknown): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/health',
      summary: 'Liveness: the process answers',
      tag: 'system',
      access: 'public',
      response: z.strictObject({ status: z.literal('ok') }),
      handler: async () => ({ status: 'ok' as const }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/ready',
      summary: 'Readiness: the state store answers',
      tag: 'system',
      access: 'public',
      response: z.strictObject({ status: z.literal('ready') }),
      handler: async ({ plane }) => {
        await plane.store.auditHead();
        return { status: 'ready' as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tag: 'system',
      access: { permission: 'metrics:read', scope: 'global' },
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      response: z.string(),
      handler: async ({ plane }) => await plane.metrics.metrics(),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/openapi.json',
      summary: 'This API, as an OpenAPI 3.1 document (for authenticated callers: the inventory is not advertised)',
      tag: 'system',
      access: 'authenticated',
      response: z.record(z.string(), z.unknown()),
      handler: async () => openapi() as Record<string, unknown>,
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/whoami',
      summary: 'The caller: its principal, how it authenticated, its scopes and role bindings',
      tag: 'system',
      access: 'authenticated',
      query: empty,
      response: z.strictObject({
        principal: z.string(),
        method: z.string(),
        kind: z.enum(['user', 'service']),
        scopes: z.array(z.string()),
        bindings: z.array(z.strictObject({ role: z.string(), namespace: z.string(), clearance: z.string() })),
      }),
      handler: async ({ principal, plane }) => ({
        principal: principal.id,
        method: principal.method,
        kind: principal.kind,
        scopes: [...principal.scopes],
        bindings: (await plane.store.access.listBindings(principal.id)).map((b) => ({ role: b.role, namespace: b.namespace, clearance: b.clearance })),
      }),
    }),
  ];
}
