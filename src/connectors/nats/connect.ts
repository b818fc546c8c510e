// Opens a NATS connection from the shared options: TLS by Sluice's client policy (or plaintext to a loopback
// server when explicitly allowed), credentials resolved just in time from secret references, and reconnect
// settings that ride out a server restart but give up, clearly, on a server that stays away.
import { connect, credsAuthenticator, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator } from '@nats-io/transport-node';
import type { Authenticator, NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import type { ErrorCode } from '../../errors.ts';
import { SluiceError } from '../../errors.ts';
import type { CreateContext, SecretSource } from '../../spec/component.ts';
import type { Secret } from '../../secrets/secret.ts';
import { loadClientTls } from '../../tls/client-tls.ts';
import type { NatsConnectionOptions } from './connection-options.ts';
import { credentialReferences, serversLabel } from './connection-options.ts';
import { natsFailure } from './nats-errors.ts';

/** The name the server shows for Sluice's connections (monitoring, `nats server report connections`). */
export const CONNECTION_NAME = 'sluice';

/**
 * Reconnects: one attempt per server per second (plus jitter) for about two minutes, which covers a server
 * restart or a cluster member's upgrade; past that the connection closes and the run fails, to be resumed.
 */
const RECONNECT = { maxReconnectAttempts: 120, reconnectTimeWait: 1000, reconnectJitter: 250, reconnectJitterTLS: 500 } as const;
/** The handshake bound, and the pings that find a dead server when no traffic would (3 × 20 s unanswered). */
const LIVENESS = { timeout: 10_000, pingInterval: 20_000, maxPingOut: 3 } as const;

function secretsOf(context: CreateContext): SecretSource {
  if (!context.secrets) throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', 'the NATS credentials are secret references, but no secret resolver was given');
  return context.secrets;
}

/** The authenticator for the options' credentials, resolved now; undefined for a server without authentication. */
async function authenticator(options: NatsConnectionOptions, context: CreateContext): Promise<Authenticator | undefined> {
  const resolve = (reference: string): Promise<Secret> => secretsOf(context).resolve(reference);
  // Functions, not values: the client calls them at each (re)connect, so the value is revealed only then.
  if (options.token !== undefined) {
    const token = await resolve(options.token);
    return tokenAuthenticator(() => token.reveal());
  }
  if (options.user !== undefined && options.password !== undefined) {
    const password = await resolve(options.password);
    return usernamePasswordAuthenticator(options.user, () => password.reveal());
  }
  if (options.nkeySeed !== undefined) {
    const seed = await resolve(options.nkeySeed);
    return nkeyAuthenticator(() => new TextEncoder().encode(seed.reveal().trim()));
  }
  if (options.creds !== undefined) {
    const creds = await resolve(options.creds);
    return credsAuthenticator(() => new TextEncoder().encode(creds.reveal()));
  }
  return undefined;
}

/**
 * A connection to the options' servers. `code` is the connector's error code; a refusal of the credentials
 * invalidates their cached values, so that the next attempt reads them again (a rotated secret).
 */
export async function connectNats(options: NatsConnectionOptions, context: CreateContext, code: ErrorCode): Promise<NatsConnection> {
  const auth = await authenticator(options, context);
  // The node transport hands every field of `tls` to tls.connect (it extends its own defaults with them), so
  // Sluice's policy applies whole: TLS floor, ciphers, CA, client certificate, pins. Giving `tls` also makes
  // the client refuse a server that does not offer TLS. `null` forbids TLS: the loopback opt-in only.
  const tls = options.insecureLoopbackPlaintext ? null : ((await loadClientTls(options.tls, context.baseDir, context.secrets)) as NodeConnectionOptions['tls']);
  const settings: NodeConnectionOptions = {
    servers: options.servers,
    name: CONNECTION_NAME,
    tls,
    // Without TLS the client must not follow the cluster's gossip to other members: one off this machine would
    // then get the credentials in plain text on a reconnect.
    ...(tls === null ? { ignoreClusterUpdates: true } : {}),
    ...RECONNECT,
    ...LIVENESS,
    ...(auth ? { authenticator: auth } : {}),
  };
  try {
    return await connect(settings);
  } catch (error) {
    const action = `connect to NATS at ${serversLabel(options)}`;
    const message = error instanceof Error ? error.message : '';
    if (options.insecureLoopbackPlaintext && /\btls\b/i.test(message)) {
      // The client refuses to start TLS when told not to; its own message says so only in its internals' words.
      throw new SluiceError(code, `cannot ${action}: the server requires TLS, and insecureLoopbackPlaintext turns TLS off; remove it and give tls settings (tls.ca for a private CA)`, { cause: error });
    }
    const credentials = credentialReferences(options);
    const failure = natsFailure(error, { code, action, credentials });
    if (failure.credentialsRefused) for (const reference of credentials) context.secrets?.invalidate(reference);
    if (tls && options.tls?.cert === undefined && /timeout/i.test(message)) {
      // TLS 1.3 tells a client without a certificate that it was refused only after the handshake.
      throw new SluiceError(code, `${failure.error.message}; if the server requires client certificates, give tls.cert and tls.key`, { cause: error, retryable: true });
    }
    throw failure.error;
  }
}

/** Closes a connection after sending what is buffered, within `ms`; a connection that cannot drain is closed. */
export async function closeNats(connection: NatsConnection, ms = 5000): Promise<void> {
  if (connection.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    const outcome = await Promise.race([connection.drain().then(() => 'drained' as const), late]);
    if (outcome === 'late') await connection.close();
  } catch {
    await connection.close().catch(() => undefined);
  } finally {
    clearTimeout(timer);
  }
}
