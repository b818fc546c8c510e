// Headers every answer carries. The API serves JSON only, so the strictest browser policy costs nothing:
// nothing may be framed, sniffed, cached or loaded. HSTS only over TLS (RFC 6797 §7.2: not over plain HTTP).

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** Two years, subdomains included (Mozilla Server Side TLS 5.7). */
export const HSTS = 'max-age=63072000; includeSubDomains';
