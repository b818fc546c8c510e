// zod types shared by the http source's options: an https URL, and a value written plainly or as a reference.
import { z } from 'zod';
import { looksLikeReference, parseSecretReference } from '../../../secrets/reference.ts';

/** An absolute https URL without credentials in it; http:// is refused with the reason. */
export const httpsUrlSchema = z.string().superRefine((text, context) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    context.addIssue({ code: 'custom', message: `'${text}' is not an absolute URL; write it as https://host/path` });
    return;
  }
  if (url.protocol === 'http:') {
    context.addIssue({ code: 'custom', message: 'http:// is refused: it sends the data and the credentials in clear text; use https://' });
  } else if (url.protocol !== 'https:') {
    context.addIssue({ code: 'custom', message: `${url.protocol} URLs are not supported; use https://` });
  }
  if (url.username !== '' || url.password !== '') {
    context.addIssue({ code: 'custom', message: 'a URL cannot carry credentials (user:password@); use auth with secret references' });
  }
});

/** A value that is not secret (a user name, a client id) written plainly, or a secret reference to one. */
export function plainOrReference() {
  return z
    .string()
    .min(1)
    .superRefine((text, context) => {
      if (!looksLikeReference(text)) return;
      try {
        parseSecretReference(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    });
}
