// Chat, messaging and email: Slack tokens and webhooks, Discord bot tokens and webhooks, Microsoft Teams
// webhooks, Twilio, SendGrid, Brevo (Sendinblue), Mailgun, Mailchimp.
import type { TokenRule } from '../secret-match.ts';
import { decodeBase64 } from '../checksum.ts';
import { END_DASH, END_WORD, token } from './define.ts';

const m = (id: string, prefixes: readonly string[], pattern: string, confidence: number, source: string, extra: Pick<TokenRule, 'minEntropy' | 'verify'> = {}): TokenRule =>
  token('chat', id, prefixes, pattern, confidence, source, extra);

export const CHAT_RULES: readonly TokenRule[] = [
  // Slack token types (api.slack.com/authentication/token-types): xoxb- bot, xoxp- user, xoxe- rotating,
  // xoxa-/xoxr- workspace, xoxo-/xoxs- legacy, xapp- app-level, xoxe.xox[bp]- configuration tokens.
  m('slack-bot-token', ['xoxb-'], `xoxb-[0-9]{8,14}-(?:[0-9]{8,14}-)?[A-Za-z0-9]{18,40}${END_DASH}`, 0.9, 'Slack, token types', { minEntropy: 3 }),
  m('slack-user-token', ['xoxp-', 'xoxe-'], `xox[pe](?:-[0-9]{9,13}){3}-[A-Za-z0-9]{28,34}${END_DASH}`, 0.9, 'Slack, token types', { minEntropy: 3 }),
  m('slack-legacy-token', ['xoxo-', 'xoxs-'], `xox[os]-[0-9]{1,20}-[0-9]{1,20}-[0-9]{1,20}-[a-fA-F0-9]{8,64}${END_DASH}`, 0.85, 'Slack, legacy tokens', { minEntropy: 2.5 }),
  m('slack-workspace-token', ['xoxa-', 'xoxr-'], `xox[ar]-(?:[0-9]-)?[0-9A-Za-z]{8,48}(?:-[0-9A-Za-z]{1,48}){0,6}${END_DASH}`, 0.8, 'Slack, workspace tokens', { minEntropy: 2.5 }),
  m('slack-app-token', ['xapp-'], `xapp-[0-9]-[A-Za-z0-9]{6,14}-[0-9]{8,16}-[A-Za-z0-9]{32,80}${END_DASH}`, 0.9, 'Slack, app-level tokens', { minEntropy: 3 }),
  m('slack-config-token', ['xoxe.xoxp-', 'xoxe.xoxb-'], `xoxe\\.xox[bp]-[0-9]-[A-Za-z0-9]{120,200}${END_DASH}`, 0.9, 'Slack, app configuration tokens', { minEntropy: 3 }),
  m('slack-config-refresh-token', ['xoxe-'], `xoxe-[0-9]-[A-Za-z0-9]{120,200}${END_DASH}`, 0.9, 'Slack, app configuration refresh tokens', { minEntropy: 3 }),
  // Incoming webhooks and workflow triggers carry their secret in the path.
  m('slack-webhook-url', ['hooks.slack.com/'], `hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{40,120}${END_WORD}`, 0.95, 'Slack, incoming webhooks', { minEntropy: 3 }),
  m('discord-webhook-url', ['discord.com/api/webhooks/', 'discordapp.com/api/webhooks/'], `discord(?:app)?\\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,68}${END_DASH}`, 0.95, 'Discord, webhooks'),
  m('microsoft-teams-webhook', ['webhook.office.com/webhookb2/'], `webhook\\.office\\.com/webhookb2/[A-Za-z0-9-]{36}@[A-Za-z0-9-]{36}/IncomingWebhook/[A-Za-z0-9]{32}/[A-Za-z0-9-]{36}${END_DASH}`, 0.95, 'Microsoft Teams, incoming webhooks'),
  // Discord bot tokens: base64(user id) "." timestamp "." HMAC. The first part decodes to the bot's
  // numeric snowflake, which a random string does not.
  m('discord-bot-token', ['M', 'N', 'O'], `[MNO][A-Za-z0-9_-]{23,27}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,38}${END_DASH}`, 0.9, 'Discord developer docs, bot tokens', {
    verify: (t) => (/^\d{17,20}$/.test(decodeBase64(t.slice(0, t.indexOf('.'))) ?? '') ? 0.95 : 0),
  }),
  // Twilio API key SIDs: SK + 32 hex (the secret pairs with it; account SIDs, AC…, are not secrets).
  m('twilio-api-key', ['SK'], `SK[0-9a-fA-F]{32}${END_WORD}`, 0.75, 'Twilio, API keys', { minEntropy: 3 }),
  // SendGrid API keys: SG. + 22 + "." + 43.
  m('sendgrid-api-key', ['SG.'], `SG\\.[A-Za-z0-9_=.-]{66}${END_DASH}`, 0.9, 'SendGrid, API keys', { minEntropy: 3.5 }),
  // Brevo (Sendinblue) API and SMTP keys.
  m('brevo-api-key', ['xkeysib-', 'xsmtpsib-'], `x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}${END_WORD}`, 0.95, 'Brevo, API keys'),
  // Mailgun private API keys (key- + 32 hex) and public validation keys (pubkey- + 32 hex).
  m('mailgun-api-key', ['key-', 'pubkey-'], `(?:pub)?key-[a-f0-9]{32}${END_WORD}`, 0.7, 'Mailgun, API keys', { minEntropy: 3 }),
];
