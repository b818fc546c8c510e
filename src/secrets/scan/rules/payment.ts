// Payment and commerce: Stripe, Square, Shopify, Flutterwave, EasyPost, Shippo, Duffel, Plaid, Braintree,
// Razorpay — secret and restricted keys whose prefixes the providers document. Publishable keys are left out.
import type { TokenRule } from '../secret-match.ts';
import { END_DASH, END_WORD, token } from './define.ts';

const p = (id: string, prefixes: readonly string[], pattern: string, confidence: number, source: string, extra: Pick<TokenRule, 'minEntropy' | 'verify'> = {}): TokenRule =>
  token('payment', id, prefixes, pattern, confidence, source, extra);

export const PAYMENT_RULES: readonly TokenRule[] = [
  // Stripe API keys: sk_ secret and rk_ restricted keys, live or test mode; whsec_ webhook signing secrets.
  p('stripe-secret-key', ['sk_live_', 'sk_test_', 'sk_prod_', 'rk_live_', 'rk_test_', 'rk_prod_'], `[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,247}${END_WORD}`, 0.9, 'Stripe, API keys', { minEntropy: 3 }),
  p('stripe-webhook-secret', ['whsec_'], `whsec_[A-Za-z0-9+/]{32,88}={0,2}${END_WORD}`, 0.9, 'Stripe, webhook signing secrets', { minEntropy: 3.5 }),
  // Square: sq0atp- access tokens, sq0csp- application secrets, EAAA production access tokens.
  p('square-access-token', ['sq0atp-', 'EAAA'], `(?:sq0atp-|EAAA)[A-Za-z0-9_-]{22,60}${END_DASH}`, 0.85, 'Square, access tokens', { minEntropy: 3 }),
  p('square-application-secret', ['sq0csp-'], `sq0csp-[A-Za-z0-9_-]{40,50}${END_DASH}`, 0.9, 'Square, application secrets', { minEntropy: 3 }),
  // Shopify: shpat_ admin API, shpca_ custom app, shppa_ private app tokens, shpss_ shared secrets; 32 hex.
  p('shopify-token', ['shpat_', 'shpca_', 'shppa_', 'shpss_'], `shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}${END_WORD}`, 0.95, 'Shopify, access token prefixes', { minEntropy: 3 }),
  // Flutterwave: FLWSECK secret keys (32 hex + "-X"), FLWSECK_TEST encryption keys (12 hex), FLWPUBK public keys.
  p('flutterwave-key', ['FLWSECK_TEST-', 'FLWSECK-', 'FLWPUBK_TEST-', 'FLWPUBK-'], `FLW(?:SECK|PUBK)(?:_TEST)?-(?:[a-h0-9]{32}-X|[a-h0-9]{12})${END_WORD}`, 0.85, 'Flutterwave, API keys', { minEntropy: 2.5 }),
  // EasyPost production (EZAK) and test (EZTK) API keys: 54 alphanumerics.
  p('easypost-api-key', ['EZAK', 'EZTK'], `EZ[AT]K[A-Za-z0-9]{54}${END_WORD}`, 0.9, 'EasyPost, API keys', { minEntropy: 3.5 }),
  p('shippo-api-token', ['shippo_live_', 'shippo_test_'], `shippo_(?:live|test)_[a-fA-F0-9]{40}${END_WORD}`, 0.95, 'Shippo, API tokens', { minEntropy: 3 }),
  p('duffel-api-token', ['duffel_live_', 'duffel_test_'], `duffel_(?:live|test)_[A-Za-z0-9_=-]{43}${END_DASH}`, 0.95, 'Duffel, access tokens', { minEntropy: 3 }),
  // Plaid access tokens: access-<environment>-<uuid>.
  p('plaid-access-token', ['access-sandbox-', 'access-development-', 'access-production-'], `access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}${END_WORD}`, 0.9, 'Plaid, access tokens', { minEntropy: 3 }),
  // Braintree / PayPal access tokens: access_token$production$<16>$<32 hex>.
  p('braintree-access-token', ['access_token$'], `access_token\\$(?:production|sandbox)\\$[0-9a-z]{16}\\$[0-9a-f]{32}${END_WORD}`, 0.95, 'Braintree, access tokens'),
  p('razorpay-key', ['rzp_live_', 'rzp_test_'], `rzp_(?:live|test)_[A-Za-z0-9]{14}${END_WORD}`, 0.7, 'Razorpay, API keys', { minEntropy: 3 }),
  // GoCardless access tokens: live_ + 40.
  p('gocardless-access-token', ['live_'], `live_[A-Za-z0-9_=-]{40}${END_DASH}`, 0.75, 'GoCardless, access tokens', { minEntropy: 3.5 }),
  // Lob API keys: live_/test_ + 35 hex, publishable live_pub_/test_pub_ + 31 hex.
  p('lob-api-key', ['live_', 'test_'], `(?:live|test)_(?:pub_[a-f0-9]{31}|[a-f0-9]{35})${END_WORD}`, 0.8, 'Lob, API keys', { minEntropy: 3 }),
];
