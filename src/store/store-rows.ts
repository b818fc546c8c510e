// Rows as both state stores keep them (the same columns and text forms in SQLite and PostgreSQL), and the
// records they stand for: one mapping, so the two implementations cannot drift apart.
import type { AccessGrant, ApiKeyRecord, GrantStatus, RoleBinding } from '../auth/access-store.ts';
import type { Permission } from '../auth/permissions.ts';
import type { AuditCheckpointRow } from '../audit/audit-store.ts';
import type { KeyVersionRecord, KeyVersionState } from '../crypto/keyring/key-store.ts';
import type { SecretRecord } from '../secrets/store/secret-record-store.ts';
import type { Classification } from '../spec/classification.ts';
import type { SourcePosition } from '../connectors/source.ts';
import type { RunRecord, RunStatus, RunTotals, TaskRecord, TaskStatus, WorkerRecord } from './state-store.ts';
import { emptyTotals } from './state-store.ts';

/** Totals as stored; counters added in later versions start at zero for runs recorded before them. */
export function readTotals(json: string): RunTotals {
  return { ...emptyTotals(), ...(JSON.parse(json) as Partial<RunTotals>) };
}

export interface RunRow {
  id: string;
  pipeline: string;
  spec_hash: string;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  pid: number;
  attempts: number;
  totals: string;
  error: string | null;
  host: string | null;
  held_until: string | null;
}

export function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    pipeline: row.pipeline,
    specHash: row.spec_hash,
    status: row.status,
    startedAt: row.started_at,
    pid: row.pid,
    attempts: row.attempts,
    totals: readTotals(row.totals),
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.host !== null ? { host: row.host } : {}),
    ...(row.held_until !== null ? { heldUntil: row.held_until } : {}),
  };
}

export interface TaskRow {
  run_id: string;
  id: string;
  from_position: string | null;
  until_position: string | null;
  status: TaskStatus;
  attempts: number;
  worker: string | null;
  leased_until: string | null;
  totals: string | null;
  committed_at: string | null;
  error: string | null;
  end_position: string | null;
  spec_path: string | null;
}

export function toTask(row: TaskRow): TaskRecord {
  return {
    runId: row.run_id,
    id: row.id,
    status: row.status,
    attempts: row.attempts,
    ...(row.from_position !== null ? { from: JSON.parse(row.from_position) as SourcePosition } : {}),
    ...(row.until_position !== null ? { until: JSON.parse(row.until_position) as SourcePosition } : {}),
    ...(row.worker !== null ? { worker: row.worker } : {}),
    ...(row.leased_until !== null ? { leasedUntil: row.leased_until } : {}),
    ...(row.totals !== null ? { totals: readTotals(row.totals) } : {}),
    ...(row.committed_at !== null ? { committedAt: row.committed_at } : {}),
    ...(row.end_position !== null ? { end: JSON.parse(row.end_position) as SourcePosition } : {}),
    ...(row.spec_path !== null ? { specPath: row.spec_path } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
  };
}

export interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  in_flight: number;
  state: WorkerRecord['state'];
  started_at: string;
  last_seen_at: string;
}

export function toWorker(row: WorkerRow): WorkerRecord {
  return {
    id: row.id,
    host: row.host,
    pid: row.pid,
    concurrency: row.concurrency,
    inFlight: row.in_flight,
    state: row.state,
    startedAt: row.started_at,
    lastSeenAt: row.last_seen_at,
  };
}

export interface KeyRow {
  key_id: string;
  version: number;
  state: KeyVersionState;
  wrapped: Buffer;
  provider: string;
  created_at: string;
  rotation_days: number | null;
}

export function toKeyVersion(row: KeyRow): KeyVersionRecord {
  return {
    keyId: row.key_id,
    version: row.version,
    state: row.state,
    wrapped: row.wrapped,
    provider: row.provider,
    createdAt: row.created_at,
    ...(row.rotation_days !== null ? { rotationDays: row.rotation_days } : {}),
  };
}

export interface SecretRow {
  name: string;
  version: number;
  key_id: string;
  key_version: number;
  sealed: Buffer;
  created_at: string;
  rotated_at: string;
  last_read_at: string | null;
  max_age_days: number | null;
}

export function toSecret(row: SecretRow): SecretRecord {
  return {
    name: row.name,
    version: row.version,
    keyId: row.key_id,
    keyVersion: row.key_version,
    sealed: row.sealed,
    createdAt: row.created_at,
    rotatedAt: row.rotated_at,
    ...(row.last_read_at !== null ? { lastReadAt: row.last_read_at } : {}),
    ...(row.max_age_days !== null ? { maxAgeDays: row.max_age_days } : {}),
  };
}

export interface CheckpointRow {
  tree_size: number;
  root: Buffer;
  time: string;
  note: string;
}

export function toCheckpoint(row: CheckpointRow): AuditCheckpointRow {
  return { treeSize: row.tree_size, root: row.root, time: row.time, note: row.note };
}

export interface ApiKeyRow {
  id: string;
  name: string;
  hash: Buffer;
  scopes: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    scopes: JSON.parse(row.scopes) as Permission[],
    createdAt: row.created_at,
    createdBy: row.created_by,
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
  };
}

export interface BindingRow {
  principal: string;
  role: string;
  namespace: string;
  clearance: Classification;
  created_at: string;
  created_by: string;
}

export function toBinding(row: BindingRow): RoleBinding {
  return { principal: row.principal, role: row.role, namespace: row.namespace, clearance: row.clearance, createdAt: row.created_at, createdBy: row.created_by };
}

export interface GrantRow {
  id: string;
  principal: string;
  permission: Permission;
  namespace: string;
  reason: string;
  duration_seconds: number;
  status: GrantStatus;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  expires_at: string | null;
}

export function toGrant(row: GrantRow): AccessGrant {
  return {
    id: row.id,
    principal: row.principal,
    permission: row.permission,
    namespace: row.namespace,
    reason: row.reason,
    durationSeconds: row.duration_seconds,
    status: row.status,
    requestedAt: row.requested_at,
    ...(row.decided_by !== null ? { decidedBy: row.decided_by } : {}),
    ...(row.decided_at !== null ? { decidedAt: row.decided_at } : {}),
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
  };
}
