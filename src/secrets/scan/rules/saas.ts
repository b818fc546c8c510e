// Observability, productivity and other SaaS: 1Password, Grafana, Sentry, New Relic, Mapbox, Facebook, X,
// age, Airtable and others — tokens with documented prefixes. Formats without a fixed first character
// (Terraform, Azure, Mailchimp, Telegram) are anchored in anchors.ts.
import type { TokenRule } from '../secret-match.ts';
import { bech32Valid, isBase64Json } from '../checksum.ts';
import { END_B64, END_DASH, END_WORD, token } from './define.ts';

const s = (id: string, prefixes: readonly string[], pattern: string, confidence: number, source: string, extra: Pick<TokenRule, 'minEntropy' | 'verify'> = {}): TokenRule =>
  token('saas', id, prefixes, pattern, confidence, source, extra);

export const SAAS_RULES: readonly TokenRule[] = [
  // 1Password service account tokens: ops_ + base64 JSON; account secret keys: A3- + grouped base32.
  s('1password-service-account-token', ['ops_eyJ'], `ops_eyJ[A-Za-z0-9+/]{250,2048}={0,3}${END_B64}`, 0.95, '1Password, service accounts', { minEntropy: 4 }),
  s('1password-secret-key', ['A3-'], `A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}${END_DASH}`, 0.9, '1Password, Secret Key format', { minEntropy: 3.5 }),
  // Grafana: glc_ Cloud tokens (base64 JSON), glsa_ service account tokens, eyJrIjoi API keys (base64 {"k":).
  s('grafana-cloud-token', ['glc_'], `glc_[A-Za-z0-9+/]{32,400}={0,3}${END_B64}`, 0.9, 'Grafana Cloud, access policies tokens', { minEntropy: 3 }),
  s('grafana-service-account-token', ['glsa_'], `glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}${END_WORD}`, 0.95, 'Grafana, service account tokens', { minEntropy: 3 }),
  s('grafana-api-key', ['eyJrIjoi'], `eyJrIjoi[A-Za-z0-9]{70,400}={0,3}${END_B64}`, 0.9, 'Grafana, API keys (deprecated)', { minEntropy: 3 }),
  // Sentry: sntrys_ organization tokens (base64 JSON with iat, url, region_url, org + "_" + secret), sntryu_ user tokens.
  s('sentry-org-token', ['sntrys_eyJ'], `sntrys_eyJ[A-Za-z0-9+/]{10,400}={0,2}_[A-Za-z0-9+/]{43}${END_B64}`, 0.95, 'Sentry, organization auth tokens', {
    verify: (t) => (isBase64Json(t.slice(7, t.lastIndexOf('_'))) ? 0.99 : 0.9),
  }),
  s('sentry-user-token', ['sntryu_'], `sntryu_[a-f0-9]{64}${END_WORD}`, 0.95, 'Sentry, user auth tokens', { minEntropy: 3 }),
  // New Relic: NRAK- user API keys, NRII- insert keys, NRJS- browser keys, NRAA- admin keys.
  s('new-relic-key', ['NRAK-', 'NRII-', 'NRJS-', 'NRAA-'], `(?:NRAK-[A-Za-z0-9]{27}|NRII-[A-Za-z0-9-]{32}|NRJS-[a-f0-9]{19}|NRAA-[a-f0-9]{27})${END_DASH}`, 0.9, 'New Relic, API keys', { minEntropy: 3 }),
  // Mapbox: sk. secret tokens (pk. public ones, scope-limited, are also flagged by scanners; kept lower).
  s('mapbox-token', ['sk.eyJ', 'pk.eyJ'], `[sp]k\\.eyJ[A-Za-z0-9_-]{50,120}\\.[A-Za-z0-9_-]{22}${END_DASH}`, 0.85, 'Mapbox, access tokens', { minEntropy: 3.5 }),
  // Facebook page/user access tokens: EAA + app-specific letter + long base62.
  s('facebook-access-token', ['EAAM', 'EAAC', 'EAAG', 'EAAB', 'EAAD', 'EAAJ'], `EAA[A-Z][A-Za-z0-9]{100,500}${END_WORD}`, 0.85, 'Facebook, access tokens', { minEntropy: 4 }),
  // Twitter/X app-only bearer tokens: 22 "A" + up to 100 characters (URL-encoded).
  s('twitter-bearer-token', ['AAAAAAAAAAAAAAAAAAAAA'], `A{22}[A-Za-z0-9%]{80,110}${END_WORD}`, 0.85, 'X API, bearer tokens', {
    verify: (t) => (/[a-z]/.test(t.slice(22)) && /[0-9]/.test(t.slice(22)) ? 0.85 : 0),
  }),
  // age X25519 identities: Bech32 with the HRP "age-secret-key-", whose checksum (BIP 173) is verified.
  s('age-secret-key', ['AGE-SECRET-KEY-1'], `AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}${END_WORD}`, 0.85, 'age-encryption.org/v1, Bech32 identities', {
    verify: (t) => (bech32Valid(t) ? 0.99 : 0.85),
  }),
  s('intra42-client-secret', ['s-s4t2ud-', 's-s4t2af-'], `s-s4t2(?:ud|af)-[a-f0-9]{64}${END_WORD}`, 0.9, '42 API, client secrets', { minEntropy: 3 }),
  s('adobe-client-secret', ['p8e-'], `p8e-[A-Za-z0-9]{32}${END_WORD}`, 0.85, 'Adobe Developer, client secrets', { minEntropy: 3 }),
  // Airtable personal access tokens: pat + 14 + "." + 64 hex.
  s('airtable-pat', ['pat'], `pat[A-Za-z0-9]{14}\\.[a-f0-9]{64}${END_WORD}`, 0.9, 'Airtable, personal access tokens', { minEntropy: 3 }),
];
