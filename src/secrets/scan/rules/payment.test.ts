// Payment and commerce keys: generated tokens of each documented format, and their look-alikes.
import { testRuleTable } from '../test-kit.ts';
import { ALNUM, BASE64URL, HEX, LOWER_ALNUM, fakeGenerator } from '../fake-tokens.ts';

const fake = fakeGenerator(303);

testRuleTable('payment', [
  { rule: 'stripe-secret-key', secrets: ['sk_live_' + fake(ALNUM, 24), 'rk_live_' + fake(ALNUM, 99), 'sk_test_' + fake(ALNUM, 24)], negatives: ['task_test_' + fake(LOWER_ALNUM, 30), 'sk_live_' + 'x'.repeat(24), 'pk_live_' + fake(ALNUM, 24)] },
  { rule: 'stripe-webhook-secret', secrets: ['whsec_' + fake(ALNUM, 32)], negatives: ['whsec_' + fake(ALNUM, 10)] },
  { rule: 'square-access-token', secrets: ['sq0atp-' + fake(BASE64URL, 22), 'EAAA' + fake(BASE64URL, 60)], negatives: ['sq0atp-' + fake(ALNUM, 10)] },
  { rule: 'square-application-secret', secrets: ['sq0csp-' + fake(BASE64URL, 43)], negatives: ['sq0csp-' + fake(ALNUM, 10)] },
  { rule: 'shopify-token', secrets: ['shpat_' + fake(HEX, 32), 'shpss_' + fake(HEX, 32), 'shpca_' + fake(HEX, 32)], negatives: ['shpat_' + fake(HEX, 31), 'shpat_' + '0'.repeat(32)] },
  { rule: 'flutterwave-key', secrets: [`FLWSECK_TEST-${fake('abcdefgh0123456789', 32)}-X`, `FLWSECK_TEST-${fake('abcdefgh0123456789', 12)}`], negatives: [`FLWSECK_TEST-${'a'.repeat(12)}`] },
  { rule: 'easypost-api-key', secrets: ['EZAK' + fake(ALNUM, 54), 'EZTK' + fake(ALNUM, 54)], negatives: ['EZAK' + fake(ALNUM, 20)] },
  { rule: 'shippo-api-token', secrets: ['shippo_live_' + fake(HEX, 40)], negatives: ['shippo_live_' + fake(HEX, 12)] },
  { rule: 'duffel-api-token', secrets: ['duffel_test_' + fake(BASE64URL, 43)], negatives: ['duffel_test_' + fake(ALNUM, 12)] },
  { rule: 'plaid-access-token', secrets: [`access-production-${fake(HEX, 8)}-${fake(HEX, 4)}-${fake(HEX, 4)}-${fake(HEX, 4)}-${fake(HEX, 12)}`], negatives: ['access-production-' + fake(HEX, 8)] },
  { rule: 'braintree-access-token', secrets: [`access_token$production$${fake(LOWER_ALNUM, 16)}$${fake(HEX, 32)}`], negatives: ['access_token$production$'] },
  { rule: 'gocardless-access-token', secrets: ['live_' + fake(BASE64URL, 40)], negatives: ['live_' + fake(ALNUM, 12)] },
  { rule: 'lob-api-key', secrets: ['test_' + fake(HEX, 35), 'live_pub_' + fake(HEX, 31)], negatives: ['test_' + fake(HEX, 20)] },
]);
