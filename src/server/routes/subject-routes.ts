// GDPR erasure over the API: a data subject's keys are destroyed (crypto-shredding), so every value sealed for
// them becomes unreadable wherever copies sit. The receipt names keyed references, never the subject id.
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { auditedAct } from './audited-act.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute } from '../route.ts';
import { empty } from './api-schemas.ts';

export function subjectRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/subjects/erase',
      summary: "Erase a data subject: destroy their keys under a dataset key (the encrypt step's); answers with the receipt",
      tag: 'subjects',
      access: { permission: 'subjects:erase', scope: 'global' },
      query: empty,
      body: z.strictObject({
        subject: z.string().min(1).max(1000).describe("the subject's id, as in the contract's subject field"),
        key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).default('subjects').describe('the dataset key of the encrypt step'),
      }),
      response: z.strictObject({ receipt: z.string(), keyId: z.string(), erasedAt: z.string(), subjectRefs: z.array(z.string()), keysDestroyed: z.number() }),
      handler: async ({ plane, body, principal, requestId, sourceAddress }) => {
        if (!plane.eraseSubject) throw new SluiceError('SLUICE_KEY_PROVIDER', 'this server has no keyring open');
        const erase = plane.eraseSubject;
        // On record before the keys go (an erasure cannot be undone); the record names the dataset key, never the
        // subject id, and the receipt goes back to the caller.
        const receipt = await auditedAct({ plane, principal, requestId, sourceAddress }, { action: 'subject.erase', resource: `key:${body.key}` }, () => erase(body.subject, body.key));
        return { ...receipt, subjectRefs: [...receipt.subjectRefs] };
      },
    }),
  ];
}
