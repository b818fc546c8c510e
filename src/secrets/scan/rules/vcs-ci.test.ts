// Source hosting, registries and CI/CD tokens, with the GitHub and npm checksums (a valid one raises the
// confidence, an invalid one leaves a token-shaped fake at a lower one) and GitLab's routable format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRuleTable } from '../test-kit.ts';
import { scanSecrets } from '../scan.ts';
import { ALNUM, BASE64URL, HEX, LOWER_ALNUM, UPPER_ALNUM, fakeGenerator, gitlabRoutable, pypiToken, withGithubChecksum } from '../fake-tokens.ts';

const fake = fakeGenerator(202);

testRuleTable('vcs-ci', [
  {
    rule: 'github-token',
    secrets: [withGithubChecksum('ghp_', fake(ALNUM, 30)), withGithubChecksum('gho_', fake(ALNUM, 30)), withGithubChecksum('ghs_', fake(ALNUM, 30)), 'ghu_' + fake(ALNUM, 36)],
    negatives: ['ghp_' + 'x'.repeat(36), 'ghp_' + fake(ALNUM, 30), 'xghp_' + fake(ALNUM, 36), 'ghp_' + fake(ALNUM, 37)],
  },
  { rule: 'github-fine-grained-pat', secrets: [`github_pat_${fake(ALNUM, 22)}_${fake(ALNUM, 59)}`], negatives: [`github_pat_${'x'.repeat(22)}_${'x'.repeat(59)}`] },
  {
    rule: 'gitlab-token',
    secrets: ['glpat-' + fake(BASE64URL, 20), 'glptt-' + fake(HEX, 40), 'glrt-' + fake(ALNUM, 20), 'gldt-' + fake(ALNUM, 20), gitlabRoutable('glpat-', fake(BASE64URL, 40))],
    negatives: ['glpat-XXXXXXXXXXX-XXXXXXXX', 'glptt-' + 'x'.repeat(40), 'glpat-' + fake(ALNUM, 8)],
  },
  { rule: 'gitlab-runner-registration-token', secrets: ['GR1348941' + fake(ALNUM, 20)], negatives: ['GR1348941' + 'X'.repeat(20), 'GR134894112312312312312312312'] },
  { rule: 'gitlab-session-cookie', secrets: ['_gitlab_session=' + fake(LOWER_ALNUM, 32)], negatives: ['_gitlab_session=' + fake(LOWER_ALNUM, 8)] },
  { rule: 'atlassian-api-token', secrets: ['ATATT3' + fake(BASE64URL, 186)], negatives: ['ATATT3' + fake(ALNUM, 20)] },
  { rule: 'npm-access-token', secrets: [withGithubChecksum('npm_', fake(ALNUM, 30))], negatives: ['npm_' + 'x'.repeat(36), 'npm_' + fake(ALNUM, 20)] },
  { rule: 'pypi-api-token', secrets: [pypiToken('\x00\x06' + fake(ALNUM, 80))], negatives: ['pypi-' + fake(BASE64URL, 80)] },
  { rule: 'rubygems-api-key', secrets: ['rubygems_' + fake(HEX, 48)], negatives: ['rubygems_' + fake(HEX, 47)] },
  { rule: 'clojars-token', secrets: ['CLOJARS_' + fake(LOWER_ALNUM, 60)], negatives: ['CLOJARS_' + fake(LOWER_ALNUM, 59)] },
  { rule: 'sourcegraph-access-token', secrets: ['sgp_' + fake(HEX, 40), `sgp_${fake(HEX, 16)}_${fake(HEX, 40)}`, `sgp_local_${fake(HEX, 40)}`], negatives: ['sgp_5555555dAAAAA7777777CcccCFaaaaaaaaaaaaaa', `sgp_${fake(HEX, 20)}!${fake(HEX, 19)}`] },
  { rule: 'sonarqube-token', secrets: ['squ_' + fake(HEX, 40), 'sqp_' + fake(HEX, 40)], negatives: ['squ_' + fake(HEX, 12)] },
  { rule: 'octopus-deploy-api-key', secrets: ['API-' + fake(UPPER_ALNUM, 23) + '7Q2'], negatives: ['API-BD80F56CDC1441E6BF6011AB6D852875', 'GSSAPI-VIRHEKAPSELOINTIMERKKIJONO', 'API-' + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'] },
  { rule: 'postman-api-key', secrets: [`PMAK-${fake(HEX, 24)}-${fake(HEX, 34)}`], negatives: [`PMAK-${fake(HEX, 24)}`] },
  { rule: 'prefect-api-key', secrets: ['pnu_' + fake(ALNUM, 36)], negatives: ['pnu_' + 'X'.repeat(36)] },
  { rule: 'readme-api-key', secrets: ['rdme_' + fake(LOWER_ALNUM, 70)], negatives: ['rdme_' + 'x'.repeat(70)] },
  { rule: 'linear-api-key', secrets: ['lin_api_' + fake(ALNUM, 40)], negatives: ['lin_api_' + fake(ALNUM, 10)] },
  { rule: 'typeform-token', secrets: ['tfp_' + fake(BASE64URL, 59)], negatives: ['tfp_' + fake(ALNUM, 20)] },
  { rule: 'frameio-token', secrets: ['fio-u-' + fake(BASE64URL, 64)], negatives: ['fio-u-' + fake(ALNUM, 20)] },
  { rule: 'openshift-token', secrets: ['sha256~' + fake(BASE64URL, 43)], negatives: ['sha256~XXXXXXXXXX_PUT_YOUR_TOKEN_HERE_XXXXXXXXXXXX', 'sha256~' + fake(ALNUM, 20)] },
  { rule: 'settlemint-token', secrets: ['sm_pat_' + fake(ALNUM, 16)], negatives: ['sm_pat_' + fake(ALNUM, 10)] },
  { rule: 'notion-token', secrets: ['ntn_' + fake('0123456789', 11) + fake(ALNUM, 35)], negatives: ['ntn_12345678901', 'ntn_' + '1234567890'.repeat(6)] },
  { rule: 'docker-hub-token', secrets: ['dckr_pat_' + fake(BASE64URL, 27)], negatives: ['dckr_pat_' + fake(ALNUM, 8)] },
  { rule: 'buildkite-token', secrets: ['bkua_' + fake(HEX, 40)], negatives: ['bkua_' + fake(HEX, 20)] },
]);

test('vcs-ci: a GitHub token whose checksum holds is near-certain; a token-shaped fake scores lower', () => {
  const valid = withGithubChecksum('ghp_', fake(ALNUM, 30));
  const forged = 'ghp_' + fake(ALNUM, 36);
  const [a] = scanSecrets(valid);
  const [b] = scanSecrets(forged);
  assert.equal(a?.confidence, 0.99);
  assert.ok(b !== undefined && b.confidence < 0.9 && b.confidence >= 0.5);
});

test('vcs-ci: GitLab routable tokens with a valid CRC are near-certain', () => {
  const [m] = scanSecrets(gitlabRoutable('glpat-', fake(BASE64URL, 40)));
  assert.equal(m?.confidence, 0.99);
});
