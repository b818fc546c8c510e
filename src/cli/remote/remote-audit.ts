// `sluice audit query|verify --server URL`: the control plane's audit log, as `sluice audit` shows it here.
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { formatAuditVerify } from '../format-audit.ts';
import type { AuditVerifyResult } from '../format-audit.ts';
import { EXIT } from '../exit-codes.ts';
import { SluiceError } from '../../errors.ts';
import type { AuditQuery } from '../../audit/audit-store.ts';
import { withApiClient } from './connect.ts';

/** Events as JSON Lines, as the local query prints them; the next page's --after on stderr when there may be one. */
export async function remoteAuditQuery(query: AuditQuery, context: CliContext, setExit: (code: number) => void): Promise<void> {
  await withApiClient(context, async (client) => {
    // The query's fields are the API's parameters, by the same names.
    const { events, nextAfterSeq } = (await client.get('/api/v1/audit/events', {
      principal: query.principal,
      action: query.action,
      resource: query.resource,
      outcome: query.outcome,
      from: query.from,
      to: query.to,
      afterSeq: query.afterSeq,
      limit: query.limit,
    })) as { events: unknown[]; nextAfterSeq?: number };
    for (const event of events) println(context.stdout, JSON.stringify(event));
    if (nextAfterSeq !== undefined) println(context.stderr, `more may follow: --after ${nextAfterSeq}`);
    setExit(EXIT.OK);
  });
}

export async function remoteAuditVerify(options: { checkpoint?: string[]; json?: boolean }, context: CliContext, setExit: (code: number) => void): Promise<void> {
  if (options.checkpoint !== undefined) throw new SluiceError('SLUICE_USAGE', '--checkpoint files are checked by a local verify; with --server the server verifies against the checkpoints it holds');
  await withApiClient(context, async (client) => {
    const result = (await client.post('/api/v1/audit/verify')) as AuditVerifyResult;
    println(context.stdout, options.json ? JSON.stringify(result, null, 2) : formatAuditVerify(result));
    setExit(result.ok ? EXIT.OK : EXIT.FAILED);
  });
}
