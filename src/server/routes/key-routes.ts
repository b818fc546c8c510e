// Keyring keys: versions and states (never material), and rotation.
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { auditedAct } from './audited-act.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute } from '../route.ts';
import { empty } from './api-schemas.ts';

const keyId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a keyring key id');

export function keyRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/keys',
      summary: 'Keyring keys and their versions (no material)',
      tag: 'keys',
      access: { permission: 'keys:read', scope: 'global' },
      query: empty,
      response: z.strictObject({ keys: z.array(z.strictObject({ keyId: z.string(), version: z.number(), state: z.string(), provider: z.string(), createdAt: z.string(), rotationDays: z.number().optional() })) }),
      handler: async ({ plane }) => ({
        keys: (await plane.store.listKeyVersions()).map((k) => ({ keyId: k.keyId, version: k.version, state: k.state, provider: k.provider, createdAt: k.createdAt, ...(k.rotationDays !== undefined ? { rotationDays: k.rotationDays } : {}) })),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/keys/:keyId/rotate',
      summary: 'Give a key a new primary version; older versions still open what they sealed',
      tag: 'keys',
      access: { permission: 'keys:rotate', scope: 'global' },
      params: z.strictObject({ keyId }),
      query: empty,
      response: z.strictObject({ keyId: z.string(), version: z.number() }),
      handler: async ({ plane, params, principal, requestId, sourceAddress }) => {
        if (!plane.rotateKey) throw new SluiceError('SLUICE_KEY_PROVIDER', 'this server has no keyring open');
        if ((await plane.store.listKeyVersions(params.keyId)).length === 0) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
        const rotate = plane.rotateKey;
        const version = await auditedAct({ plane, principal, requestId, sourceAddress }, { action: 'key.rotate', resource: `key:${params.keyId}` }, () => rotate(params.keyId));
        return { keyId: params.keyId, version };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/secrets',
      summary: 'Secrets of the built-in store: names, versions and dates, never values',
      tag: 'secrets',
      access: { permission: 'secrets:read', scope: 'global' },
      query: empty,
      response: z.strictObject({ secrets: z.array(z.strictObject({ name: z.string(), version: z.number(), createdAt: z.string(), rotatedAt: z.string(), lastReadAt: z.string().optional(), maxAgeDays: z.number().optional() })) }),
      handler: async ({ plane }) => ({
        secrets: (await plane.store.listSecrets()).map((s) => ({ name: s.name, version: s.version, createdAt: s.createdAt, rotatedAt: s.rotatedAt, ...(s.lastReadAt !== undefined ? { lastReadAt: s.lastReadAt } : {}), ...(s.maxAgeDays !== undefined ? { maxAgeDays: s.maxAgeDays } : {}) })),
      }),
    }),
  ];
}
