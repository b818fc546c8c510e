// The connection options the Kafka source and sink share: brokers, TLS, SASL with the password as a secret
// reference, and the one named way to go without TLS. Each component spreads these into its own strictObject.
import { z } from 'zod';
import type { InsecureOptOut } from '../../spec/component.ts';
import { clientTlsSchema } from '../../tls/client-tls.ts';
import { secretReference } from '../../spec/secret-reference-schema.ts';
import { isLoopbackHost, parseBroker } from './broker-address.ts';

/** The SASL mechanisms offered, as kafkajs names them. OAUTHBEARER and AWS IAM are not (yet) wired. */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export const saslSchema = z
  .strictObject({
    mechanism: z
      .enum(SASL_MECHANISMS)
      .describe('plain (RFC 4616: the password itself crosses the connection, so TLS is required), scram-sha-256 or scram-sha-512 (RFC 5802/7677: a challenge and response; the password is not sent).'),
    username: z.string().min(1).describe('The SASL user name. Not a secret: it appears in error messages.'),
    password: secretReference().describe('The SASL password, as a secret reference (env://, file://, vault://, aws-sm://, sluice://); never the password itself.'),
  })
  .describe('SASL authentication to the brokers.');

/** A topic name as Kafka allows it: 1 to 249 of letters, digits, '.', '_' and '-', and not '.' or '..'. */
export const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name is 1 to 249 letters, digits, dots, underscores and hyphens')
  .refine((name) => name !== '.' && name !== '..', 'a Kafka topic cannot be named . or ..');

/** The options of a Kafka connection; spread into a component's strictObject and checked with `checkConnection`. */
export const kafkaConnectionShape = {
  brokers: z
    .array(z.string().min(1))
    .min(1)
    .describe('Bootstrap brokers as host:port, e.g. ["kafka-1.internal:9093"]. The client learns the rest of the cluster from them.'),
  tls: clientTlsSchema.optional(),
  insecurePlaintext: z
    .boolean()
    .optional()
    .describe(
      'INSECURE: connect without TLS to brokers that are not on this machine, so records and credentials cross the network in clear. Only for a network you trust end to end; plaintext to localhost needs no opt-in. The component\'s description says INSECURE wherever it is shown.',
    ),
  sasl: saslSchema.optional(),
};

export interface KafkaConnectionOptions {
  brokers: string[];
  tls?: z.output<typeof clientTlsSchema> | undefined;
  insecurePlaintext?: boolean | undefined;
  sasl?: z.output<typeof saslSchema> | undefined;
}

/**
 * The checks across options: every broker parses; TLS is on unless every broker is on this machine or the
 * insecure opt-in is given (and not both); SASL PLAIN never sends a password in clear off this machine.
 */
export function checkConnection(options: KafkaConnectionOptions, ctx: z.RefinementCtx): void {
  const remote: string[] = [];
  options.brokers.forEach((text, index) => {
    const address = parseBroker(text);
    if (typeof address === 'string') ctx.addIssue({ code: 'custom', path: ['brokers', index], message: address });
    else if (!isLoopbackHost(address.host)) remote.push(text);
  });
  if (options.tls !== undefined && options.insecurePlaintext === true) {
    ctx.addIssue({ code: 'custom', path: ['insecurePlaintext'], message: 'insecurePlaintext cannot be combined with tls; remove one of them' });
  }
  if (options.tls !== undefined || remote.length === 0) return;
  if (options.insecurePlaintext !== true) {
    const message = `${remote.join(', ')} ${remote.length === 1 ? 'is' : 'are'} not on this machine, so the connection needs TLS: add tls: {} (the system CAs) or tls: { ca: <file> }. Plaintext is possible only with insecurePlaintext: true, on a network you trust`;
    ctx.addIssue({ code: 'custom', path: ['tls'], message });
  } else if (options.sasl?.mechanism === 'plain') {
    const message = 'SASL PLAIN sends the password as it is, so without TLS it would cross the network in clear; use tls, or scram-sha-512';
    ctx.addIssue({ code: 'custom', path: ['sasl', 'mechanism'], message });
  }
}

/** The brokers as a summary shows them. */
export function describeBrokers(options: Pick<KafkaConnectionOptions, 'brokers'>): string {
  return options.brokers.join(',');
}

/**
 * The opt-outs `sluice check` reports: any connection without TLS, whether to this machine (allowed without an
 * option, for the local mock and development brokers) or, with insecurePlaintext, to another.
 */
export function kafkaInsecureOptOuts(options: Pick<KafkaConnectionOptions, 'brokers' | 'tls' | 'insecurePlaintext'>): InsecureOptOut[] {
  if (options.tls !== undefined) return [];
  return [{ at: options.insecurePlaintext ? ['insecurePlaintext'] : ['brokers'], allows: `plaintext connections to ${describeBrokers(options)}` }];
}
