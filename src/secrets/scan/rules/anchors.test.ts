// Tokens found by an inner anchor: Azure AD client secrets, Terraform Cloud tokens, Mailchimp keys, Telegram bot
// tokens and Facebook app tokens.
import { testRuleTable } from '../test-kit.ts';
import { ALNUM, BASE64URL, DIGITS, HEX, fakeGenerator } from '../fake-tokens.ts';

const fake = fakeGenerator(808);
const azureAlphabet = ALNUM + '_~.';

testRuleTable('anchors', [
  {
    rule: 'azure-ad-client-secret',
    secrets: [`${fake(ALNUM, 3)}8Q~${fake(azureAlphabet, 34)}`, `${fake(ALNUM, 3)}7Q~${fake(ALNUM + '-', 31)}`],
    negatives: ['~'.repeat(40), '.ui.visible.right.sidebar~.ui.visible.left.sidebar~.pusher', `client_secret=bP88Q~${'x'.repeat(34)}`, `,4~q8Q~${fake(ALNUM, 37)},AQACAAE`],
  },
  { rule: 'terraform-cloud-token', secrets: [`${fake(ALNUM, 14)}.atlasv1.${fake(BASE64URL, 67)}`], negatives: [`${'x'.repeat(14)}.atlasv1.${'x'.repeat(67)}`, `${fake(ALNUM, 14)}.atlasv1.short`] },
  { rule: 'mailchimp-api-key', secrets: [`${fake(HEX, 32)}-us18`, `${fake(HEX, 32)}-us6`], negatives: [`${fake(HEX, 31)}-us18`, 'focus-us-now'] },
  { rule: 'telegram-bot-token', secrets: [`${fake(DIGITS, 9)}:AA${fake(BASE64URL, 33)}`], negatives: [`2656:A${fake(BASE64URL, 34)}`, 'at 10:42:13 AAAA', `${fake(DIGITS, 9)}:A${fake(BASE64URL, 10)}`] },
  { rule: 'facebook-app-token', secrets: [`${fake(DIGITS, 16)}|${fake(BASE64URL, 27)}`], negatives: [`${fake(DIGITS, 16)}|short`, 'a | b | c'] },
]);
