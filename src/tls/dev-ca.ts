// A local certificate authority for development: a CA and the server and client certificates it issues, made
// in process (EC P-256, ECDSA with SHA-256) so that `sluice init` and the demo API need no openssl command.
// Not for production: the CA key sits in a file next to the certificates.
import 'reflect-metadata';
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM. */
export interface PemPair {
  cert: string;
  key: string;
}

/** A CA that can issue certificates: its certificate and private key (PEM), and the key in usable form. */
export interface DevCa extends PemPair {
  readonly signingKey: CryptoKey;
  readonly subject: string;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function serial(): string {
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random bytes with the high bit cleared.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** Creates a CA valid for `days` (default 365): basicConstraints CA with path length 0, keyCertSign and cRLSign. */
export async function createDevCa(name = 'Sluice development CA', days = 365): Promise<DevCa> {
  const keys = await keyPair();
  const subject = `CN=${name}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + days * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await pkcs8Pem(keys.privateKey), signingKey: keys.privateKey, subject };
}

/** Loads a CA written earlier by createDevCa (its certificate and PKCS#8 key). */
export async function loadDevCa(pair: PemPair): Promise<DevCa> {
  const signingKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pair.key), ALGORITHM, false, ['sign']);
  return { ...pair, signingKey, subject: new NodeX509(pair.cert).subject.replace(/\n/g, ', ') };
}

/**
 * Issues a leaf certificate: `server` for host names and IP addresses (subjectAltName), `client` for a
 * principal name (the common name, for mutual TLS). Valid for `days` (default 90).
 */
export async function issueCertificate(ca: DevCa, usage: 'server' | 'client', names: readonly string[], days = 90): Promise<PemPair> {
  const keys = await keyPair();
  const caCert = new x509.X509Certificate(ca.cert);
  const first = names[0];
  if (first === undefined) throw new Error('a certificate needs at least one name');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  // Server: every host name and address. Client: the service name as a DNS name too (RFC 6125 prefers SANs).
  extensions.push(new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip', value: n } : { type: 'dns', value: n }))));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${first}`,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + days * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await pkcs8Pem(keys.privateKey) };
}
