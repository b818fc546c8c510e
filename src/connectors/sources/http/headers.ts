// The non-secret request headers a spec may set, and the ones it may not: credentials belong in `auth` (as
// secret references), and framing headers belong to the HTTP client.
import { z } from 'zod';
import { SluiceError } from '../../../errors.ts';

/** RFC 9110 §5.1: a field name is a token. */
export const httpHeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name is letters, digits and -, no spaces or colons');

/**
 * Headers that carry credentials: written in a spec they would be plain-text secrets. Besides the standard
 * ones, any name with key as a word (Ocp-Apim-Subscription-Key, X-Auth-Key), auth, token, secret, password,
 * credential, session or signature in it.
 */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|api-?key|(^|[-_])key($|[-_])|auth|token|secret|passw|credential|session|signature/i;
/** Headers the HTTP client sets itself; a spec setting them would break framing or the egress checks. */
const CLIENT_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'accept-encoding', 'connection', 'upgrade', 'keep-alive', 'te', 'trailer', 'expect']);

/** Whether the HTTP client owns the header (framing, connection, encoding), so no option may set it. */
export function isClientHeader(name: string): boolean {
  return CLIENT_HEADERS.has(name.toLowerCase());
}

export const headersSchema = z
  .record(httpHeaderName, z.string().regex(/^[^\r\n\0]*$/, 'a header value cannot hold a line break'))
  .superRefine((headers, context) => {
    for (const name of Object.keys(headers)) {
      if (CREDENTIAL_HEADER.test(name)) {
        context.addIssue({ code: 'custom', path: [name], message: `'${name}' carries a credential: use auth (bearer, basic, apiKey or oauth2) with a secret reference instead` });
      } else if (isClientHeader(name)) {
        context.addIssue({ code: 'custom', path: [name], message: `'${name}' is set by the HTTP client and cannot be set here` });
      }
    }
  })
  .describe('Extra request headers that hold no secret (Accept, an API version). Credentials go in auth.');

/** Header names lower-cased, so that later sources of a header replace earlier ones. */
export function lowerCaseHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}

/** A credential as it may go into a header: a line break would end the header (and HTTP refuses it anyway). */
export function headerSafe(reference: string, value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new SluiceError('SLUICE_SECRET_DENIED', `the secret ${reference} holds a line break or NUL, which cannot go into an HTTP header; store the credential without it`);
  }
  return value;
}
