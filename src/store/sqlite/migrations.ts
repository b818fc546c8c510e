// Versioned schema of the embedded state store. Each entry moves the schema one version up; never edit one
// that has shipped, add the next.
export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     pipeline TEXT NOT NULL,
     spec_hash TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','abandoned')),
     started_at TEXT NOT NULL,
     finished_at TEXT,
     pid INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 1,
     totals TEXT NOT NULL,
     error TEXT
   );
   CREATE INDEX runs_by_pipeline ON runs (pipeline, started_at);
   CREATE TABLE checkpoints (
     run_id TEXT NOT NULL REFERENCES runs (id),
     batch INTEGER NOT NULL,
     position TEXT NOT NULL,
     totals TEXT NOT NULL,
     committed_at TEXT NOT NULL,
     PRIMARY KEY (run_id, batch)
   );`,
  // One running run per pipeline: two processes that start together cannot both create one.
  `CREATE UNIQUE INDEX one_running_run_per_pipeline ON runs (pipeline) WHERE status = 'running';`,
  // The keyring: every version of every key, its material wrapped by the key provider's root key.
  `CREATE TABLE key_versions (
     key_id TEXT NOT NULL,
     version INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('primary','active','destroyed')),
     wrapped BLOB NOT NULL,
     provider TEXT NOT NULL,
     created_at TEXT NOT NULL,
     rotation_days INTEGER,
     PRIMARY KEY (key_id, version)
   );
   CREATE UNIQUE INDEX one_primary_version_per_key ON key_versions (key_id) WHERE state = 'primary';`,
  // Every object written at rest and the key version sealing it: rewrap and destroy work from this.
  `CREATE TABLE objects (
     location TEXT PRIMARY KEY,
     run_id TEXT NOT NULL,
     key_id TEXT NOT NULL,
     key_version INTEGER NOT NULL
   );
   CREATE INDEX objects_by_key ON objects (key_id, key_version);
   CREATE INDEX objects_by_run ON objects (run_id);`,
  // Per-subject keys for crypto-shredding: found by a keyed hash of the subject id, never the id itself.
  `CREATE TABLE subject_keys (
     key_id TEXT NOT NULL,
     subject_ref BLOB NOT NULL,
     key_version INTEGER NOT NULL,
     wrapped BLOB,
     erased_at TEXT,
     PRIMARY KEY (key_id, subject_ref)
   ) WITHOUT ROWID;`,
  // The secret that turns subject ids into references, one per key, wrapped by a version of that key. It
  // never changes, so a subject keeps one reference (and one tombstone) across key rotations.
  `CREATE TABLE subject_ref_keys (
     key_id TEXT PRIMARY KEY,
     key_version INTEGER NOT NULL,
     wrapped BLOB NOT NULL
   );`,
  // The built-in secret store: values sealed by the keyring ('secrets' key), with the metadata rotation
  // reminders need. The name is the only thing in clear.
  `CREATE TABLE secrets (
     name TEXT PRIMARY KEY,
     version INTEGER NOT NULL,
     key_id TEXT NOT NULL,
     key_version INTEGER NOT NULL,
     sealed BLOB NOT NULL,
     created_at TEXT NOT NULL,
     rotated_at TEXT NOT NULL,
     last_read_at TEXT,
     max_age_days INTEGER
   );
   CREATE INDEX secrets_by_key ON secrets (key_id, key_version);`,
  // The audit log, append-only: each event's exact bytes, its RFC 9162 leaf hash and the hash chain through it
  // (one 64-byte column, leaf ‖ chain: one value to read per row, which is most of what verification costs);
  // the stored subtree roots of the Merkle tree over the leaves; the signed checkpoints. One index (by action):
  // each index costs appends about a third of their speed; time follows seq, and queries by principal scan.
  `CREATE TABLE audit_events (
     seq INTEGER PRIMARY KEY,
     time TEXT NOT NULL,
     action TEXT NOT NULL,
     principal TEXT NOT NULL,
     resource TEXT NOT NULL,
     outcome TEXT NOT NULL,
     event TEXT NOT NULL,
     hashes BLOB NOT NULL
   );
   CREATE INDEX audit_events_by_action ON audit_events (action, seq);
   CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
   CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
   CREATE TABLE audit_nodes (
     level INTEGER NOT NULL,
     idx INTEGER NOT NULL,
     hash BLOB NOT NULL,
     PRIMARY KEY (level, idx)
   ) WITHOUT ROWID;
   CREATE TABLE audit_checkpoints (
     tree_size INTEGER PRIMARY KEY,
     root BLOB NOT NULL,
     time TEXT NOT NULL,
     note TEXT NOT NULL
   );
   CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
   CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;`,
  // The control plane's access state: API keys (the SHA-256 of the secret part only), role bindings scoped to a
  // namespace up to a clearance, and just-in-time grants with their decision.
  `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash BLOB NOT NULL,
     scopes TEXT NOT NULL,
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL,
     expires_at TEXT,
     revoked_at TEXT
   );
   CREATE TABLE role_bindings (
     principal TEXT NOT NULL,
     role TEXT NOT NULL,
     namespace TEXT NOT NULL,
     clearance TEXT NOT NULL CHECK (clearance IN ('public','internal','confidential','restricted')),
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL,
     PRIMARY KEY (principal, role, namespace)
   );
   CREATE TABLE access_grants (
     id TEXT PRIMARY KEY,
     principal TEXT NOT NULL,
     permission TEXT NOT NULL,
     namespace TEXT NOT NULL,
     reason TEXT NOT NULL,
     duration_seconds INTEGER NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending','approved','denied','revoked')),
     requested_at TEXT NOT NULL,
     decided_by TEXT,
     decided_at TEXT,
     expires_at TEXT
   );
   CREATE INDEX access_grants_by_principal ON access_grants (principal, requested_at);`,
  // Cluster runs: the tasks a run is split into (positions and totals as JSON text, each committed once), and the
  // workers as their last heartbeat described them.
  `CREATE TABLE tasks (
     run_id TEXT NOT NULL REFERENCES runs (id),
     id TEXT NOT NULL,
     from_position TEXT,
     until_position TEXT,
     status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','committed','dead')),
     attempts INTEGER NOT NULL DEFAULT 0,
     worker TEXT,
     leased_until TEXT,
     totals TEXT,
     committed_at TEXT,
     error TEXT,
     PRIMARY KEY (run_id, id)
   );
   CREATE TABLE workers (
     id TEXT PRIMARY KEY,
     host TEXT NOT NULL,
     pid INTEGER NOT NULL,
     concurrency INTEGER NOT NULL,
     in_flight INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('ready','draining','stopped')),
     started_at TEXT NOT NULL,
     last_seen_at TEXT NOT NULL
   );`,
  // Where a committed task's reading ended: a cluster run of an incremental source records its end from them.
  `ALTER TABLE tasks ADD COLUMN end_position TEXT;`,
  // The spec file a task runs, recorded by the coordinator: a worker takes it (and the range) from here, never
  // from the task message, which anyone who may publish on the queue could forge.
  `ALTER TABLE tasks ADD COLUMN spec_path TEXT;`,
  // Which machine holds a running run, and until when: a process on another machine cannot see the holder's pid,
  // so it goes by the hold, which the holder renews while it lives.
  `ALTER TABLE runs ADD COLUMN host TEXT; ALTER TABLE runs ADD COLUMN held_until TEXT;`,
];
