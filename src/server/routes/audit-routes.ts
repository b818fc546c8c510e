// The audit log over the API: query with paging, and verification.
import { z } from 'zod';
import { AUDIT_ACTIONS } from '../../audit/audit-event.ts';
import { toEcs, toJsonLine } from '../../audit/export/formats.ts';
import type { AuditAction } from '../../audit/audit-event.ts';
import { actorOf } from '../../auth/principal.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute } from '../route.ts';
import { empty, limit } from './api-schemas.ts';

const actions = Object.keys(AUDIT_ACTIONS) as [AuditAction, ...AuditAction[]];
const isoTime = z.iso.datetime({ offset: true });

const eventSchema = z.strictObject({
  seq: z.number(),
  time: z.string(),
  actor: z.strictObject({ principal: z.string(), method: z.string() }),
  action: z.string(),
  resource: z.string(),
  outcome: z.string(),
  requestId: z.string().optional(),
  source: z.string().optional(),
  reason: z.string().optional(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

export function auditRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/events',
      summary: 'Audit events by actor, action, resource, outcome and time; page with afterSeq',
      tag: 'audit',
      access: { permission: 'audit:read', scope: 'global' },
      query: z.strictObject({
        principal: z.string().max(500).optional(),
        action: z.enum(actions).optional(),
        resource: z.string().max(500).optional(),
        outcome: z.enum(['success', 'failure', 'denied']).optional(),
        from: isoTime.optional(),
        to: isoTime.optional(),
        afterSeq: z.coerce.number().int().min(0).optional(),
        limit,
      }),
      response: z.strictObject({ events: z.array(eventSchema), nextAfterSeq: z.number().optional() }),
      handler: async ({ plane, query }) => {
        // Stored times are UTC ISO strings compared as text: one spelling for every instant asked about.
        const instant = (text: string | undefined) => (text === undefined ? undefined : new Date(text).toISOString());
        const from = instant(query.from);
        const to = instant(query.to);
        const events = await plane.store.queryAuditEvents({ ...query, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
        const last = events.at(-1);
        return { events: events.map((e) => ({ ...e })), ...(events.length === query.limit && last ? { nextAfterSeq: last.seq } : {}) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/audit/verify',
      summary: 'Verify the whole audit log: hash chain, Merkle tree, signed checkpoints',
      tag: 'audit',
      access: { permission: 'audit:verify', scope: 'global' },
      query: empty,
      response: z.strictObject({ ok: z.boolean(), size: z.number(), firstBadSeq: z.number().optional(), problems: z.array(z.string()), checkpointsVerified: z.number() }),
      handler: async ({ plane, principal, requestId, sourceAddress }) => {
        const result = await plane.verifyAudit();
        await plane.audit.append({
          time: new Date().toISOString(),
          actor: actorOf(principal),
          action: 'audit.verify',
          resource: 'audit:log',
          outcome: result.ok ? 'success' : 'failure',
          requestId,
          source: sourceAddress,
          details: { size: result.size, ...(result.firstBadSeq !== undefined ? { firstBadSeq: result.firstBadSeq } : {}) },
        });
        return { ok: result.ok, size: result.size, problems: result.problems, checkpointsVerified: result.checkpointsVerified, ...(result.firstBadSeq !== undefined ? { firstBadSeq: result.firstBadSeq } : {}) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/export',
      summary: 'The log as JSON Lines or ECS documents (one per line) with sequence numbers and hashes, so a SIEM can re-verify the chain',
      tag: 'audit',
      access: { permission: 'audit:read', scope: 'global' },
      query: z.strictObject({ format: z.enum(['jsonl', 'ecs']).default('jsonl'), afterSeq: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(10_000).default(1000) }),
      contentType: 'application/x-ndjson; charset=utf-8',
      response: z.string().describe('one event per line'),
      handler: async ({ plane, query, principal, requestId, sourceAddress }) => {
        const rows = await plane.store.readAuditRows(query.afterSeq + 1, query.limit);
        await plane.audit.append({ time: new Date().toISOString(), actor: actorOf(principal), action: 'data.read', resource: 'audit:log', outcome: 'success', requestId, source: sourceAddress, details: { export: query.format, events: rows.length, afterSeq: query.afterSeq } });
        return rows.map((row) => (query.format === 'ecs' ? JSON.stringify(toEcs(row)) : toJsonLine(row)) + '\n').join('');
      },
    }),
  ];
}
