// The options of the `http` source: one zod schema for validation, types, JSON Schema and the reference docs.
import { z } from 'zod';
import { clientTlsSchema } from '../../../tls/client-tls.ts';
import { authSchema } from './auth.ts';
import { parseAddressRule, parseHostRule } from './egress-policy.ts';
import { headersSchema } from './headers.ts';
import { jsonPathSchema } from './json-path.ts';
import { httpsUrlSchema } from './option-schemas.ts';
import { paginationSchema } from './pagination.ts';
import { httpRetrySchema } from './retry-policy.ts';

const MiB = 1024 * 1024;

const hostEntry = z.string().superRefine((entry, context) => {
  const rule = parseHostRule(entry);
  if (typeof rule === 'string') context.addIssue({ code: 'custom', message: rule });
});

const addressEntry = z.string().superRefine((entry, context) => {
  const rule = parseAddressRule(entry);
  if (typeof rule === 'string') context.addIssue({ code: 'custom', message: rule });
});

export const httpSourceSpec = z
  .strictObject({
    url: httpsUrlSchema.describe('The URL of the first page (https only). Its query may hold fixed parameters; credentials go in auth.'),
    records: jsonPathSchema
      .optional()
      .describe('The body path of the array of records, e.g. data.items. By default the body itself is the array. A null there is an empty page.'),
    headers: headersSchema.optional(),
    auth: authSchema.optional(),
    paginate: paginationSchema.optional(),
    maxPages: z.number().int().min(1).max(10_000_000).default(10_000).describe('The most pages a run reads: past it the run fails rather than loop forever. Raise it for a bigger data set.'),
    maxResponseBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * MiB)
      .default(64 * MiB)
      .describe('The largest response body read, in bytes. A bigger one fails the page as soon as it passes the limit.'),
    timeouts: z
      .strictObject({
        connectMs: z.number().int().min(1).max(300_000).default(10_000).describe('TCP and TLS handshake.'),
        headersMs: z.number().int().min(1).max(600_000).default(30_000).describe('Until the response headers arrive, and the longest pause within a body.'),
        requestMs: z.number().int().min(1).max(3_600_000).default(120_000).describe('The whole exchange of one page, redirects and body included.'),
      })
      .prefault({})
      .describe('Time limits, in milliseconds. A timed-out request counts as a failed attempt and is retried.'),
    retry: httpRetrySchema.prefault({}),
    maxRedirects: z.number().int().min(0).max(10).default(5).describe('The most redirects followed for one request; each target is checked against the allowlist.'),
    allow: z
      .array(hostEntry)
      .optional()
      .describe('More hosts the source may contact besides the host of url (and of the OAuth2 tokenUrl): host, host:port or *.domain. Redirects and next links elsewhere are refused.'),
    allowPrivateAddresses: z
      .array(addressEntry)
      .optional()
      .describe(
        'Private, loopback or link-local addresses (or CIDR ranges) the source may connect to despite the SSRF guard, e.g. 127.0.0.1 for a service on this machine. ' +
          'Without it such addresses are refused. The host must still be allowed.',
      ),
    tls: clientTlsSchema.optional(),
  })
  .describe('Reads records from a JSON API over HTTPS, page by page.');

export type HttpSourceOptions = z.output<typeof httpSourceSpec>;
