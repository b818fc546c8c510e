// The `server:` section of sluice.settings.yaml: where `sluice serve` listens, its certificates, the pipelines
// it offers, who it trusts to sign tokens, custom roles and limits.
import { z } from 'zod';
import { oidcIssuerSchema } from '../auth/oidc-verifier.ts';
import { ALL_PERMISSIONS } from '../auth/permissions.ts';
import type { Permission } from '../auth/permissions.ts';

export const serverSettingsSchema = z
  .strictObject({
    listen: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:8443').default('127.0.0.1:8443').describe('Address and port to listen on.'),
    tls: z
      .strictObject({
        cert: z.string().describe('PEM certificate chain of the server (sluice certs init makes one for development).'),
        key: z.string().describe('PEM private key of the server (mode 0600).'),
        clientCa: z.string().optional().describe('PEM CA that client certificates must chain to: enables mutual TLS; a verified client certificate (clientAuth) is the service principal mtls:<name>, its first DNS subjectAltName, else its CN.'),
        requireClientCert: z.boolean().default(false).describe('Refuse every handshake without a valid client certificate (only services call this server).'),
      })
      .refine((tls) => !tls.requireClientCert || tls.clientCa !== undefined, { message: 'requireClientCert needs clientCa: the CA that client certificates must chain to' })
      .optional()
      .describe('Server certificate and optional client CA. Required unless --insecure-dev.'),
    pipelines: z.string().default('pipelines').describe('Folder of pipeline specs the server offers; each subfolder is a namespace, files at the top are in namespace default.'),
    oidc: z.array(oidcIssuerSchema).default([]).describe('OIDC issuers whose access tokens (JWTs) the server accepts.'),
    roles: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
        z.strictObject({ description: z.string().default(''), permissions: z.array(z.enum(ALL_PERMISSIONS as [Permission, ...Permission[]])).min(1) }),
      )
      .default({})
      .describe('Custom roles: name → permissions. Built-in role names (admin, engineer, analyst, scientist, auditor, viewer, worker) cannot be redefined.'),
    requestsPerMinute: z.number().int().min(1).default(1200).describe('Requests allowed per principal per minute (token bucket); more get 429 with Retry-After.'),
    authFailures: z
      .strictObject({
        max: z.number().int().min(1).default(10).describe('Failed authentications allowed per address per window.'),
        windowSeconds: z.number().int().min(1).default(60),
      })
      .prefault({})
      .describe('Throttling of failed authentication per source address; credentials that verify are never throttled by it.'),
  })
  .prefault({})
  .describe('The control plane (sluice serve).');

export type ServerSettings = z.output<typeof serverSettingsSchema>;
