// Builds the kafkajs client of a Kafka source or sink: TLS from the spec, the SASL password resolved just in
// time, a socket factory that refuses plaintext to any broker off this machine (advertised ones included), and
// no logging of its own (failures reach the runtime as errors).
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, logLevel } from 'kafkajs';
import type { ISocketFactory, KafkaConfig, SASLOptions } from 'kafkajs';
import { SluiceError } from '../../errors.ts';
import type { CreateContext } from '../../spec/component.ts';
import { loadClientTls } from '../../tls/client-tls.ts';
import { isLoopbackHost } from './broker-address.ts';
import type { KafkaConnectionOptions } from './kafka-options.ts';

/** Starts the error the socket factory throws, so that the failure can be told apart from a broker being down. */
export const PLAINTEXT_REFUSED = 'sluice refused a plaintext connection';

/** How long an idle connection waits before TCP keep-alive probes start (kafkajs's own default). */
const KEEP_ALIVE_MS = 60_000;

/**
 * Opens sockets as kafkajs's default factory does, but first refuses plaintext to a host off this machine.
 * The spec check covers the bootstrap brokers; this covers the brokers the cluster's metadata names later.
 */
export function guardedSocketFactory(allowPlaintext: boolean): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    // kafkajs hands over null when TLS is off, whatever its type says.
    const tls = ssl as typeof ssl | null | undefined;
    if (!tls && !allowPlaintext && !isLoopbackHost(host)) {
      throw new Error(`${PLAINTEXT_REFUSED} to ${host}:${port}, a broker that is not on this machine; configure tls`);
    }
    const socket = tls ? tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...tls }, onConnect) : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_MS);
    return socket;
  };
}

/** The kafkajs configuration, with the password revealed into it: kafkajs needs it for every reconnection. */
export async function kafkaConfig(options: KafkaConnectionOptions, context: CreateContext): Promise<KafkaConfig> {
  const config: KafkaConfig = {
    clientId: `sluice-${context.pipeline}`,
    brokers: [...options.brokers],
    socketFactory: guardedSocketFactory(options.insecurePlaintext === true),
    logLevel: logLevel.NOTHING,
  };
  if (options.tls !== undefined) config.ssl = await loadClientTls(options.tls, context.baseDir, context.secrets);
  if (options.sasl !== undefined) {
    if (!context.secrets) throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', 'the Kafka SASL password is a secret reference, but no secret resolver was given');
    const password = await context.secrets.resolve(options.sasl.password);
    const sasl: SASLOptions = { mechanism: options.sasl.mechanism, username: options.sasl.username, password: password.reveal() };
    config.sasl = sasl;
  }
  return config;
}

/** A kafkajs client for the options. */
export async function createKafka(options: KafkaConnectionOptions, context: CreateContext): Promise<Kafka> {
  return new Kafka(await kafkaConfig(options, context));
}
