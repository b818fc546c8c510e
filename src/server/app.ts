// The control plane's HTTP server: every route of the route table registered with the same pipeline of
// checks (rate limit, authentication, authorization, validation), JSON errors with codes, security headers,
// metrics. The composition root (`sluice serve`) starts it over TLS; tests start it the same way.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { z } from 'zod';
import { SluiceError } from '../errors.ts';
import type { Principal } from '../auth/principal.ts';
import { actorOf } from '../auth/principal.ts';
import { redactions } from '../secrets/redaction.ts';
import { apiError } from './api-error.ts';
import { authenticate } from './authenticate.ts';
import type { ControlPlane } from './control-plane.ts';
import { PrincipalRateLimit } from './principal-rate-limit.ts';
import type { AnyRoute, StreamEvent } from './route.ts';
import { HSTS, SECURITY_HEADERS } from './security-headers.ts';
import type { ServerTlsMaterial } from './tls-server-options.ts';
import { serverTlsOptions } from './tls-server-options.ts';

/** The methods the API answers; any other gets 405. HEAD comes with every GET route. */
const ALLOWED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);

/** Request bodies above this are refused with 413 before they are parsed. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface ServerOptions {
  routes: readonly AnyRoute[];
  /** TLS material; undefined only for --insecure-dev (plain HTTP, loopback only: the caller checks). */
  tls?: ServerTlsMaterial;
}

function invalid(what: string, error: z.ZodError): SluiceError {
  return new SluiceError('SLUICE_REQUEST_INVALID', `the request ${what} does not match the schema`, {
    details: error.issues.map((i) => `${[what, ...i.path.map(String)].join('.')}: ${i.message}`),
  });
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, what: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw invalid(what, result.error);
  return result.data;
}

/** Writes server-sent events (WHATWG HTML §9.2) until the iterable ends; the reply is taken over from fastify. */
async function streamEvents(reply: FastifyReply, events: AsyncIterable<StreamEvent>, insecureDev: boolean): Promise<FastifyReply> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...SECURITY_HEADERS,
    ...(insecureDev ? {} : { 'strict-transport-security': HSTS }),
    'content-type': 'text/event-stream; charset=utf-8',
    'x-request-id': reply.request.id,
    connection: 'keep-alive',
  });
  try {
    for await (const { event, data } of events) {
      if (raw.destroyed) break;
      raw.write(`event: ${event}\ndata: ${JSON.stringify(redactions.scrubDeep(data))}\n\n`);
    }
  } finally {
    raw.end();
  }
  return reply;
}

const NO_QUERY = z.strictObject({});

function noBody(body: unknown): undefined {
  if (body !== undefined && body !== null && !(typeof body === 'object' && Object.keys(body).length === 0)) throw new SluiceError('SLUICE_REQUEST_INVALID', 'this route takes no request body');
  return undefined;
}

export async function buildServer(plane: ControlPlane, options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.tls ? { https: serverTlsOptions(options.tls) } : {}),
    bodyLimit: BODY_LIMIT_BYTES,
    // Bodies with __proto__ or constructor.prototype keys are refused, not stripped (prototype pollution).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Ids are ours: a caller-chosen request id would let it forge correlation in the audit log.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    trustProxy: false,
    return503OnClosing: true,
    connectionTimeout: 30_000,
    keepAliveTimeout: 65_000,
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  // JSON only: a text/plain body is not parsed (415), which also keeps browsers' "simple" cross-site POSTs out.
  app.removeContentTypeParser('text/plain');
  const requests = new Counter({ name: 'sluice_api_requests_total', help: 'API requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [plane.metrics] });
  const latency = new Histogram({
    name: 'sluice_api_request_duration_seconds',
    help: 'API request latency by route',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [plane.metrics],
  });
  const limiter = new PrincipalRateLimit(plane.requestsPerMinute ?? 1200);

  // TRACE, TRACK, CONNECT and any other method the API does not use: 405, before routing (SECURITY-TESTS #15).
  app.addHook('onRequest', async (request, reply) => {
    if (!ALLOWED_METHODS.has(request.method)) {
      return reply.code(405).header('allow', [...ALLOWED_METHODS].join(', ')).type('application/json').send({ error: { code: 'SLUICE_REQUEST_INVALID', message: `method ${request.method.slice(0, 16)} is not allowed`, requestId: request.id } });
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (!plane.insecureDev) reply.header('strict-transport-security', HSTS);
    reply.header('x-request-id', request.id);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    latency.observe({ route }, reply.elapsedTime / 1000);
  });

  const send = (reply: FastifyReply, error: unknown, requestId: string) => {
    const { status, body } = apiError(error, requestId);
    if (status === 500) plane.logger.error({ err: error, requestId }, 'request failed');
    const retryAfter = (error as { retryAfter?: number }).retryAfter;
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    return reply.code(status).type('application/json').send(body);
  };

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    // Fastify's own 4xx (malformed JSON, poisoned keys, body too large, bad content type): say which, not how.
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      const message = error.statusCode === 413 ? `the request body is larger than ${BODY_LIMIT_BYTES} bytes` : error.statusCode === 415 ? 'send JSON (content-type: application/json)' : 'the request body is not acceptable JSON (malformed, or it has __proto__ or constructor keys)';
      return reply.code(error.statusCode).type('application/json').send({ error: { code: 'SLUICE_REQUEST_INVALID', message, requestId: request.id } });
    }
    return send(reply, error, request.id);
  });
  app.setNotFoundHandler((request, reply) => send(reply, new SluiceError('SLUICE_NOT_FOUND', 'no such route; /api/v1/openapi.json lists them'), request.id));

  for (const route of options.routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const requestId = request.id;
        let principal: Principal | undefined;
        let audited: Promise<unknown> = Promise.resolve();
        try {
          if (route.access !== 'public') {
            ({ principal, audited } = await authenticate(plane, request, requestId));
            // A request that changes something acts only once its authentication is on record (fail closed);
            // a read runs alongside the append and answers after it.
            if (request.method !== 'GET') await audited;
            const wait = limiter.take(principal.id);
            if (wait > 0) throw Object.assign(new SluiceError('SLUICE_THROTTLED', `too many requests; retry after ${wait} s`), { retryAfter: wait });
          }
          const access = route.access;
          const denied = async () => {
            await plane.audit.append({ time: new Date().toISOString(), actor: actorOf(principal!), action: 'access.denied', resource: `api:${route.url}`, outcome: 'denied', requestId, source: request.ip, ...(typeof access === 'object' ? { reason: access.permission } : {}) });
          };
          if (typeof access === 'object' && principal) {
            const allowed = access.scope === 'global' ? (await plane.authorizer.decide(principal, access.permission, '*')).allowed : (await plane.authorizer.namespacesWith(principal, access.permission)).size > 0;
            if (!allowed) {
              await denied();
              throw new SluiceError('SLUICE_FORBIDDEN', `this needs the permission ${access.permission}, which none of your role bindings or grants gives`);
            }
          }
          // Only event streams outlive their handler and need to hear that the caller went away.
          const disconnected = new AbortController();
          if (route.eventStream) request.raw.on('close', () => disconnected.abort());
          const result: unknown = await route.handler({
            params: parse<unknown>(route.params, request.params, 'params'),
            // Routes without a query or body schema take none: an unexpected one is refused, not ignored.
            query: parse<unknown>(route.query ?? NO_QUERY, request.query, 'query'),
            body: route.body ? parse<unknown>(route.body, request.body, 'body') : noBody(request.body),
            principal: principal as Principal,
            requestId,
            sourceAddress: request.ip,
            plane,
            authorize: async (namespace: string) => {
              if (typeof access !== 'object' || !principal) throw new Error(`route ${route.url} has no permission to authorize`);
              const decision = await plane.authorizer.decide(principal, access.permission, namespace);
              if (!decision.allowed) {
                await denied();
                throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
              }
              return decision;
            },
            visibleNamespaces: async () => {
              if (typeof access !== 'object' || !principal) throw new Error(`route ${route.url} has no permission to list by`);
              return await plane.authorizer.namespacesWith(principal, access.permission);
            },
            header: (name, value) => void reply.header(name, value),
            signal: disconnected.signal,
          });
          await audited;
          if (route.eventStream) return await streamEvents(reply, result as AsyncIterable<StreamEvent>, plane.insecureDev === true);
          if (route.contentType !== undefined) return reply.code(route.status ?? 200).type(route.contentType).send(redactions.scrub(String(result)));
          return reply.code(route.status ?? 200).type('application/json').send(redactions.scrubDeep(result));
        } catch (error) {
          return send(reply, await audited.then(() => error, (auditError: unknown) => auditError), requestId);
        }
      },
    });
  }
  return app;
}

