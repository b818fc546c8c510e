// Chat, messaging and email: Slack tokens and webhooks, Discord, Teams, Twilio, SendGrid, Brevo, Mailgun.
import { testRuleTable } from '../test-kit.ts';
import { ALNUM, BASE64URL, DIGITS, HEX, LOWER_ALNUM, UPPER_ALNUM, fakeGenerator } from '../fake-tokens.ts';

const fake = fakeGenerator(404);
const uuid = (): string => `${fake(LOWER_ALNUM, 8)}-${fake(LOWER_ALNUM, 4)}-${fake(LOWER_ALNUM, 4)}-${fake(LOWER_ALNUM, 4)}-${fake(LOWER_ALNUM, 12)}`;
/** A Discord bot token: base64 of an 18-digit snowflake, a timestamp part and an HMAC. */
const discordBot = (): string => `${Buffer.from('1' + fake(DIGITS, 17)).toString('base64url')}.${fake(BASE64URL, 6)}.${fake(BASE64URL, 27)}`;

testRuleTable('chat', [
  { rule: 'slack-bot-token', secrets: [`xoxb-${fake(DIGITS, 12)}-${fake(DIGITS, 13)}-${fake(ALNUM, 24)}`, `xoxb-${fake(DIGITS, 11)}-${fake(ALNUM, 24)}`], negatives: ['xoxb-xxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx', 'xoxb-12345-abcd234', 'xoxb-xoxb-my-bot-token'] },
  { rule: 'slack-user-token', secrets: [`xoxp-${fake(DIGITS, 11)}-${fake(DIGITS, 10)}-${fake(DIGITS, 11)}-${fake(HEX, 32)}`], negatives: ['xoxp-1234567890', `xoxp-${fake(DIGITS, 12)}-${fake(DIGITS, 12)}-${fake(DIGITS, 12)}-${'#'.repeat(20)}`] },
  { rule: 'slack-legacy-token', secrets: [`xoxs-${fake(DIGITS, 12)}-${fake(DIGITS, 9)}-${fake(DIGITS, 10)}-${fake(HEX, 10)}`], negatives: ['https://indieweb.org/images/3/35/2018-250-xoxo-indieweb-1.jpg'] },
  { rule: 'slack-workspace-token', secrets: [`xoxa-2-${fake(ALNUM, 12)}`], negatives: ['https://github.com/xoxa-nyc/xoxa-nyc.github.io/blob/master/README.md'] },
  { rule: 'slack-app-token', secrets: [`xapp-1-${fake(UPPER_ALNUM, 11)}-${fake(DIGITS, 13)}-${fake(HEX, 64)}`], negatives: ['xapp-1-short'] },
  { rule: 'slack-config-token', secrets: [`xoxe.xoxp-1-${fake(ALNUM, 163)}`], negatives: ['xoxe.xoxp-1-SlackAppConfigurationAccessTokenHere', 'xoxe.xoxp-1-initial'] },
  { rule: 'slack-config-refresh-token', secrets: [`xoxe-1-${fake(ALNUM, 146)}`], negatives: ['xoxe-1-xxx'] },
  { rule: 'slack-webhook-url', secrets: [`hooks.slack.com/services/T${fake(UPPER_ALNUM, 8)}/B${fake(UPPER_ALNUM, 8)}/${fake(ALNUM, 24)}`], negatives: ['hooks.slack.com/services/'] },
  { rule: 'discord-webhook-url', secrets: [`discord.com/api/webhooks/${fake(DIGITS, 18)}/${fake(BASE64URL, 68)}`], negatives: ['discord.com/api/webhooks/123'] },
  { rule: 'microsoft-teams-webhook', secrets: [`webhook.office.com/webhookb2/${uuid()}@${uuid()}/IncomingWebhook/${fake(LOWER_ALNUM, 32)}/${uuid()}`], negatives: ['webhook.office.com/webhookb2/'] },
  { rule: 'discord-bot-token', secrets: [discordBot()], negatives: [`${Buffer.from('not a snowflake id').toString('base64url')}.${fake(BASE64URL, 6)}.${fake(BASE64URL, 27)}`] },
  { rule: 'twilio-api-key', secrets: ['SK' + fake(HEX, 32)], negatives: ['SK' + fake(HEX, 31), 'SK' + '0'.repeat(32)] },
  { rule: 'sendgrid-api-key', secrets: [`SG.${fake(BASE64URL, 22)}.${fake(BASE64URL, 43)}`], negatives: ['SG.' + fake(ALNUM, 20)] },
  { rule: 'brevo-api-key', secrets: [`xkeysib-${fake(HEX, 64)}-${fake(ALNUM, 16)}`], negatives: [`xkeysib-${fake(HEX, 64)}`] },
  { rule: 'mailgun-api-key', secrets: ['key-' + fake(HEX, 32)], negatives: ['key-' + fake(HEX, 16), 'monkey-' + fake(HEX, 32)] },
]);
