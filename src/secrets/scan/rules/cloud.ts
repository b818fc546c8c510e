// Cloud and infrastructure providers: access keys, API tokens and service credentials that carry a prefix the
// provider documents (AWS key IDs, Google API keys, DigitalOcean, Heroku, Fly.io, Vault, Terraform, …).
import type { TokenRule } from '../secret-match.ts';
import { END_B64, END_DASH, END_WORD, token } from './define.ts';

const c = (id: string, prefixes: readonly string[], pattern: string, confidence: number, source: string, extra: Pick<TokenRule, 'minEntropy' | 'verify'> = {}): TokenRule =>
  token('cloud', id, prefixes, pattern, confidence, source, extra);

export const CLOUD_RULES: readonly TokenRule[] = [
  // IAM "Understanding unique ID prefixes": AKIA long-term, ASIA temporary (STS), ABIA/ACCA service keys; 16
  // base32 characters follow. AWS's documentation examples all end in EXAMPLE.
  c('aws-access-key-id', ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'], `(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}${END_WORD}`, 0.9, 'AWS IAM User Guide, unique ID prefixes', {
    minEntropy: 2.5,
    // Base32 bodies of 16 hold a digit (2-7) but for one key in 28; `AKIAOTHERCREDENTIALS` is words.
    verify: (t) => (t.endsWith('EXAMPLE') ? 0 : /[2-7]/.test(t.slice(4)) ? 0.9 : 0.6),
  }),
  // Amazon Bedrock API keys: long-term keys are ABSK + base64("BedrockAPIKey-..."); short-term keys are
  // "bedrock-api-key-" + base64 of a presigned bedrock.amazonaws.com URL.
  c('aws-bedrock-api-key', ['ABSKQmVkcm9ja0FQSUtleS'], `ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{40,260}={0,2}${END_B64}`, 0.95, 'Amazon Bedrock API keys'),
  c('aws-bedrock-api-key', ['bedrock-api-key-'], `bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=]{0,2048}${END_B64}`, 0.9, 'Amazon Bedrock short-term API keys'),
  // Google Cloud API keys: "AIza" + 35 characters of [A-Za-z0-9_-].
  c('gcp-api-key', ['AIza'], `AIza[A-Za-z0-9_-]{35}${END_DASH}`, 0.85, 'Google Cloud, API keys', { minEntropy: 3.5 }),
  // Alibaba Cloud AccessKey IDs: LTAI + 20 (older 12) alphanumerics.
  c('alibaba-access-key-id', ['LTAI'], `LTAI(?:[A-Za-z0-9]{20}|[A-Za-z0-9]{12})${END_WORD}`, 0.85, 'Alibaba Cloud, AccessKey pairs', { minEntropy: 3 }),
  // DigitalOcean: dop_v1_ personal, doo_v1_ OAuth, dor_v1_ refresh tokens, 64 hex.
  c('digitalocean-token', ['dop_v1_', 'doo_v1_', 'dor_v1_', 'dos_v1_'], `do[pors]_v1_[a-f0-9]{64}${END_WORD}`, 0.95, 'DigitalOcean API, token prefixes', { minEntropy: 3 }),
  // Heroku API keys (2024 format): HRKU-AA + 58 characters.
  c('heroku-api-key', ['HRKU-AA'], `HRKU-AA[0-9A-Za-z_-]{58}${END_DASH}`, 0.95, 'Heroku Dev Center, API key format', { minEntropy: 3.5 }),
  // Fly.io: fo1_ (org tokens), fm1a_/fm1r_/fm2_ macaroon tokens (base64).
  c('flyio-token', ['fo1_'], `fo1_[A-Za-z0-9_-]{43}${END_DASH}`, 0.9, 'Fly.io, access tokens', { minEntropy: 3.5 }),
  c('flyio-token', ['fm1a_', 'fm1r_', 'fm2_'], `fm(?:1[ar]|2)_[A-Za-z0-9+/]{100,2048}={0,3}${END_B64}`, 0.9, 'Fly.io, macaroon tokens', { minEntropy: 4 }),
  // Yandex Cloud API keys: AQVN + 35-38 characters.
  c('yandex-api-key', ['AQVN'], `AQVN[A-Za-z0-9_-]{35,38}${END_DASH}`, 0.8, 'Yandex Cloud, API keys', { minEntropy: 3.5 }),
  // Cloudflare Origin CA keys: v1.0- + 24 hex + "-" + 146 hex.
  c('cloudflare-origin-ca-key', ['v1.0-'], `v1\\.0-[a-f0-9]{24}-[a-f0-9]{146}${END_WORD}`, 0.95, 'Cloudflare, Origin CA keys'),
  // HashiCorp Vault: hvs. service, hvb. batch, hvr. recovery tokens (1.10+); legacy s. + 24 base62.
  c('vault-token', ['hvs.', 'hvb.', 'hvr.'], `hv[sbr]\\.[A-Za-z0-9_-]{90,300}${END_DASH}`, 0.95, 'Vault, token prefixes', { minEntropy: 3.5 }),
  c('vault-token', ['s.', 'b.'], `[sb]\\.[A-Za-z0-9]{24}${END_WORD}`, 0.7, 'Vault (before 1.10), service tokens', {
    minEntropy: 3.5,
    // Random base62 bodies mix digits and both cases; `s.AcceptanceTimeoutSeconds` does not.
    verify: (t) => (/[0-9]/.test(t) && /[a-z]/.test(t) && /[A-Z]/.test(t) ? 0.7 : 0),
  }),
  // Pulumi access tokens: pul- + 40 hex.
  c('pulumi-access-token', ['pul-'], `pul-[a-f0-9]{40}${END_WORD}`, 0.95, 'Pulumi, access tokens', { minEntropy: 3 }),
  // Scalingo API tokens: tk-us- + 48 characters.
  c('scalingo-api-token', ['tk-us-'], `tk-us-[A-Za-z0-9_-]{48}${END_DASH}`, 0.9, 'Scalingo, API tokens', { minEntropy: 3 }),
  // Harness personal and service account tokens: pat. / sat. + account . token id . secret.
  c('harness-api-key', ['pat.', 'sat.'], `[ps]at\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9]{24}\\.[A-Za-z0-9]{20}${END_WORD}`, 0.9, 'Harness, API keys'),
  // PlanetScale: pscale_tkn_ service tokens, pscale_oauth_ tokens, pscale_pw_ database passwords.
  c('planetscale-token', ['pscale_tkn_', 'pscale_oauth_', 'pscale_pw_'], `pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32,64}${END_DASH}`, 0.9, 'PlanetScale, token prefixes', { minEntropy: 3 }),
  // Databricks personal access tokens: dapi + 32 hex, with an optional -N suffix.
  c('databricks-token', ['dapi'], `dapi[a-f0-9]{32}(?:-\\d)?${END_DASH}`, 0.85, 'Databricks, personal access tokens', { minEntropy: 3 }),
  // ClickHouse Cloud API key secrets: 4b1d + 38 alphanumerics.
  c('clickhouse-cloud-secret', ['4b1d'], `4b1d[A-Za-z0-9]{38}${END_WORD}`, 0.85, 'ClickHouse Cloud, API keys', { minEntropy: 3.5 }),
  // Doppler tokens: dp.pt. personal, dp.st. service, dp.ct. CLI, dp.sa. service account, dp.scim., dp.audit.
  c('doppler-token', ['dp.'], `dp\\.(?:pt|st|ct|sa|scim|audit)\\.[A-Za-z0-9]{40,44}${END_WORD}`, 0.95, 'Doppler, token formats', { minEntropy: 3 }),
  // Dynatrace API tokens: dt0c01. + 24 + "." + 64 (public part, secret part).
  c('dynatrace-api-token', ['dt0c01.', 'dt0s01.'], `dt0[cs]01\\.[A-Za-z0-9]{24}\\.[A-Za-z0-9]{64}${END_WORD}`, 0.95, 'Dynatrace, token format', { minEntropy: 3.5 }),
  // JFrog Artifactory API keys (AKCp) and reference tokens (cmVmd, base64 of "ref").
  c('artifactory-api-key', ['AKCp'], `AKCp[A-Za-z0-9]{69}${END_WORD}`, 0.9, 'JFrog Artifactory, API keys', { minEntropy: 3.5 }),
  c('artifactory-reference-token', ['cmVmd'], `cmVmd[A-Za-z0-9]{59}${END_WORD}`, 0.85, 'JFrog Artifactory, reference tokens', { minEntropy: 3.5 }),
  // Defined Networking API keys: dnkey- + 26 + "-" + 52.
  c('defined-networking-api-key', ['dnkey-'], `dnkey-[A-Za-z0-9=_-]{26}-[A-Za-z0-9=_-]{52}${END_DASH}`, 0.9, 'Defined Networking, API keys', { minEntropy: 3 }),
  // Authress service client access keys.
  c('authress-access-key', ['sc_', 'ext_', 'scauth_', 'authress_'], `(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\\.[A-Za-z0-9]{4,6}\\.acc[_-][A-Za-z0-9-]{10,32}\\.[A-Za-z0-9+/_=-]{30,120}${END_B64}`, 0.9, 'Authress, service client keys'),
  // Infracost API keys: ico- + 32 alphanumerics.
  c('infracost-api-key', ['ico-'], `ico-[A-Za-z0-9]{32}${END_WORD}`, 0.85, 'Infracost, API keys', { minEntropy: 3.5 }),
];
