// A control-plane route is a declaration: method, path, the permission it needs, its request and response
// schemas, and a handler. Authentication, authorization, validation, auditing of denials and the OpenAPI
// document all derive from the declaration, so a route cannot skip them (the handler never sees an
// unchecked request).
import type { z } from 'zod';
import type { Permission } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import type { Decision } from '../auth/authorizer.ts';
import type { ControlPlane } from './control-plane.ts';

/**
 * What a route needs from its caller:
 * - a permission: held in the '*' namespace for global routes, in some namespace for namespaced ones (the handler
 *   then calls `authorize(namespace)` for the object it found, and a denial answers 404 like a missing id);
 * - 'authenticated': any authenticated principal (the caller's own grants, for instance);
 * - 'public': no credential (health, readiness, the OpenAPI document).
 */
export type RouteAccess = { permission: Permission; scope: 'global' | 'namespaced' } | 'authenticated' | 'public';

/** What a handler receives: the validated request and the caller. */
export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Undefined only on public routes. */
  principal: Principal;
  requestId: string;
  sourceAddress: string;
  plane: ControlPlane;
  /**
   * For namespaced routes: checks the route's permission in the object's namespace; throws SLUICE_NOT_FOUND when
   * it is not held, so an object outside the caller's scope looks exactly like a missing one.
   */
  authorize: (namespace: string) => Promise<Decision>;
  /** For namespaced list routes: the namespaces where the caller holds the route's permission ('*' = all). */
  visibleNamespaces: () => Promise<ReadonlySet<string>>;
  /** Aborted when the caller disconnects (event streams stop on it). */
  signal: AbortSignal;
  /** Sets a header on the reply (Location, Retry-After). */
  header: (name: string, value: string) => void;
}

export interface Route<P = unknown, Q = unknown, B = unknown, R = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify path syntax: /api/v1/pipelines/:namespace/:name */
  url: string;
  summary: string;
  tag: string;
  access: RouteAccess;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  response: z.ZodType<R>;
  /** 200 unless said otherwise (201 on create, 202 on a started run). */
  status?: number;
  /** The answer's media type when it is not JSON (Prometheus text for /metrics). */
  contentType?: string;
  /**
   * A server-sent events stream (text/event-stream): the handler returns the events as an async iterable, and
   * the stream ends when it does or when the caller goes away (context.signal).
   */
  eventStream?: boolean;
  handler(context: RouteContext<P, Q, B>): Promise<R>;
}

/** Declares a route with its types inferred from the schemas. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined, R = unknown>(route: Route<P, Q, B, R>): Route<P, Q, B, R> {
  return route;
}

/** One server-sent event. */
export interface StreamEvent {
  event: string;
  data: unknown;
}

/** A route of any types, as the route table holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = Route<any, any, any, any>;
