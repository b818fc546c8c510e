// Who is calling: a bearer credential (a Sluice API key, or an OIDC access token when issuers are configured),
// else a client certificate the TLS layer verified against the client CA (a service principal). Every attempt
// is audited; repeated failures from one address are throttled without locking out credentials that verify.
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { SluiceError } from '../errors.ts';
import { checkApiKey, looksLikeApiKey } from '../auth/api-key.ts';
import type { Principal } from '../auth/principal.ts';
import { actorOf } from '../auth/principal.ts';
import type { ControlPlane } from './control-plane.ts';

/** A failed authentication: the reason goes to the audit log and metrics, never to the caller. */
class AuthFailure {
  constructor(
    readonly reason: string,
    readonly method: Principal['method'],
    readonly principal?: string,
  ) {}
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * The service name of a client certificate the TLS layer verified against the client CA: its first DNS
 * subjectAltName (RFC 6125 prefers SANs), else its common name, and only for a certificate meant for client
 * authentication (extendedKeyUsage clientAuth, when the extension is there). Headers never name a client.
 */
export function verifiedClientName(request: FastifyRequest): string | undefined {
  const socket = request.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  if (Array.isArray(cert.ext_key_usage) && !cert.ext_key_usage.includes(CLIENT_AUTH)) return undefined;
  const san = /(?:^|, )DNS:([^,]+)/.exec(cert.subjectaltname ?? '')?.[1];
  const name = san ?? cert.subject?.CN;
  return typeof name === 'string' && NAME.test(name) ? name : undefined;
}

async function identify(plane: ControlPlane, request: FastifyRequest): Promise<Principal | AuthFailure> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    // RFC 6750 §2.1: "Bearer" (case-insensitive), one space, the token.
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header);
    if (!match?.[1]) return new AuthFailure('malformed-authorization', 'api-key');
    const credential = match[1];
    if (looksLikeApiKey(credential)) {
      const checked = await checkApiKey(plane.store.access, credential, plane.now?.() ?? new Date());
      if (!checked.ok) return new AuthFailure(`api-key-${checked.reason}`, 'api-key', checked.keyId !== undefined ? `apikey:${checked.keyId}` : undefined);
      return { id: `apikey:${checked.key.id}`, method: 'api-key', kind: 'user', scopes: checked.key.scopes };
    }
    if (!plane.oidc) return new AuthFailure('oidc-not-configured', 'oidc');
    try {
      const identity = await plane.oidc.verify(credential);
      return { id: identity.principal, method: 'oidc', kind: 'user', scopes: [] };
    } catch (error) {
      return new AuthFailure(`oidc-${(error as { reason?: string }).reason ?? 'invalid'}`, 'oidc');
    }
  }
  const name = verifiedClientName(request);
  if (name !== undefined) return { id: `mtls:${name}`, method: 'mtls', kind: 'service', scopes: [] };
  return new AuthFailure('no-credential', 'api-key');
}

/**
 * Authenticates a request or throws SLUICE_UNAUTHENTICATED (401) or SLUICE_THROTTLED (429). The audit append of
 * the attempt is returned for the caller to await before answering: the answer waits for the record (fail
 * closed) without the record delaying the work.
 */
export async function authenticate(plane: ControlPlane, request: FastifyRequest, requestId: string): Promise<{ principal: Principal; audited: Promise<unknown> }> {
  const result = await identify(plane, request);
  const time = (plane.now?.() ?? new Date()).toISOString();
  const source = request.ip;
  if (result instanceof AuthFailure) {
    const wasThrottled = plane.throttle.retryAfterSeconds(source) > 0;
    plane.throttle.fail(source);
    const retryAfter = plane.throttle.retryAfterSeconds(source);
    // Under a flood, failures from an address already throttled are counted, and recorded as one event per
    // interval with the count (details.attempts): every attempt is accounted for, and the log (append-only)
    // does not grow with the attacker's request rate.
    const attempts = wasThrottled ? plane.throttle.countThrottled(source) : 1;
    if (attempts > 0) await plane.audit.append({
      time,
      actor: { principal: result.principal ?? 'anonymous', method: result.method },
      action: 'auth.failure',
      resource: `api:${request.routeOptions.url ?? 'unknown'}`,
      outcome: 'failure',
      reason: result.reason,
      requestId,
      source,
      ...(retryAfter > 0 ? { details: { throttled: true, attempts } } : {}),
    });
    // The identity provider's keys could not be fetched: not the caller's fault, so a retry hint, not a 401.
    if (result.reason === 'oidc-jwks-unavailable') throw Object.assign(new SluiceError('SLUICE_UNAVAILABLE', 'the identity provider did not answer, so the token could not be checked; retry shortly'), { retryAfter: 5 });
    if (retryAfter > 0) throw Object.assign(new SluiceError('SLUICE_THROTTLED', `too many failed authentication attempts from this address; retry after ${retryAfter} s`), { retryAfter });
    throw new SluiceError('SLUICE_UNAUTHENTICATED', 'authentication required: send a valid API key or access token as "Authorization: Bearer …", or a client certificate');
  }
  const audited = plane.audit.append({ time, actor: actorOf(result), action: 'auth.success', resource: `api:${request.routeOptions.url ?? 'unknown'}`, outcome: 'success', requestId, source });
  // Rejections surface where the caller awaits it; this keeps an early throw from leaving it unhandled.
  audited.catch(() => undefined);
  return { principal: result, audited };
}
