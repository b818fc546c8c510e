// Source hosting, package registries and CI/CD: GitHub and GitLab tokens (with their published checksums),
// npm, PyPI, RubyGems, Clojars, Sourcegraph, SonarQube, Atlassian, Octopus, Postman, Docker Hub and others.
import type { TokenRule } from '../secret-match.ts';
import { base62Crc32Valid, gitlabRoutableValid, pypiMacaroonValid } from '../checksum.ts';
import { END_DASH, END_WORD, token } from './define.ts';

const v = (id: string, prefixes: readonly string[], pattern: string, confidence: number, source: string, extra: Pick<TokenRule, 'minEntropy' | 'verify'> = {}): TokenRule =>
  token('vcs-ci', id, prefixes, pattern, confidence, source, extra);

/** A checksum that holds makes the token near-certain; one that fails leaves a token-shaped string (a fake). */
const crcChecked = (t: string): number => (base62Crc32Valid(t) ? 0.99 : 0.75);

export const VCS_CI_RULES: readonly TokenRule[] = [
  // GitHub (2021-04): ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_ server-to-server, ghr_ refresh;
  // 30 random base62 characters and a 6-character base62 CRC32 (checksum.ts).
  v('github-token', ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], `gh[pousr]_[A-Za-z0-9]{36}${END_WORD}`, 0.9, 'GitHub blog, "Behind GitHub\'s new authentication token formats"', { minEntropy: 3, verify: crcChecked }),
  // Fine-grained personal access tokens: github_pat_ + 22 + "_" + 59.
  v('github-fine-grained-pat', ['github_pat_'], `github_pat_[A-Za-z0-9_]{82}${END_WORD}`, 0.95, 'GitHub Docs, fine-grained personal access tokens', { minEntropy: 3 }),
  // GitLab token prefixes (docs.gitlab.com, "GitLab token overview").
  v('gitlab-token', ['glpat-', 'gldt-', 'glft-', 'glsoat-', 'glffct-', 'glrt-', 'glagent-', 'glimt-', 'gloas-', 'glcbt-', 'glptt-', 'glwt-', 'gltst-'],
    `(?:glpat-[A-Za-z0-9_-]{20}|gldt-[A-Za-z0-9_-]{20}|glft-[A-Za-z0-9_-]{20}|glsoat-[A-Za-z0-9_-]{20}|glffct-[A-Za-z0-9_-]{20}|glrt-[A-Za-z0-9_-]{20}|glagent-[A-Za-z0-9_-]{50}|glimt-[A-Za-z0-9_-]{25}|gloas-[A-Za-z0-9_-]{64}|glcbt-[A-Za-z0-9]{1,5}_[A-Za-z0-9_-]{20}|glptt-[a-f0-9]{40}|glwt-[A-Za-z0-9_-]{20}|gltst-[A-Za-z0-9_-]{20})${END_DASH}`,
    0.9, 'GitLab token overview, token prefixes', { minEntropy: 3 }),
  // Routable tokens (GitLab 17.x): prefix + base64url payload + "." + base36 length + base36 CRC32.
  v('gitlab-token', ['glpat-', 'glrt-', 'gldt-', 'glft-', 'glcbt-', 'gloas-'], `gl(?:pat|rt|dt|ft|cbt|oas)-[A-Za-z0-9_-]{27,300}\\.[0-9a-z]{2}[0-9a-z]{7}${END_WORD}`, 0.85, 'GitLab, routable tokens', {
    minEntropy: 3.5,
    verify: (t) => (gitlabRoutableValid(t) ? 0.99 : 0.8),
  }),
  // Runner registration tokens: GR1348941 (GR + the rotation date in hex) + 20.
  v('gitlab-runner-registration-token', ['GR1348941'], `GR1348941[A-Za-z0-9_-]{20}${END_DASH}`, 0.9, 'GitLab runner security, registration tokens', { minEntropy: 3 }),
  v('gitlab-session-cookie', ['_gitlab_session='], `_gitlab_session=[0-9a-z]{32}${END_WORD}`, 0.85, 'GitLab, session cookie', { minEntropy: 3 }),
  // Atlassian API tokens (2022+): ATATT3 + 186 characters (base64url with a checksum suffix).
  v('atlassian-api-token', ['ATATT3'], `ATATT3[A-Za-z0-9_=-]{150,200}${END_DASH}`, 0.95, 'Atlassian, API tokens', { minEntropy: 4 }),
  // Bitbucket app passwords: ATBB + 32 characters.
  v('bitbucket-app-password', ['ATBB'], `ATBB[A-Za-z0-9_=.-]{28,40}${END_DASH}`, 0.85, 'Bitbucket, app passwords', { minEntropy: 3.5 }),
  // npm granular and automation tokens: npm_ + 30 random + 6 CRC32 (the GitHub layout).
  v('npm-access-token', ['npm_'], `npm_[A-Za-z0-9]{36}${END_WORD}`, 0.85, 'GitHub blog, "npm has a new access token format"', { minEntropy: 3, verify: crcChecked }),
  // PyPI API tokens: pypi- + base64url macaroon whose location is pypi.org (checksum.ts).
  v('pypi-api-token', ['pypi-'], `pypi-[A-Za-z0-9_-]{50,1000}${END_DASH}`, 0.7, 'PyPI, API tokens (macaroons)', { verify: (t) => (pypiMacaroonValid(t) ? 0.95 : 0) }),
  v('rubygems-api-key', ['rubygems_'], `rubygems_[a-f0-9]{48}${END_WORD}`, 0.95, 'RubyGems, API key format', { minEntropy: 3 }),
  v('clojars-token', ['CLOJARS_'], `CLOJARS_[A-Za-z0-9]{60}${END_WORD}`, 0.95, 'Clojars, deploy tokens', { minEntropy: 3 }),
  // Sourcegraph access tokens: sgp_ + 40 hex, or sgp_<16 hex or "local">_<40 hex>.
  v('sourcegraph-access-token', ['sgp_'], `sgp_(?:(?:[a-fA-F0-9]{16}|local)_)?[a-fA-F0-9]{40}${END_WORD}`, 0.9, 'Sourcegraph, access tokens', { minEntropy: 3 }),
  // SonarQube tokens: squ_ user, sqp_ project, sqa_ global analysis + 40.
  v('sonarqube-token', ['squ_', 'sqp_', 'sqa_'], `sq[upa]_[A-Za-z0-9]{40}${END_WORD}`, 0.9, 'SonarQube, token types', { minEntropy: 3 }),
  // Octopus Deploy API keys: API- + 26 upper-case alphanumerics.
  v('octopus-deploy-api-key', ['API-'], `API-[A-Z0-9]{26}${END_WORD}`, 0.8, 'Octopus Deploy, API keys', {
    minEntropy: 3,
    verify: (t) => (/[0-9]/.test(t.slice(4)) ? 0.8 : 0),
  }),
  // Postman API keys: PMAK- + 24 hex + "-" + 34 hex.
  v('postman-api-key', ['PMAK-'], `PMAK-[A-Fa-f0-9]{24}-[A-Fa-f0-9]{34}${END_WORD}`, 0.95, 'Postman, API keys'),
  v('prefect-api-key', ['pnu_', 'pnb_'], `pn[ub]_[A-Za-z0-9]{36}${END_WORD}`, 0.9, 'Prefect Cloud, API keys', { minEntropy: 3 }),
  v('readme-api-key', ['rdme_'], `rdme_[a-z0-9]{70}${END_WORD}`, 0.9, 'ReadMe, API keys', { minEntropy: 3 }),
  v('linear-api-key', ['lin_api_', 'lin_oauth_'], `lin_(?:api|oauth)_[A-Za-z0-9]{40,64}${END_WORD}`, 0.9, 'Linear, API keys', { minEntropy: 3 }),
  v('typeform-token', ['tfp_'], `tfp_[A-Za-z0-9_.=-]{59}${END_DASH}`, 0.85, 'Typeform, personal tokens', { minEntropy: 3 }),
  v('frameio-token', ['fio-u-'], `fio-u-[A-Za-z0-9_=-]{64}${END_DASH}`, 0.9, 'Frame.io, developer tokens', { minEntropy: 3 }),
  // OpenShift OAuth access tokens: sha256~ + 43 base64url.
  v('openshift-token', ['sha256~'], `sha256~[A-Za-z0-9_-]{43}${END_DASH}`, 0.9, 'OpenShift, OAuth access tokens', { minEntropy: 3.5 }),
  v('settlemint-token', ['sm_aat_', 'sm_pat_', 'sm_sat_'], `sm_[aps]at_[A-Za-z0-9]{16}${END_WORD}`, 0.85, 'SettleMint, access tokens', { minEntropy: 3 }),
  // Notion integration tokens (2024): ntn_ + 11 digits + 35 alphanumerics.
  v('notion-token', ['ntn_'], `ntn_[0-9]{11}[A-Za-z0-9]{35}${END_WORD}`, 0.9, 'Notion, integration tokens', { minEntropy: 4 }),
  v('docker-hub-token', ['dckr_pat_', 'dckr_oat_'], `dckr_[po]at_[A-Za-z0-9_-]{27,36}${END_DASH}`, 0.9, 'Docker Hub, personal access tokens', { minEntropy: 3 }),
  v('buildkite-token', ['bkua_'], `bkua_[a-f0-9]{40}${END_WORD}`, 0.9, 'Buildkite, API access tokens', { minEntropy: 3 }),
];
