// Cloud and infrastructure tokens: a generated token of each documented format is found with its exact span,
// and masks, wrong lengths, examples and look-alike words are not.
import { testRuleTable } from '../test-kit.ts';
import { ALNUM, BASE32, BASE64URL, HEX, LOWER_ALNUM, UPPER, fakeGenerator } from '../fake-tokens.ts';

const fake = fakeGenerator(101);
/** A base32 AWS key body with the digits a random one nearly always has. */
const awsBody = (): string => fake(BASE32, 13) + '257';

testRuleTable('cloud', [
  {
    rule: 'aws-access-key-id',
    secrets: ['AKIA' + awsBody(), 'ASIA' + awsBody(), 'ABIA' + awsBody()],
    negatives: ['AKIA' + 'IOSFODNN7EXAMPLE', 'AKIAXXXXXXXXXXXXXXXX', 'AKIA' + fake(BASE32, 15), 'TODAYINASIAASACKOFRICEFELLOVER', 'xAKIA' + awsBody()],
  },
  {
    rule: 'aws-bedrock-api-key',
    secrets: ['ABSKQmVkcm9ja0FQSUtleS' + fake(ALNUM, 108) + '=', 'bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t' + fake(ALNUM, 60)],
    negatives: ['ABSKQmVkcm9ja0FQSUtleS1EXAMPLE', 'bedrock-api-key-', 'bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29x'],
  },
  { rule: 'gcp-api-key', secrets: ['AIza' + fake(BASE64URL, 35)], negatives: ['AIza' + 'Syabcdefghijklmnopqrstuvwxyz1234567', 'AIza' + fake(ALNUM, 42), 'AIZA' + fake(ALNUM, 35)] },
  { rule: 'alibaba-access-key-id', secrets: ['LTAI' + fake(ALNUM, 20)], negatives: ['LTAI' + 'x'.repeat(20), 'LTAI' + fake(ALNUM, 25)] },
  { rule: 'digitalocean-token', secrets: ['dop_v1_' + fake(HEX, 64), 'doo_v1_' + fake(HEX, 64), 'dor_v1_' + fake(HEX, 64)], negatives: ['dop_v1_' + '0'.repeat(64), 'dop_v1_' + fake(HEX, 63)] },
  { rule: 'heroku-api-key', secrets: ['HRKU-AA' + fake(BASE64URL, 58)], negatives: ['HRKU-AA' + 'x'.repeat(58), 'HRKU-AB' + fake(ALNUM, 58)] },
  { rule: 'flyio-token', secrets: ['fo1_' + fake(BASE64URL, 43), 'fm2_' + fake(ALNUM + '+/', 180)], negatives: ['fo1_' + fake(ALNUM, 20), '7SWa-Fo1_' + fake(ALNUM, 43)] },
  { rule: 'yandex-api-key', secrets: ['AQVN' + fake(BASE64URL, 36)], negatives: ['AQVN' + 'a'.repeat(36)] },
  { rule: 'cloudflare-origin-ca-key', secrets: [`v1.0-${fake(HEX, 24)}-${fake(HEX, 146)}`], negatives: [`v1.0-${fake(HEX, 24)}-${fake(HEX, 20)}`] },
  {
    rule: 'vault-token',
    secrets: ['hvs.' + fake(BASE64URL, 96), 'hvb.' + fake(BASE64URL, 150), 's.' + fake(UPPER, 8) + fake('abcdefghij', 8) + fake('0123456789', 8)],
    negatives: ['s.AcceptanceTimeoutSeconds', 's.THISSTRINGISALLUPPERCASE', 's.thisstringisalllowercase', 'hvs.' + 'x'.repeat(96)],
  },
  { rule: 'pulumi-access-token', secrets: ['pul-' + fake(HEX, 40)], negatives: ['pul-' + fake(HEX, 39)] },
  { rule: 'scalingo-api-token', secrets: ['tk-us-' + fake(BASE64URL, 48)], negatives: ['tk-us-' + fake(ALNUM, 12)] },
  { rule: 'harness-api-key', secrets: [`pat.${fake(BASE64URL, 22)}.${fake(ALNUM, 24)}.${fake(ALNUM, 20)}`], negatives: [`pat.${fake(ALNUM, 22)}.${fake(ALNUM, 24)}`] },
  { rule: 'planetscale-token', secrets: ['pscale_tkn_' + fake(ALNUM, 43), 'pscale_pw_' + fake(ALNUM, 43)], negatives: ['pscale_tkn_' + fake(ALNUM, 8)] },
  { rule: 'databricks-token', secrets: ['dapi' + fake(HEX, 32), 'dapi' + fake(HEX, 32) + '-2'], negatives: ['dapi' + fake(HEX, 31) + 'g5'] },
  { rule: 'clickhouse-cloud-secret', secrets: ['4b1d' + fake(ALNUM, 38)], negatives: ['adf4b1d' + fake(ALNUM, 38)] },
  { rule: 'doppler-token', secrets: ['dp.pt.' + fake(ALNUM, 43), 'dp.st.' + fake(ALNUM, 43)], negatives: ['dp.pt.' + fake(ALNUM, 10), 'dp.xx.' + fake(ALNUM, 43)] },
  { rule: 'dynatrace-api-token', secrets: [`dt0c01.${fake(UPPER + '234567', 24)}.${fake(ALNUM, 64)}`], negatives: [`dt0c01.${fake(ALNUM, 24)}`] },
  { rule: 'artifactory-api-key', secrets: ['AKCp' + fake(ALNUM, 69)], negatives: ['AKCp' + 'X'.repeat(69)] },
  { rule: 'artifactory-reference-token', secrets: ['cmVmd' + fake(ALNUM, 59)], negatives: ['cmVmd' + 'X'.repeat(59)] },
  { rule: 'defined-networking-api-key', secrets: [`dnkey-${fake(LOWER_ALNUM, 26)}-${fake(LOWER_ALNUM, 52)}`], negatives: ['dnkey-' + fake(LOWER_ALNUM, 26)] },
  { rule: 'authress-access-key', secrets: [`sc_${fake(LOWER_ALNUM, 10)}.${fake(LOWER_ALNUM, 4)}.acc_${fake(LOWER_ALNUM, 10)}.${fake(LOWER_ALNUM, 40)}`], negatives: [`sc_${fake(LOWER_ALNUM, 10)}.abc`] },
  { rule: 'infracost-api-key', secrets: ['ico-' + fake(ALNUM, 32)], negatives: ['ico-' + 'X'.repeat(32), `video_box.ico-${fake(HEX, 32)}.png`] },
]);
