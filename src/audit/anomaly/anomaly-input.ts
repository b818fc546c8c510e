// What anomaly detection reads from an audit event: who, when (as epoch ms), what kind of act, from where, on
// which dataset and how many records. Detectors see only this, so they never hold anything but names and counts.
import { SluiceError } from '../../errors.ts';
import type { AuditEvent } from '../audit-event.ts';

/** The kinds of act the detectors tell apart. */
export type AnomalyInputKind = 'auth' | 'access' | 'other';

/** One audit event as the detectors see it. */
export interface AnomalyInput {
  /** Milliseconds since the epoch (UTC), from the event's own time: detectors never read the wall clock. */
  time: number;
  principal: string;
  /** 'auth' for authentication attempts, 'access' for reads of data or secrets, 'other' for the rest. */
  kind: AnomalyInputKind;
  outcome: 'success' | 'failure' | 'denied';
  /** The address the request came from, when known. */
  source?: string;
  /** The dataset (or other resource) an access touched. */
  dataset?: string;
  /** How many records an access read; an access without a count counts as one. */
  records?: number;
}

/** ISO 8601 with seconds and an explicit zone: 2026-01-05T09:30:00Z, 2026-01-05T09:30:00.123+02:00. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Epoch milliseconds of an audit time. Date.parse alone is too lenient (V8 turns 2026-02-30 into March 2nd and
 * takes 24:00), so the fields are checked first; anything else is SLUICE_INPUT_MALFORMED, which names the value
 * (a time is never secret).
 */
export function parseAuditTime(text: string): number {
  const match = typeof text === 'string' ? ISO_TIME.exec(text) : null;
  const ms = match ? Date.parse(text) : Number.NaN;
  if (match && Number.isFinite(ms)) {
    const field = (i: number) => Number(match[i] ?? 0);
    const [y, mo, d, h, mi, s, oh, om] = [field(1), field(2), field(3), field(4), field(5), field(6), field(8), field(9)] as const;
    const fieldsOk = mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h <= 23 && mi <= 59 && s <= 59;
    const offsetOk = oh <= 23 && om <= 59;
    if (fieldsOk && offsetOk) return ms;
  }
  throw new SluiceError('SLUICE_INPUT_MALFORMED', `audit event time ${JSON.stringify(String(text)).slice(0, 64)} is not an ISO 8601 time with a zone (2026-01-05T09:30:00Z): anomaly detection needs the time of each event`);
}

/** Throws SLUICE_INPUT_MALFORMED unless `input` has a usable time and, if given, a usable record count. */
export function checkInput(input: AnomalyInput): void {
  if (typeof input.time !== 'number' || !Number.isFinite(input.time) || Math.abs(input.time) > 8.64e15) {
    throw new SluiceError('SLUICE_INPUT_MALFORMED', `anomaly input time ${String(input.time)} is not a time in epoch milliseconds: parse the event time with parseAuditTime`);
  }
  if (input.records !== undefined && (typeof input.records !== 'number' || !(input.records >= 0))) {
    throw new SluiceError('SLUICE_INPUT_MALFORMED', `anomaly input record count ${String(input.records)} is not a count (a number ≥ 0)`);
  }
}

/** A record count from the event details, or undefined when there is none or it is not a count. */
function countIn(details: AuditEvent['details'], ...names: string[]): number | undefined {
  for (const name of names) {
    const value = details?.[name];
    if (typeof value === 'number' && value >= 0) return value;
  }
  return undefined;
}

function datasetOf(event: AuditEvent): string {
  const named = event.details?.dataset;
  return typeof named === 'string' && named !== '' ? named : event.resource;
}

/**
 * The default mapping from the audit catalogue: auth.* are authentication attempts; data.read, data.detokenize
 * and secret.read are accesses (with details.records or details.count as the volume, details.dataset or the
 * resource as the dataset); audit.alert is skipped, so alerts never feed the detectors that raised them.
 * Throws SLUICE_INPUT_MALFORMED for a malformed time.
 */
export function toAnomalyInput(event: AuditEvent): AnomalyInput | undefined {
  const action: string = event.action;
  if (action === 'audit.alert') return undefined;
  const time = parseAuditTime(event.time);
  const base = { time, principal: event.actor.principal, outcome: event.outcome, ...(event.source !== undefined ? { source: event.source } : {}) };
  if (action.startsWith('auth.')) {
    // auth.failure is a failure whatever outcome the writer put beside it.
    return { ...base, kind: 'auth', outcome: action === 'auth.failure' ? 'failure' : event.outcome };
  }
  if (action.startsWith('data.') || action === 'secret.read') {
    const records = countIn(event.details, 'records', 'count');
    return { ...base, kind: 'access', dataset: datasetOf(event), ...(records !== undefined ? { records } : {}) };
  }
  return { ...base, kind: 'other' };
}
