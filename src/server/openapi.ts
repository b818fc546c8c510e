// The OpenAPI 3.1 document, generated from the route table's schemas (zod → JSON Schema 2020-12, which 3.1
// uses as is).
import { z } from 'zod';
import type { AnyRoute } from './route.ts';
import { PERMISSIONS } from '../auth/permissions.ts';
import { errorSchema } from './routes/api-schemas.ts';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s }));
}

const ERRORS: Record<string, string> = {
  '400': 'the request does not match its schema',
  '401': 'no credential, or one that was not accepted',
  '403': 'the permission is not held',
  '404': 'no such object, or one outside your scope',
  '429': 'throttled: see Retry-After',
};

export function openApiDocument(routes: readonly AnyRoute[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const access = route.access;
    const operation: JsonSchema = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } } : {}),
      responses: {
        [String(route.status ?? 200)]: { description: 'success', content: { [route.contentType ?? 'application/json']: { schema: schemaOf(route.response, 'output') } } },
        ...Object.fromEntries(Object.entries(ERRORS).filter(([code]) => access !== 'public' || code === '400').map(([code, description]) => [code, { description, content: { 'application/json': { schema: schemaOf(errorSchema, 'output') } } }])),
      },
      ...(access === 'public' ? { security: [] } : {}),
      'x-sluice-permission': typeof access === 'object' ? access.permission : access,
      ...(typeof access === 'object' ? { 'x-sluice-scope': access.scope } : {}),
    };
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Sluice control plane', version: 'v1', description: `Every route but health and readiness needs a credential (this document too). Permissions: ${Object.entries(PERMISSIONS).map(([p, d]) => `${p} (${d})`).join('; ')}.` },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { mutualTLS: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A Sluice API key (slc_…) or an OIDC access token (JWT) from a configured issuer' },
        mutualTLS: { type: 'mutualTLS', description: 'A client certificate issued by the configured client CA: a service principal mtls:<CN>' },
      },
    },
    paths,
  };
}
