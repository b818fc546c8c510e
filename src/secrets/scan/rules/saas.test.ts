// SaaS tokens: 1Password, Grafana, Sentry, New Relic, Mapbox, Facebook, X, age (with its Bech32 checksum),
// 42, Adobe, Airtable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRuleTable } from '../test-kit.ts';
import { scanSecrets } from '../scan.ts';
import { ALNUM, HEX, LOWER_ALNUM, UPPER_ALNUM, fakeGenerator } from '../fake-tokens.ts';

const fake = fakeGenerator(606);
const b64 = ALNUM + '+/';
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const b64json = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64').replace(/=+$/, '');

/** An age identity with a valid Bech32 checksum (BIP 173), computed here. */
function ageIdentity(): string {
  const data = [...fake(BECH32, 52)].map((ch) => BECH32.indexOf(ch));
  const hrp = 'age-secret-key-';
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  const polymod = (values: number[]): number => {
    let chk = 1;
    for (const v of values) {
      const top = chk >>> 25;
      chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
      for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ gen[i]!) >>> 0;
    }
    return chk;
  };
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >>> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  const mod = polymod([...expanded, ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return ('AGE-SECRET-KEY-1' + [...data, ...checksum].map((v) => BECH32.charAt(v)).join('')).toUpperCase();
}

testRuleTable('saas', [
  { rule: '1password-service-account-token', secrets: ['ops_eyJ' + fake(b64, 300)], negatives: ['ops_eyJ' + 'x'.repeat(300), 'ops_eyJzaWduSW5BZGRyZXNzIjoiaHR0cHM6...'] },
  { rule: '1password-secret-key', secrets: [`A3-${fake(UPPER_ALNUM, 6)}-${fake(UPPER_ALNUM, 11)}-${fake(UPPER_ALNUM, 5)}-${fake(UPPER_ALNUM, 5)}-${fake(UPPER_ALNUM, 5)}`], negatives: ['A3-XXXXXX-XXXXXXXXXXX-XXXXX-XXXXX-XXXXX'] },
  { rule: 'grafana-cloud-token', secrets: ['glc_' + b64json({ o: '744587', n: 'stack-write', k: fake(ALNUM, 24), m: { r: 'us' } })], negatives: ['glc_' + 'x'.repeat(60), 'GLC_CreateLightmapTextureArray'] },
  { rule: 'grafana-service-account-token', secrets: [`glsa_${fake(ALNUM, 32)}_${fake(HEX, 8)}`], negatives: [`glsa_${'X'.repeat(32)}_AAAAAAAA`] },
  { rule: 'sentry-org-token', secrets: [`sntrys_${b64json({ iat: 1687336543, url: 'https://sentry.io', region_url: 'https://us.sentry.io', org: 'acme' })}_${fake(b64, 43)}`], negatives: ['sntrys_' + fake(ALNUM, 20)] },
  { rule: 'sentry-user-token', secrets: ['sntryu_' + fake(HEX, 64)], negatives: ['sntryu_' + fake(HEX, 20)] },
  { rule: 'new-relic-key', secrets: ['NRAK-' + fake(UPPER_ALNUM, 27), 'NRJS-' + fake(HEX, 19)], negatives: ['NRAK-' + fake(UPPER_ALNUM, 10)] },
  { rule: 'mapbox-token', secrets: [`sk.eyJ${fake(ALNUM, 60)}.${fake(ALNUM, 22)}`], negatives: ['pk.eyJ' + fake(ALNUM, 10)] },
  { rule: 'facebook-access-token', secrets: ['EAAM' + fake(ALNUM, 150)], negatives: ['EAAM' + fake(ALNUM, 40)] },
  { rule: 'twitter-bearer-token', secrets: ['A'.repeat(22) + fake(LOWER_ALNUM, 90)], negatives: ['A'.repeat(120)] },
  { rule: 'age-secret-key', secrets: [ageIdentity()], negatives: ['AGE-SECRET-KEY-1' + 'Q'.repeat(58)] },
  { rule: 'intra42-client-secret', secrets: ['s-s4t2ud-' + fake(HEX, 64)], negatives: ['s-s4t2ud-' + fake(HEX, 20)] },
  { rule: 'adobe-client-secret', secrets: ['p8e-' + fake(ALNUM, 32)], negatives: ['p8e-' + fake(ALNUM, 10)] },
  { rule: 'airtable-pat', secrets: [`pat${fake(ALNUM, 14)}.${fake(HEX, 64)}`], negatives: [`pat${fake(ALNUM, 14)}.${fake(HEX, 20)}`, 'patience ' + fake(LOWER_ALNUM, 30)] },
]);

test('saas: an age identity whose Bech32 checksum holds is near-certain', () => {
  assert.equal(scanSecrets(ageIdentity())[0]?.confidence, 0.99);
});
