// The zod type of an option that holds a credential: a secret reference, checked when the spec (or settings)
// loads, so a malformed one is an error with its file, line and column. The `secretReference` meta marks the
// option in the JSON Schema and the reference docs.
import { z } from 'zod';
import { isSluiceError } from '../errors.ts';
import { SECRET_SCHEMES, parseSecretReference } from '../secrets/reference.ts';
import type { SecretScheme } from '../secrets/reference.ts';

/**
 * A secret reference option. `schemes` narrows where the value may come from: the credentials that open the
 * secret providers themselves (a Vault token, an HSM PIN) can only come from the environment or a file.
 */
export function secretReference(schemes: readonly SecretScheme[] = Object.keys(SECRET_SCHEMES) as SecretScheme[]) {
  const forms = schemes.map((s) => SECRET_SCHEMES[s]).join(', ');
  return z
    .string()
    .superRefine((text, context) => {
      try {
        const reference = parseSecretReference(text);
        if (!schemes.includes(reference.scheme)) context.addIssue({ code: 'custom', message: `a ${reference.scheme}:// reference cannot be used here; use one of ${forms}` });
      } catch (error) {
        if (!isSluiceError(error)) throw error;
        context.addIssue({ code: 'custom', message: `${error.message} Never write the credential itself here.` });
      }
    })
    .meta({ secretReference: true })
    .describe(`A secret reference (${forms}), never the credential itself.`);
}
