// The HTTPS server's TLS settings: the policy of src/tls (TLS 1.2 floor, Mozilla intermediate suites) with
// the server's certificate, and client certificates requested (optional mTLS) or required.
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { TLS_CIPHERS, TLS_GROUPS, TLS_MIN_VERSION } from '../tls/cipher-policy.ts';
import { SluiceError } from '../errors.ts';

export interface ServerTlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA certificates that client certificates must chain to; without it no client certificate is requested. */
  clientCa?: string | Buffer;
  /** Refuse the handshake without a valid client certificate (every caller is a service). */
  requireClientCert?: boolean;
}

export function serverTlsOptions(material: ServerTlsMaterial): TlsOptions & SecureContextOptions {
  // Requiring client certificates without saying whose would accept every handshake: refuse it, never fail open.
  if (material.requireClientCert && material.clientCa === undefined) throw new SluiceError('SLUICE_SETTINGS_INVALID', 'server.tls.requireClientCert needs server.tls.clientCa');
  return {
    cert: material.cert,
    key: material.key,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS_CIPHERS,
    // The server's order (Mozilla's), not the client's: a client cannot steer the choice down its own list.
    honorCipherOrder: true,
    // Mozilla intermediate's groups: X25519, P-256, P-384 (Node's default list also offers P-521 and FFDHE).
    ecdhCurve: TLS_GROUPS,
    ...(material.clientCa !== undefined
      ? {
          ca: material.clientCa,
          requestCert: true,
          // Optional mTLS: a client without a certificate may still authenticate with a bearer credential; one
          // with a certificate that does not verify is not trusted (socket.authorized stays false).
          rejectUnauthorized: material.requireClientCert === true,
        }
      : {}),
  };
}
