// The undici dispatcher every request of the http source goes through: TLS from the spec, and the SSRF guard
// at the moment of connecting, so the socket goes to exactly the address that was checked (no DNS rebinding).
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { Agent, buildConnector } from 'undici';
import { SluiceError } from '../../../errors.ts';
import type { EgressPolicy } from './egress-policy.ts';

/** Resolves a host name to its addresses. Injectable so a test can play a rebinding DNS server. */
export type Resolve = (hostname: string) => Promise<readonly LookupAddress[]>;

/** The system resolver (getaddrinfo, /etc/hosts included), every address in the resolver's order. */
export const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface GuardedDispatcherOptions {
  policy: EgressPolicy;
  /** node:tls options from loadClientTls: verification on, TLS 1.2 floor, CA, client certificate, pins. */
  tls: ConnectionOptions;
  connectTimeoutMs: number;
  resolve?: Resolve;
}

/**
 * A `lookup` for net.connect that resolves the name, refuses it if any address is denied, and hands back
 * only addresses it checked: net then connects to one of those, never to a second answer of the resolver.
 */
export function guardedLookup(policy: EgressPolicy, resolve: Resolve): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    resolve(hostname)
      .then((answers) => {
        // A name with one private address among public ones is refused whole: the mix is the attack's shape.
        for (const answer of answers) policy.checkAddress(hostname, answer.address);
        const usable = answers.filter((a) => !options.family || options.family === a.family);
        const first = usable[0];
        if (!first) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND', hostname });
        // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
        if (options.all) callback(null, usable.map((a) => ({ address: a.address, family: a.family })));
        else callback(null, first.address, first.family);
      })
      .catch((error: unknown) => callback(error as NodeJS.ErrnoException, '', 0));
  };
}

/** An undici Agent whose every connection is https, checked by the egress policy, and made with `tls`. */
/** Loaded when a source opens, so that commands that never fetch do not pay for undici's import. */
export async function guardedDispatcher(options: GuardedDispatcherOptions): Promise<Agent> {
  const { Agent, buildConnector } = await import('undici');
  const { policy } = options;
  const lookup = guardedLookup(policy, options.resolve ?? systemResolve);
  const connectTls = buildConnector({ ...options.tls, lookup, timeout: options.connectTimeoutMs });
  const connect: buildConnector.connector = (target, callback) => {
    try {
      if (target.protocol !== 'https:') throw new SluiceError('SLUICE_EGRESS_DENIED', `the http source refused a ${target.protocol} connection to ${target.hostname}; only https is allowed`);
      // net.connect does not call `lookup` for an IP literal, so a literal is checked here, before any socket.
      if (isIP(target.hostname) !== 0) policy.checkAddress(target.hostname, target.hostname);
    } catch (error) {
      callback(error as Error, null);
      return;
    }
    connectTls(target, callback);
  };
  return new Agent({ connect });
}
