// The shapes a stored audit event leaves Sluice in: JSON Lines, Elastic Common Schema 8.x, and RFC 5424 syslog
// (framed for TLS by RFC 5425 octet counting). Every shape carries the sequence number, the RFC 9162 leaf hash and
// the chain hash, and the canonical event bytes exactly, so a SIEM can recompute leaf = SHA-256(0x00 ‖ event)
// and chain = SHA-256(previous chain ‖ leaf) without trusting the exporter.
import { isIP } from 'node:net';
import type { AuditAction, RecordedAuditEvent } from '../audit-event.ts';
import type { AuditRow } from '../audit-store.ts';

export const EXPORT_FORMATS = ['jsonl', 'ecs', 'syslog'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const b64 = (hash: Buffer): string => hash.toString('base64');

// ─── JSON Lines ───────────────────────────────────────────────────────────────────────────────────────────────

/** One exported line: `event` is the canonical event text as a JSON string, so its bytes survive any JSON parser. */
export interface JsonLineExport {
  seq: number;
  /** The canonical event text, exactly as hashed: leaf = SHA-256(0x00 ‖ UTF-8 bytes of this string). */
  event: string;
  /** RFC 9162 leaf hash, base64. */
  leaf: string;
  /** SHA-256(previous chain ‖ leaf), base64; the chain before seq 1 is 32 zero bytes. */
  chain: string;
}

/**
 * `{"seq":…,"event":"<canonical text>","leaf":"…","chain":"…"}`. The event is a string, not an embedded object:
 * a JSON parser that re-serialises an object may reorder keys or reformat numbers, and then the bytes no longer
 * hash to the leaf. A string round-trips exactly through every conforming parser (RFC 8259 §7).
 */
export function toJsonLine(row: AuditRow): string {
  const line: JsonLineExport = { seq: row.seq, event: row.event, leaf: b64(row.leaf), chain: b64(row.chain) };
  return JSON.stringify(line);
}

// ─── Elastic Common Schema ────────────────────────────────────────────────────────────────────────────────────

/** The ECS release the documents follow (field names and categorisation values as of 8.x). */
export const ECS_VERSION = '8.17.0';

type EcsCategory = 'authentication' | 'configuration' | 'database' | 'iam' | 'intrusion_detection' | 'process';
type EcsType = 'access' | 'admin' | 'change' | 'creation' | 'deletion' | 'denied' | 'end' | 'info' | 'start' | 'user';

/**
 * event.category and event.type of each action, from the ECS allowed values and the event types each category
 * expects (https://www.elastic.co/docs/reference/ecs/ecs-allowed-values-event-category). A Record, so a new action
 * does not compile until it is categorised here.
 */
const ECS_CATEGORIES: Record<AuditAction, { category: EcsCategory; type: EcsType[] }> = {
  'auth.success': { category: 'authentication', type: ['start'] },
  'auth.failure': { category: 'authentication', type: ['start'] },
  'access.denied': { category: 'iam', type: ['info'] },
  'data.read': { category: 'database', type: ['access'] },
  'data.detokenize': { category: 'database', type: ['access'] },
  'data.decrypt': { category: 'database', type: ['access'] },
  'run.start': { category: 'process', type: ['start'] },
  'run.finish': { category: 'process', type: ['end'] },
  'run.fail': { category: 'process', type: ['end'] },
  'key.create': { category: 'configuration', type: ['creation'] },
  'key.rotate': { category: 'configuration', type: ['change'] },
  'key.rewrap': { category: 'configuration', type: ['change'] },
  'key.destroy': { category: 'configuration', type: ['deletion'] },
  'config.change': { category: 'configuration', type: ['change'] },
  'secret.read': { category: 'configuration', type: ['access'] },
  'secret.create': { category: 'configuration', type: ['creation'] },
  'secret.rotate': { category: 'configuration', type: ['change'] },
  'secret.delete': { category: 'configuration', type: ['deletion'] },
  'grant.request': { category: 'iam', type: ['user', 'info'] },
  'grant.approve': { category: 'iam', type: ['user', 'change'] },
  'grant.deny': { category: 'iam', type: ['user', 'change'] },
  'grant.revoke': { category: 'iam', type: ['user', 'change'] },
  'subject.erase': { category: 'database', type: ['deletion'] },
  'audit.verify': { category: 'database', type: ['info'] },
  'audit.checkpoint': { category: 'database', type: ['creation'] },
  'audit.alert': { category: 'intrusion_detection', type: ['info'] },
};

/** An ECS document of one audit event (the fields Sluice fills; every other ECS field is absent). */
export interface EcsAuditDocument {
  '@timestamp': string;
  ecs: { version: string };
  message: string;
  event: {
    kind: 'event' | 'alert';
    category: EcsCategory[];
    type: EcsType[];
    action: AuditAction;
    outcome: 'success' | 'failure' | 'unknown';
    sequence: number;
    dataset: 'sluice.audit';
    module: 'sluice';
    reason?: string;
    /** The canonical event text: "raw text message of entire event, used to demonstrate log integrity" (ECS). */
    original: string;
    /** The RFC 9162 leaf hash of `original` (SHA-256 over 0x00 ‖ its bytes), base64. */
    hash: string;
  };
  user: { id: string; name: string; domain?: string };
  source?: { address: string; ip?: string };
  host?: { name: string };
  /** Sluice's own fields (ECS leaves custom fields to the implementer; snake_case as ECS names are). */
  sluice: {
    seq: number;
    resource: string;
    /** The outcome as recorded: 'denied' is kept here, event.outcome can only say failure. */
    outcome: RecordedAuditEvent['outcome'];
    actor_method: RecordedAuditEvent['actor']['method'];
    request_id?: string;
    /** Counts and names that qualify the act; the catalogue forbids values, keys and plaintext in them. */
    details?: Record<string, string | number | boolean>;
    leaf: string;
    chain: string;
  };
}

/** The short name and directory of a principal: "os:alice(1000)" → alice; "oidc:<issuer>#<subject>" → subject in issuer. */
function userOf(principal: string): EcsAuditDocument['user'] {
  const os = /^os:(.+)\((\d+)\)$/.exec(principal);
  if (os) return { id: principal, name: os[1]! };
  const oidc = /^oidc:(.+)#([^#]+)$/.exec(principal);
  if (oidc) return { id: principal, name: oidc[2]!, domain: oidc[1]! };
  const apiKey = /^apikey:(.+)$/.exec(principal);
  if (apiKey) return { id: principal, name: apiKey[1]! };
  return { id: principal, name: principal };
}

/**
 * The event as an ECS 8.x document. event.outcome allows only success, failure and unknown: a 'denied' event is
 * a failure with event.type 'denied' added (an allowed ECS type: "something was denied"), and sluice.outcome keeps
 * the word. An audit.alert is event.kind 'alert' ("triggered by a detection rule"); everything else is 'event'.
 * `event.original` holds the canonical text, so the leaf can be recomputed from the document alone.
 */
export function toEcs(row: AuditRow, options: { hostname?: string } = {}): EcsAuditDocument {
  const event = JSON.parse(row.event) as RecordedAuditEvent;
  const { category, type } = ECS_CATEGORIES[event.action] ?? { category: 'database' as const, type: ['info' as const] };
  const denied = event.outcome === 'denied';
  const source = event.source;
  return {
    '@timestamp': event.time,
    ecs: { version: ECS_VERSION },
    message: `${event.action} ${event.resource}: ${event.outcome}${event.reason !== undefined ? ` (${event.reason})` : ''}`,
    event: {
      kind: event.action === 'audit.alert' ? 'alert' : 'event',
      category: [category],
      type: denied ? [...type, 'denied'] : [...type],
      action: event.action,
      outcome: event.outcome === 'success' ? 'success' : 'failure',
      sequence: row.seq,
      dataset: 'sluice.audit',
      module: 'sluice',
      ...(event.reason !== undefined ? { reason: event.reason } : {}),
      original: row.event,
      hash: b64(row.leaf),
    },
    user: userOf(event.actor.principal),
    ...(source !== undefined ? { source: { address: source, ...(isIP(source) !== 0 ? { ip: source } : {}) } } : {}),
    ...(options.hostname !== undefined ? { host: { name: options.hostname } } : {}),
    sluice: {
      seq: row.seq,
      resource: event.resource,
      outcome: event.outcome,
      actor_method: event.actor.method,
      ...(event.requestId !== undefined ? { request_id: event.requestId } : {}),
      ...(event.details !== undefined ? { details: event.details } : {}),
      leaf: b64(row.leaf),
      chain: b64(row.chain),
    },
  };
}

// ─── RFC 5424 syslog ──────────────────────────────────────────────────────────────────────────────────────────

/** RFC 5424 §6.2.1 Table 1: facility 13, "log audit" (chosen over 10, authpriv: these are audit records). */
export const SYSLOG_FACILITY_LOG_AUDIT = 13;

/**
 * The SD-ID of Sluice's structured data. RFC 5424 §6.3.2: a private SD-ID is name@<IANA private enterprise number>.
 * 32473 is the number reserved for documentation (RFC 5612): a placeholder until Sluice has a number of its own.
 */
export const SLUICE_SD_ID = 'sluice@32473';

/** RFC 5424 §6.4: a MSG encoded in UTF-8 MUST start with the byte order mark. */
export const UTF8_BOM = '\uFEFF';

/** RFC 5424 §6.2.1 Table 2: 2 critical, 4 warning, 5 notice, 6 informational. */
export function syslogSeverity(action: AuditAction, outcome: RecordedAuditEvent['outcome']): number {
  // A log that failed verification may have been tampered with: someone must look now.
  if (action === 'audit.verify' && outcome === 'failure') return 2;
  if (action === 'audit.alert') return 4;
  if (outcome === 'failure') return 4;
  // Denied: the control worked, which is normal but significant.
  if (outcome === 'denied') return 5;
  return 6;
}

/** RFC 5424 §6.3.3: in a PARAM-VALUE, '"', '\' and ']' MUST be escaped with a backslash. */
export function escapeSdParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** SD-NAME (§6.3.2, §6.3.3): 1 to 32 printable US-ASCII characters except '=', SP, ']' and '"'. */
const SD_NAME = /^[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]{1,32}$/;

/** One SD-ELEMENT: `[SD-ID SD-PARAM…]`, each value escaped; throws on a name the grammar forbids (a defect). */
export function sdElement(id: string, params: readonly (readonly [string, string])[]): string {
  for (const name of [id, ...params.map(([n]) => n)]) {
    if (!SD_NAME.test(name)) throw new RangeError(`'${name}' is not an RFC 5424 SD-NAME`);
  }
  return `[${id}${params.map(([name, value]) => ` ${name}="${escapeSdParamValue(value)}"`).join('')}]`;
}

/** A header field (§6.2): 1 to `max` printable US-ASCII characters, else the NILVALUE '-'. */
function headerField(value: string | undefined, max: number): string {
  return value !== undefined && value.length > 0 && value.length <= max && /^[\x21-\x7e]+$/.test(value) ? value : '-';
}

/** TIMESTAMP (§6.2.3): RFC 3339 with at most 6 fraction digits and an offset; anything else is the NILVALUE. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

export interface SyslogOptions {
  /** HOSTNAME (§6.2.4): the FQDN, host name or address of this machine. */
  hostname: string;
  /** APP-NAME (§6.2.5). */
  appName: string;
  /** PROCID (§6.2.6): the exporter's pid; a change tells the collector reporting was discontinued. */
  procId?: string;
  /** Default 13 (log audit). */
  facility?: number;
}

/**
 * The RFC 5424 message of one event:
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [sluice@32473 seq="…" leaf="…" chain="…"] BOM MSG`,
 * with MSGID the action and MSG the canonical event text after the UTF-8 BOM (§6.4). A verifier strips the three
 * BOM bytes (EF BB BF) from MSG and has the exact bytes the leaf hashes. Events are never truncated to fit a
 * collector's size limit (RFC 5425 §4.3.1: at least 2048 octets, 8192 advised): a cut event would not verify.
 */
export function toSyslog(row: AuditRow, options: SyslogOptions): string {
  const event = JSON.parse(row.event) as Pick<RecordedAuditEvent, 'time' | 'action' | 'outcome'>;
  const facility = options.facility ?? SYSLOG_FACILITY_LOG_AUDIT;
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) throw new RangeError(`syslog facility ${facility} is not 0 to 23`);
  const pri = facility * 8 + syslogSeverity(event.action, event.outcome);
  const timestamp = TIMESTAMP.test(event.time) ? event.time : '-';
  const header = `<${pri}>1 ${timestamp} ${headerField(options.hostname, 255)} ${headerField(options.appName, 48)} ${headerField(options.procId, 128)} ${headerField(event.action, 32)}`;
  const sd = sdElement(SLUICE_SD_ID, [
    ['seq', String(row.seq)],
    ['leaf', b64(row.leaf)],
    ['chain', b64(row.chain)],
  ]);
  return `${header} ${sd} ${UTF8_BOM}${row.event}`;
}

/** RFC 5425 §4.3 octet counting: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN the number of octets (not characters) of the message. */
export function octetCounted(message: string): Buffer {
  const bytes = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${bytes.length} `, 'ascii'), bytes]);
}
