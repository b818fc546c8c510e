// A child process for the audit durability test: appends audit events to the store at `file` until it is killed,
// with several appends in flight (so they share group-commit transactions), and prints `ack <seq> <sha256>` for each
// append as soon as its promise resolves: the digest is of the event's canonical text, the exact bytes the log stores.
//
//   node --import tsx test/support/audit-appender.ts <state.db> <signing seed, hex> <run label> [in flight]
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { canonicalEvent } from '../../src/audit/canonical-event.ts';
import { signingKeyFrom } from '../../src/audit/signing-key.ts';
import type { AuditEvent } from '../../src/audit/audit-event.ts';

/** The log's name in checkpoints (the durability test trusts it under this name). */
const ORIGIN = 'sluice/audit';
/** Small, so that kills also land while a checkpoint is being signed. */
const CHECKPOINT_EVERY = 50;

const [file = '', seedHex = '', label = '', inFlightText = '8'] = process.argv.slice(2);
if (file === '' || !/^([0-9a-f]{2})+$/.test(seedHex) || label === '') {
  writeSync(2, 'usage: audit-appender.ts <state.db> <seed hex> <run label> [in flight]\n');
  process.exit(2);
}
const inFlight = Number(inFlightText);

const store = new SqliteStateStore(file);
const log = new AuditLog(store, { checkpointEvery: CHECKPOINT_EVERY });
log.setSigner({ origin: ORIGIN, privateKey: signingKeyFrom(Buffer.from(seedHex, 'hex')) });

let next = 0;
function eventOf(n: number): AuditEvent {
  return {
    time: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    actor: { principal: `os:appender-${label}(${n % 7})`, method: 'os-user' },
    action: n % 5 === 0 ? 'data.read' : 'secret.read',
    resource: `secret:${label}/${n}`,
    outcome: n % 11 === 0 ? 'denied' : 'success',
    source: 'local',
    details: { run: label, n },
  };
}

async function worker(): Promise<never> {
  for (;;) {
    const event = eventOf(next++);
    const seq = await log.append(event);
    const digest = createHash('sha256').update(canonicalEvent(seq, event)).digest('hex');
    // Synchronous, so the line is out before anything else runs: an ack printed is an append the log resolved.
    writeSync(1, `ack ${seq} ${digest}\n`);
  }
}

writeSync(1, 'ready\n');
await Promise.all(Array.from({ length: inFlight }, worker));
