// The connection options the PostgreSQL source and sink share: where the server is, who connects, and TLS, which is
// always on (verify-full) except by a named opt-out that only a server on this machine may use.
import { isIP } from 'node:net';
import { z } from 'zod';
import type { InsecureOptOut } from '../../spec/component.ts';
import { isLoopbackHost as isLoopback } from '../loopback-host.ts';
import { durationSchema } from '../../spec/duration.ts';
import { secretReference } from '../../spec/secret-reference-schema.ts';
import { clientTlsSchema } from '../../tls/client-tls.ts';

/** True for a server on this machine: a loopback host or a Unix socket folder. */
export function isLoopbackHost(host: string): boolean {
  return host.startsWith('/') || isLoopback(host);
}

/** The options every PostgreSQL connector takes, spread into its spec. */
export const postgresConnectionShape = {
  host: z.string().min(1).describe('The server: a host name, an IP address, or a Unix socket folder such as /var/run/postgresql.'),
  port: z.number().int().min(1).max(65_535).default(5432).describe('The server port.'),
  database: z.string().min(1).describe('The database to connect to.'),
  user: z.string().min(1).describe('The role to connect as. Give it only the privileges the connector needs (SELECT for a source).'),
  password: secretReference().optional().describe("The role's password, as a secret reference (resolved when a connection opens). Leave it out for certificate or trust authentication."),
  tls: clientTlsSchema
    .optional()
    .describe('TLS settings (a private CA, a client certificate, pins). TLS is always on and verifies the certificate and host name (libpq verify-full), with these settings or the system trust store.'),
  insecureNoTls: z
    .literal(true)
    .optional()
    .meta({ insecure: true })
    .describe('Insecure opt-out: connect without TLS. Allowed only for a server on this machine (localhost, 127.0.0.0/8, ::1 or a Unix socket), whose traffic never leaves it.'),
  connectTimeout: durationSchema.default('10s').describe('How long opening a connection may take (e.g. 10s).'),
  statementTimeout: durationSchema.default('5m').describe('How long one statement may run before the server cancels it (e.g. 5m); a cancelled statement is retried.'),
};

export type PostgresConnectionOptions = z.output<z.ZodObject<typeof postgresConnectionShape>>;

type IssueAdder = (path: string, message: string) => void;

/** The rules between the connection options, for each connector's superRefine. */
export function checkPostgresConnection(options: PostgresConnectionOptions, issue: IssueAdder): void {
  if (options.insecureNoTls === true) {
    if (!isLoopbackHost(options.host)) issue('insecureNoTls', `a connection to ${options.host} must use TLS: insecureNoTls is only for a server on this machine (localhost, 127.0.0.1, ::1 or a Unix socket)`);
    if (options.tls !== undefined) issue('tls', 'give tls or insecureNoTls, not both');
  }
}

/** Where the connector connects, for messages and summaries: host:port/database (never the user or password). */
export function endpointLabel(options: Pick<PostgresConnectionOptions, 'host' | 'port' | 'database'>): string {
  const host = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  return `${host}:${options.port}/${options.database}`;
}

/** The opt-outs `sluice check` reports: a connection without TLS to a server on this machine. */
export function postgresInsecureOptOuts(options: Pick<PostgresConnectionOptions, 'host' | 'port' | 'database' | 'insecureNoTls'>): InsecureOptOut[] {
  return options.insecureNoTls === true ? [{ at: ['insecureNoTls'], allows: `a connection without TLS to ${endpointLabel(options)} (this machine only)` }] : [];
}
