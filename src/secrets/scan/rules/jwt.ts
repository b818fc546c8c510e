// JSON Web Tokens (RFC 7519): three base64url segments, the first two JSON objects starting `{"` (so `eyJ`).
// Also JWTs base64-encoded once more (`ZXlK…`), as they appear in Kubernetes secrets and config blobs.
import type { TokenRule } from '../secret-match.ts';
import { decodeBase64 } from '../checksum.ts';
import { token } from './define.ts';

/** RFC 7515 §4.1 / RFC 7516 §4.1 header parameters a real JOSE header carries. */
const JOSE_HEADER = /"(?:alg|typ|enc|kid|cty|x5t|jku|crit)"\s*:/;

function joseConfidence(jwt: string): number {
  const header = decodeBase64(jwt.slice(0, jwt.indexOf('.')));
  if (header !== undefined && header.startsWith('{') && JOSE_HEADER.test(header)) return 0.9;
  return jwt.startsWith('eyJ') ? 0.7 : 0.55;
}

export const JWT_RULES: readonly TokenRule[] = [
  token('jwt', 'jwt', ['ey'], `ey[A-Za-z0-9_-]{17,1024}\\.ey[A-Za-z0-9_/\\\\-]{17,8192}\\.(?:[A-Za-z0-9_/\\\\-]{10,1024}={0,2})?(?![A-Za-z0-9_=/\\\\-])`, 0.7, 'RFC 7519 §3, JWS compact serialization (RFC 7515 §7.1)', {
    verify: joseConfidence,
  }),
  token('jwt', 'jwt-base64', ['ZXlK'], `ZXlK[A-Za-z0-9+/_-]{40,4096}={0,2}(?![A-Za-z0-9+/=_-])`, 0.8, 'RFC 7519 inside RFC 4648 base64', {
    verify: (t) => {
      const inner = decodeBase64(t.replace(/=+$/, '').slice(0, 4 * Math.floor(t.replace(/=+$/, '').length / 4)));
      return inner !== undefined && inner.startsWith('eyJ') && inner.includes('.') ? 0.8 : 0;
    },
  }),
];
