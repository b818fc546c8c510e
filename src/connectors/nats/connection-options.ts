// The options every NATS connector shares: which servers, how the connection is secured (TLS unless a
// loopback server is explicitly allowed plaintext), and which credentials, only ever as secret references.
import { z } from 'zod';
import type { InsecureOptOut } from '../../spec/component.ts';
import { secretReference } from '../../spec/secret-reference-schema.ts';
import { clientTlsSchema } from '../../tls/client-tls.ts';

const SCHEMES = new Set(['nats:', 'tls:']);

import { isLoopbackHost } from '../loopback-host.ts';
export { isLoopbackHost };

/**
 * Why a server URL is refused, or undefined when it is well formed. The message never quotes the URL: one that
 * carries a user and password would otherwise put them in the error.
 */
export function serverUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'it is not a URL; write it as nats://host:port or tls://host:port';
  }
  if (!SCHEMES.has(url.protocol)) return `it uses ${url.protocol}; write nats://host:port or tls://host:port`;
  if (url.username !== '' || url.password !== '') {
    return 'it carries a user name, password or token; credentials go in token, user and password, nkeySeed or creds, as secret references';
  }
  if (url.hostname === '') return 'it names no host';
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') return 'it has a path, query or fragment; give only the scheme, host and port';
  return undefined;
}

const serverUrlSchema = z.string().superRefine((text, context) => {
  const problem = serverUrlProblem(text);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

/** The connection options, to spread into a connector's z.strictObject. */
export const natsConnectionShape = {
  servers: z
    .array(serverUrlSchema)
    .min(1)
    .max(32)
    .describe('The NATS servers to connect to, e.g. [tls://nats-1.internal:4222, tls://nats-2.internal:4222]; the client reconnects to any of them.'),
  tls: clientTlsSchema.optional().describe('TLS settings: a private CA, a client certificate (mutual TLS), public key pins. TLS is always used unless insecureLoopbackPlaintext is set.'),
  insecureLoopbackPlaintext: z
    .boolean()
    .default(false)
    .describe(
      'Connect WITHOUT TLS to a NATS server on this machine (127.0.0.1, ::1, localhost), for a local test server. ' +
        'Credentials and messages then cross the loopback interface unencrypted. Servers on other hosts always need TLS.',
    ),
  token: secretReference().optional().describe('An authentication token, as a secret reference.'),
  user: z.string().min(1).max(256).optional().describe('A user name (not secret); requires password.'),
  password: secretReference().optional().describe("The user's password, as a secret reference; requires user."),
  nkeySeed: secretReference().optional().describe('An NKey seed (SU…), as a secret reference: the client signs the server nonce with it.'),
  creds: secretReference().optional().describe('The text of a .creds file (a user JWT and its NKey seed, for decentralized auth), as a secret reference.'),
};

export type NatsConnectionOptions = z.output<z.ZodObject<typeof natsConnectionShape>>;

type IssueAdder = (path: (string | number)[], message: string) => void;

/** The secret references among the options (what to invalidate when the server refuses them). */
export function credentialReferences(options: NatsConnectionOptions): string[] {
  return [options.token, options.password, options.nkeySeed, options.creds].filter((ref): ref is string => ref !== undefined);
}

/** The rules between connection options, for a superRefine of each connector's spec. */
export function checkNatsConnection(options: NatsConnectionOptions, issue: IssueAdder): void {
  if ((options.user === undefined) !== (options.password === undefined)) {
    issue([options.user === undefined ? 'user' : 'password'], 'give user and password together');
  }
  const methods = [options.token, options.password, options.nkeySeed, options.creds].filter((value) => value !== undefined).length;
  if (methods > 1) issue(['token'], 'choose one way to authenticate: token, user and password, nkeySeed, or creds');
  if (!options.insecureLoopbackPlaintext) return;
  if (options.tls !== undefined) issue(['insecureLoopbackPlaintext'], 'insecureLoopbackPlaintext turns TLS off, so it cannot be combined with tls settings');
  options.servers.forEach((server, index) => {
    if (serverUrlProblem(server) !== undefined) return;
    const url = new URL(server);
    if (url.protocol === 'tls:') issue(['servers', index], 'a tls:// server cannot be reached with insecureLoopbackPlaintext; write nats:// or drop the opt-in');
    else if (!isLoopbackHost(url.hostname)) {
      issue(['servers', index], `${url.hostname} is not this machine: plaintext is allowed only to a loopback server (127.0.0.1, ::1, localhost); use TLS`);
    }
  });
}

/** The servers as they appear in messages: scheme, host and port only (the schema refuses anything else). */
export function serversLabel(options: Pick<NatsConnectionOptions, 'servers'>): string {
  return options.servers.join(', ');
}

/** The opt-outs `sluice check` reports: plaintext to a loopback server. */
export function natsInsecureOptOuts(options: Pick<NatsConnectionOptions, 'servers' | 'insecureLoopbackPlaintext'>): InsecureOptOut[] {
  return options.insecureLoopbackPlaintext ? [{ at: ['insecureLoopbackPlaintext'], allows: `plaintext connections to ${serversLabel(options)} (loopback only)` }] : [];
}
