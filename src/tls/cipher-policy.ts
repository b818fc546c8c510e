// The TLS policy every connection Sluice makes or accepts uses, pinned in code so that no setting can drift.

/** TLS 1.2 is the floor: 1.0 and 1.1 are deprecated (RFC 8996). */
export const TLS_MIN_VERSION = 'TLSv1.2' as const;

/**
 * Mozilla's "intermediate" configuration (server-side-tls guideline 5.x): the TLS 1.3 suites, then ECDHE/DHE
 * with AES-GCM or ChaCha20-Poly1305 for TLS 1.2. Node's default list also accepts CBC, CCM and ARIA suites on
 * TLS 1.2; this one does not. The TLS 1.3 names are listed explicitly so that 1.3 keeps its three suites.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
].join(':');

/** Key-exchange groups of Mozilla's intermediate configuration, in preference order. */
export const TLS_GROUPS = 'X25519:P-256:P-384';
