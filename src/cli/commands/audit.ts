// `sluice audit`: verify the tamper-evident log, sign and export checkpoints, prove inclusion and consistency for
// offline verifiers (tools/audit-verify.mjs), print the public key, and query events.
import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { AUDIT_ORIGIN, closeRuntime, openKeyring, openRuntime } from '../runtime-setup.ts';
import type { Runtime } from '../runtime-setup.ts';
import type { Keyring } from '../../crypto/keyring/keyring.ts';
import { AUDIT_KEY_ID, auditSigningKey, signingKeyFrom } from '../../audit/signing-key.ts';
import { verifyAuditLog } from '../../audit/verify-log.ts';
import { proveAppendOnly, proveEvent } from '../../audit/audit-proofs.ts';
import { AUDIT_ACTIONS } from '../../audit/audit-event.ts';
import type { AuditAction, AuditEvent } from '../../audit/audit-event.ts';
import type { AuditQuery } from '../../audit/audit-store.ts';
import type { CheckpointKey } from '../../audit/merkle/checkpoint.ts';
import { localActor } from '../../auth/local-principal.ts';
import { replayAlerts } from '../../audit/replay-alerts.ts';
import { alertAuditEvent } from '../../audit/anomaly/alert-audit-event.ts';
import { SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { formatAuditVerify } from '../format-audit.ts';
import { registerAuditExport } from './audit-export.ts';

async function withAudit(context: CliContext, work: (runtime: Runtime, keyring: Keyring) => Promise<void>): Promise<void> {
  const runtime = await openRuntime(context);
  try {
    const keyring = await openKeyring(runtime, context, { createRootKey: false });
    try {
      await work(runtime, keyring);
    } finally {
      keyring.close();
    }
  } finally {
    await closeRuntime(runtime);
  }
}

/** The public keys of every live version of the audit key: checkpoints signed before a rotation still verify. */
export async function trustedKeys(keyring: Keyring): Promise<CheckpointKey[]> {
  await auditSigningKey(keyring);
  const versions = (await keyring.list(AUDIT_KEY_ID)).filter((v) => v.state !== 'destroyed');
  return Promise.all(versions.map(async (v) => ({ name: AUDIT_ORIGIN, publicKey: createPublicKey(signingKeyFrom(await keyring.material(AUDIT_KEY_ID, v.version))) })));
}

function intArg(text: string, what: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) throw new SluiceError('SLUICE_USAGE', `${what} must be a positive whole number, not '${text}'`);
  return Number(text);
}

function timeArg(text: string | undefined, what: string): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) || Number.isNaN(ms)) {
    throw new SluiceError('SLUICE_USAGE', `${what} must be an ISO 8601 date or time such as 2026-11-30 or 2026-11-30T08:00:00Z, not '${text}'`);
  }
  return new Date(ms).toISOString();
}

export function registerAudit(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const audit = program.command('audit').description('The tamper-evident audit log: verify, checkpoints, proofs, queries');

  audit
    .command('verify')
    .description('Verify every event, the hash chain and the Merkle tree against the signed checkpoints (exit 1 on any problem)')
    .option('--checkpoint <file...>', 'checkpoints exported earlier (kept outside the writer’s reach): catch truncation and rollback')
    .option('--json', 'as JSON')
    .action(async (options: { checkpoint?: string[]; json?: boolean }) => {
      if (context.global.remote) {
        const { remoteAuditVerify } = await import('../remote/remote-audit.ts');
        await remoteAuditVerify(options, context, setExit);
        return;
      }
      const exported = await Promise.all((options.checkpoint ?? []).map((f) => readFile(resolve(context.cwd, f), 'utf8')));
      let ok = false;
      await withAudit(context, async (runtime, keyring) => {
        const result = await verifyAuditLog(runtime.store, await trustedKeys(keyring), exported);
        ok = result.ok;
        await runtime.audit.append({
          time: new Date().toISOString(),
          actor: localActor(),
          action: 'audit.verify',
          resource: 'audit:log',
          outcome: result.ok ? 'success' : 'failure',
          source: 'local',
          details: { size: result.size, checkpoints: result.checkpointsVerified, ...(result.firstBadSeq !== undefined ? { firstBadSeq: result.firstBadSeq } : {}) },
        });
        println(context.stdout, options.json ? JSON.stringify(result, null, 2) : formatAuditVerify(result));
      });
      setExit(ok ? EXIT.OK : EXIT.FAILED);
    });

  audit
    .command('checkpoint')
    .description('Sign a checkpoint of the log as it is now; --export writes it where the writer cannot change it')
    .option('--export <file>', 'write the signed checkpoint to this file')
    .action(async (options: { export?: string }) => {
      await withAudit(context, async (runtime) => {
        const checkpoint = await runtime.audit.checkpoint();
        if (!checkpoint) throw new SluiceError('SLUICE_USAGE', 'the audit log is empty: there is nothing to checkpoint yet');
        if (options.export !== undefined) {
          await writeFile(resolve(context.cwd, options.export), checkpoint.note);
          println(context.stdout, `checkpoint of ${checkpoint.treeSize} events written to ${options.export}; keep it where this machine cannot change it`);
        } else context.stdout.write(checkpoint.note);
      });
      setExit(EXIT.OK);
    });

  audit
    .command('public-key')
    .description('Print the public key checkpoints are signed with (PEM), for offline verification')
    .action(async () => {
      await withAudit(context, async (_runtime, keyring) => {
        context.stdout.write((await auditSigningKey(keyring)).publicKey.export({ type: 'spki', format: 'pem' }).toString());
      });
      setExit(EXIT.OK);
    });

  audit
    .command('prove')
    .description('Print an inclusion proof of event SEQ, or with --consistency a proof that an older tree is a prefix of a newer one (JSON)')
    .argument('[seq]', 'the event to prove')
    .option('--size <n>', 'the tree size to prove against (default: the latest checkpoint)')
    .option('--consistency <older-size>', 'prove that the tree of this many events is a prefix of the tree of --size')
    .action(async (seqText: string | undefined, options: { size?: string; consistency?: string }) => {
      await withAudit(context, async (runtime) => {
        const latest = await runtime.store.latestAuditCheckpoint();
        const size = options.size !== undefined ? intArg(options.size, '--size') : latest?.treeSize;
        if (size === undefined) throw new SluiceError('SLUICE_USAGE', "there is no checkpoint yet: run 'sluice audit checkpoint' or pass --size");
        const proof =
          options.consistency !== undefined
            ? await proveAppendOnly(runtime.store, AUDIT_ORIGIN, intArg(options.consistency, '--consistency'), size)
            : seqText !== undefined
              ? await proveEvent(runtime.store, AUDIT_ORIGIN, intArg(seqText, 'SEQ'), size)
              : undefined;
        if (!proof) throw new SluiceError('SLUICE_USAGE', 'give the event to prove (SEQ), or --consistency OLDER_SIZE');
        println(context.stdout, JSON.stringify(proof, null, 2));
      });
      setExit(EXIT.OK);
    });

  audit
    .command('alerts')
    .description('Run anomaly detection over the log (volume spikes, failed-login bursts, unusual hours, dataset sweeps); exit 1 when it raises any')
    .option('--record', 'record alerts not yet recorded as audit.alert events (and log them)')
    .option('--json', 'as JSON')
    .action(async (options: { record?: boolean; json?: boolean }) => {
      let count = 0;
      const run = async (runtime: Runtime) => {
        const { alerts, unrecorded, events } = await replayAlerts(runtime.store);
        count = alerts.length;
        if (options.record) {
          for (const alert of unrecorded) {
            await runtime.audit.append(alertAuditEvent(alert, localActor()));
            runtime.logger.warn({ alert }, 'audit anomaly');
          }
        }
        if (options.json) println(context.stdout, JSON.stringify({ events, alerts, recorded: options.record ? unrecorded.length : 0 }, null, 2));
        else if (alerts.length === 0) println(context.stdout, `no anomalies in ${events} events`);
        else for (const alert of alerts) println(context.stdout, `${alert.time}  ${alert.kind}  ${alert.principal ?? alert.source ?? ''}  ${alert.message}`);
      };
      if (options.record) await withAudit(context, (runtime) => run(runtime));
      else {
        const runtime = await openRuntime(context);
        try {
          await run(runtime);
        } finally {
          await closeRuntime(runtime);
        }
      }
      setExit(count > 0 ? EXIT.FAILED : EXIT.OK);
    });

  audit
    .command('query')
    .description('Print events (JSON Lines) by action, principal, resource, outcome and time range, a page at a time')
    .option('--action <action>', `one of: ${Object.keys(AUDIT_ACTIONS).join(', ')}`)
    .option('--principal <principal>', 'e.g. os:alice(1000)')
    .option('--resource <resource>', 'e.g. secret:crm/api-token')
    .option('--outcome <outcome>', 'success, failure or denied')
    .option('--from <time>', 'ISO 8601, inclusive')
    .option('--to <time>', 'ISO 8601, inclusive')
    .option('--after <seq>', 'only events after this sequence number (the next page)')
    .option('--limit <n>', 'at most this many events', '1000')
    .action(async (options: { action?: string; principal?: string; resource?: string; outcome?: string; from?: string; to?: string; after?: string; limit: string }) => {
      if (options.action !== undefined && !(options.action in AUDIT_ACTIONS)) throw new SluiceError('SLUICE_USAGE', `--action '${options.action}' is not an audit action; see 'sluice audit query --help'`);
      if (options.outcome !== undefined && !['success', 'failure', 'denied'].includes(options.outcome)) throw new SluiceError('SLUICE_USAGE', `--outcome is success, failure or denied, not '${options.outcome}'`);
      const from = timeArg(options.from, '--from');
      const to = timeArg(options.to, '--to');
      if (from !== undefined && to !== undefined && from > to) throw new SluiceError('SLUICE_USAGE', `--from (${from}) is after --to (${to})`);
      const query: AuditQuery = {
        ...(options.action !== undefined ? { action: options.action as AuditAction } : {}),
        ...(options.principal !== undefined ? { principal: options.principal } : {}),
        ...(options.resource !== undefined ? { resource: options.resource } : {}),
        ...(options.outcome !== undefined ? { outcome: options.outcome as AuditEvent['outcome'] } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(options.after !== undefined ? { afterSeq: intArg(options.after, '--after') } : {}),
        limit: intArg(options.limit, '--limit'),
      };
      if (context.global.remote) {
        const { remoteAuditQuery } = await import('../remote/remote-audit.ts');
        await remoteAuditQuery(query, context, setExit);
        return;
      }
      const runtime = await openRuntime(context);
      try {
        const events = await runtime.store.queryAuditEvents(query);
        for (const event of events) println(context.stdout, JSON.stringify(event));
        if (events.length === query.limit) println(context.stderr, `more may follow: --after ${events.at(-1)!.seq}`);
      } finally {
        await closeRuntime(runtime);
      }
      setExit(EXIT.OK);
    });

  registerAuditExport(audit, context, setExit);
}
