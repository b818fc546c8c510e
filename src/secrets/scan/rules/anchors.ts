// Tokens located by a distinctive inner part rather than a prefix: Azure AD client secrets (`Q~` after four
// characters), Terraform Cloud tokens (`.atlasv1.`), Mailchimp keys (`-us<dc>`), Telegram bot tokens
// (`<bot id>:A…`) and Facebook app access tokens (`<app id>|<secret>`).
import type { AnchorRule, SecretFamily } from '../secret-match.ts';
import { END_DASH, END_WORD } from './define.ts';

/** The start `back` characters before the anchor. */
const fixed =
  (back: number) =>
  (_text: string, at: number): number =>
    at - back;

/** The start of the run of digits (`min` to `max` of them) that ends right before the anchor. */
const digitsBefore =
  (min: number, max: number) =>
  (text: string, at: number): number => {
    let s = at;
    while (s > 0 && at - s < max && text.charCodeAt(s - 1) >= 48 && text.charCodeAt(s - 1) <= 57) s--;
    return at - s >= min ? s : -1;
  };

const anchor = (
  family: SecretFamily,
  id: string,
  marker: string,
  startAt: AnchorRule['startAt'],
  pattern: string,
  confidence: number,
  source: string,
  extra: Pick<AnchorRule, 'minEntropy' | 'verify'> = {},
): AnchorRule => ({ id, family, anchor: marker, startAt, pattern: new RegExp(pattern, 'y'), confidence, source, ...extra });

export const ANCHOR_RULES: readonly AnchorRule[] = [
  // Microsoft Entra ID client secrets: three characters, a digit, "Q~", then 31 to 34 characters.
  anchor('cloud', 'azure-ad-client-secret', 'Q~', fixed(4), `[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])`, 0.85, 'Microsoft Entra ID, client secret format', { minEntropy: 3.5 }),
  // Terraform Cloud / Enterprise user, team and organization tokens: 14 + ".atlasv1." + 60 to 70.
  anchor('cloud', 'terraform-cloud-token', '.atlasv1.', fixed(14), `[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=-]{60,70}${END_DASH}`, 0.95, 'HCP Terraform, API tokens', { minEntropy: 3.5 }),
  // Mailchimp API keys: 32 hex + "-us" + the data-centre number.
  anchor('chat', 'mailchimp-api-key', '-us', fixed(32), `[0-9a-f]{32}-us[0-9]{1,2}${END_WORD}`, 0.85, 'Mailchimp Marketing API, API keys', { minEntropy: 3 }),
  // Telegram Bot API tokens: the bot's numeric id, ":", 35 characters starting with "A".
  anchor('chat', 'telegram-bot-token', ':A', digitsBefore(5, 16), `[0-9]{5,16}:A[A-Za-z0-9_-]{34}${END_DASH}`, 0.85, 'Telegram Bot API, authorizing your bot', { minEntropy: 3 }),
  // Facebook app access tokens: "<app id>|<app secret>".
  anchor('saas', 'facebook-app-token', '|', digitsBefore(15, 16), `[0-9]{15,16}\\|[A-Za-z0-9_-]{27,40}${END_DASH}`, 0.8, 'Facebook, app access tokens', { minEntropy: 3 }),
];
