// TLS options of an outgoing connection (HTTPS APIs, PostgreSQL, NATS, Kafka): the spec's schema and the loader
// that turns it into node:tls options. Verification is always on; there is no option to turn it off.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { checkServerIdentity } from 'node:tls';
import type { ConnectionOptions, DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import { z } from 'zod';
import type { SecretSource } from '../spec/component.ts';
import { secretReference } from '../spec/secret-reference-schema.ts';
import { SluiceError } from '../errors.ts';
import { TLS_CIPHERS, TLS_MIN_VERSION } from './cipher-policy.ts';

/** An SPKI pin as HPKP wrote them: `sha256/` and the base64 SHA-256 of the certificate's public key info. */
const PIN_PATTERN = /^sha256\/[A-Za-z0-9+/]{43}=$/;

export const clientTlsSchema = z
  .strictObject({
    ca: z.string().min(1).optional().describe('A PEM file of the CA certificates to trust instead of the system store (a private CA); relative to the spec file.'),
    cert: z.string().min(1).optional().describe('A PEM file of the client certificate, for mutual TLS; relative to the spec file.'),
    key: secretReference().optional().describe('The client certificate\'s private key (PEM), as a secret reference; required with `cert`.'),
    servername: z.string().min(1).optional().describe('The name to verify the server certificate against, when it differs from the host.'),
    pins: z
      .array(z.string().regex(PIN_PATTERN, 'a pin is sha256/ followed by the base64 SHA-256 of the public key info (44 characters)'))
      .min(1)
      .optional()
      .describe('Public key pins (`sha256/<base64>`): the server\'s certificate must also carry one of these keys. Keep a backup pin.'),
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), { message: 'give `cert` and `key` together (mutual TLS needs both)', path: ['key'] })
  .describe('TLS settings. Verification of the server certificate and host name is always on; TLS 1.2 is the minimum.');

export type ClientTlsOptions = z.output<typeof clientTlsSchema>;

/** The SPKI pin of a certificate, in the form `pins` takes. */
export function spkiPin(certificate: X509Certificate | PeerCertificate): string {
  // A peer certificate's `pubkey` is SPKI DER for RSA but the bare point for EC keys, so the key info is always
  // taken from the parsed certificate.
  const parsed = certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate.raw);
  const spki = parsed.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(spki).digest('base64')}`;
}

/**
 * node:tls options for a connection: the pinned TLS floor and ciphers, the CA and client certificate from the
 * spec's files, the key resolved just in time, and pin checking after the usual host name check.
 */
export async function loadClientTls(options: ClientTlsOptions | undefined, baseDir: string, secrets: SecretSource | undefined): Promise<ConnectionOptions> {
  const tls: ConnectionOptions = { minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS, rejectUnauthorized: true };
  if (!options) return tls;
  const read = async (file: string, what: string): Promise<Buffer> => {
    const path = resolve(baseDir, file);
    try {
      return await readFile(path);
    } catch (error) {
      throw new SluiceError('SLUICE_IO_FAILED', `cannot read the TLS ${what} file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; check the path in the spec's tls options`);
    }
  };
  if (options.ca !== undefined) tls.ca = await read(options.ca, 'CA');
  if (options.cert !== undefined) tls.cert = await read(options.cert, 'client certificate');
  if (options.key !== undefined) {
    if (!secrets) throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', 'the TLS client key is a secret reference, but no secret resolver was given');
    tls.key = Buffer.from((await secrets.resolve(options.key)).reveal());
  }
  if (options.servername !== undefined) tls.servername = options.servername;
  const pins = options.pins;
  if (pins) {
    tls.checkServerIdentity = (host, certificate) => {
      const error = checkServerIdentity(host, certificate);
      if (error) return error;
      // The leaf or a certificate up the chain may carry the pinned key (pinning an intermediate is common),
      // but only one that provably signed the chain down to the leaf: node:tls links the certificates the peer
      // sent by name and key identifier alone, so a forged certificate with the issuer's name and the pinned
      // (public) key would otherwise pass. Each link is checked by its signature before the parent counts.
      let child = new X509Certificate(certificate.raw);
      if (pins.includes(spkiPin(child))) return undefined;
      const seen = new Set<DetailedPeerCertificate>();
      for (let c = certificate as DetailedPeerCertificate; c.issuerCertificate && c.issuerCertificate !== c && !seen.has(c); c = c.issuerCertificate) {
        seen.add(c);
        const parent = new X509Certificate(c.issuerCertificate.raw);
        if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) break;
        if (pins.includes(spkiPin(parent))) return undefined;
        child = parent;
      }
      return new Error(`the certificate of ${host} carries none of the pinned public keys (${pins.length} pin${pins.length === 1 ? '' : 's'}); its key is ${spkiPin(certificate)}`);
    };
  }
  return tls;
}
