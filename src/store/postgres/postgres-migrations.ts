// Versioned schema of the cluster state store in PostgreSQL. Entry n moves the schema from version n to n + 1 and
// means what SQLite's entry n means (SQLITE_MIGRATIONS); never edit one that has shipped, add the next. Each runs
// with the store's schema first on the search_path, so names are written unqualified.
//
// Types follow what the SQLite store keeps, so that both return the same values: times are ISO 8601 text, as
// written; JSON (totals, positions, scopes) is text, kept byte for byte; blobs are bytea. Text that is sorted or
// compared carries COLLATE "C": byte order, as SQLite's BINARY, whatever the database's locale. Counters that
// grow without bound (audit sequence, tree sizes, batches) are bigint. SQLite's rowid, which breaks ties in
// "newest first" lists, is an identity column `seq`.
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     seq bigint GENERATED ALWAYS AS IDENTITY,
     id text COLLATE "C" PRIMARY KEY,
     pipeline text COLLATE "C" NOT NULL,
     spec_hash text NOT NULL,
     status text NOT NULL CHECK (status IN ('running','succeeded','failed','abandoned')),
     started_at text COLLATE "C" NOT NULL,
     finished_at text,
     pid integer NOT NULL,
     attempts integer NOT NULL DEFAULT 1,
     totals text NOT NULL,
     error text
   );
   CREATE INDEX runs_by_pipeline ON runs (pipeline, started_at);
   CREATE TABLE checkpoints (
     run_id text COLLATE "C" NOT NULL REFERENCES runs (id),
     batch bigint NOT NULL,
     position text NOT NULL,
     totals text NOT NULL,
     committed_at text NOT NULL,
     PRIMARY KEY (run_id, batch)
   );`,
  // One running run per pipeline: two processes that start together cannot both create one. The store maps a
  // violation of this index, by its name, to SLUICE_RUN_LOCKED.
  `CREATE UNIQUE INDEX one_running_run_per_pipeline ON runs (pipeline) WHERE status = 'running';`,
  // The keyring: every version of every key, its material wrapped by the key provider's root key.
  `CREATE TABLE key_versions (
     key_id text COLLATE "C" NOT NULL,
     version integer NOT NULL,
     state text NOT NULL CHECK (state IN ('primary','active','destroyed')),
     wrapped bytea NOT NULL,
     provider text NOT NULL,
     created_at text NOT NULL,
     rotation_days integer,
     PRIMARY KEY (key_id, version)
   );
   CREATE UNIQUE INDEX one_primary_version_per_key ON key_versions (key_id) WHERE state = 'primary';`,
  // Every object written at rest and the key version sealing it: rewrap and destroy work from this.
  `CREATE TABLE objects (
     location text COLLATE "C" PRIMARY KEY,
     run_id text COLLATE "C" NOT NULL,
     key_id text COLLATE "C" NOT NULL,
     key_version integer NOT NULL
   );
   CREATE INDEX objects_by_key ON objects (key_id, key_version);
   CREATE INDEX objects_by_run ON objects (run_id);`,
  // Per-subject keys for crypto-shredding: found by a keyed hash of the subject id, never the id itself.
  `CREATE TABLE subject_keys (
     key_id text COLLATE "C" NOT NULL,
     subject_ref bytea NOT NULL,
     key_version integer NOT NULL,
     wrapped bytea,
     erased_at text,
     PRIMARY KEY (key_id, subject_ref)
   );`,
  // The secret that turns subject ids into references, one per key, wrapped by a version of that key. It
  // never changes, so a subject keeps one reference (and one tombstone) across key rotations.
  `CREATE TABLE subject_ref_keys (
     key_id text COLLATE "C" PRIMARY KEY,
     key_version integer NOT NULL,
     wrapped bytea NOT NULL
   );`,
  // The built-in secret store: values sealed by the keyring ('secrets' key), with the metadata rotation
  // reminders need. The name is the only thing in clear.
  `CREATE TABLE secrets (
     name text COLLATE "C" PRIMARY KEY,
     version integer NOT NULL,
     key_id text COLLATE "C" NOT NULL,
     key_version integer NOT NULL,
     sealed bytea NOT NULL,
     created_at text NOT NULL,
     rotated_at text NOT NULL,
     last_read_at text,
     max_age_days integer
   );
   CREATE INDEX secrets_by_key ON secrets (key_id, key_version);`,
  // The audit log, append-only: each event's exact bytes, its RFC 9162 leaf hash and the hash chain through it
  // (one 64-byte column, leaf ‖ chain); the stored subtree roots of the Merkle tree; the signed checkpoints. As
  // in SQLite, one index (by action): time follows seq. Triggers refuse UPDATE and DELETE row by row, and
  // TRUNCATE (which fires no row trigger) as a statement. They stop mistakes and casual edits, not the table's
  // owner, who can drop a trigger: the hash chain and the signed checkpoints are what detect tampering.
  `CREATE FUNCTION refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     RAISE EXCEPTION '% are append-only', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
   END
   $$;
   CREATE TABLE audit_events (
     seq bigint PRIMARY KEY,
     time text COLLATE "C" NOT NULL,
     action text COLLATE "C" NOT NULL,
     principal text COLLATE "C" NOT NULL,
     resource text COLLATE "C" NOT NULL,
     outcome text NOT NULL,
     event text NOT NULL,
     hashes bytea NOT NULL
   );
   CREATE INDEX audit_events_by_action ON audit_events (action, seq);
   CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
     FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change('audit events');
   CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
     FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change('audit events');
   CREATE TABLE audit_nodes (
     level integer NOT NULL,
     idx bigint NOT NULL,
     hash bytea NOT NULL,
     PRIMARY KEY (level, idx)
   );
   CREATE TABLE audit_checkpoints (
     tree_size bigint PRIMARY KEY,
     root bytea NOT NULL,
     time text NOT NULL,
     note text NOT NULL
   );
   CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
     FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change('audit checkpoints');
   CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
     FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change('audit checkpoints');`,
  // The control plane's access state: API keys (the SHA-256 of the secret part only), role bindings scoped to a
  // namespace up to a clearance, and just-in-time grants with their decision.
  `CREATE TABLE api_keys (
     id text COLLATE "C" PRIMARY KEY,
     name text NOT NULL,
     hash bytea NOT NULL,
     scopes text NOT NULL,
     created_at text COLLATE "C" NOT NULL,
     created_by text NOT NULL,
     expires_at text,
     revoked_at text
   );
   CREATE TABLE role_bindings (
     principal text COLLATE "C" NOT NULL,
     role text COLLATE "C" NOT NULL,
     namespace text COLLATE "C" NOT NULL,
     clearance text NOT NULL CHECK (clearance IN ('public','internal','confidential','restricted')),
     created_at text NOT NULL,
     created_by text NOT NULL,
     PRIMARY KEY (principal, role, namespace)
   );
   CREATE TABLE access_grants (
     seq bigint GENERATED ALWAYS AS IDENTITY,
     id text COLLATE "C" PRIMARY KEY,
     principal text COLLATE "C" NOT NULL,
     permission text NOT NULL,
     namespace text NOT NULL,
     reason text NOT NULL,
     duration_seconds integer NOT NULL,
     status text NOT NULL CHECK (status IN ('pending','approved','denied','revoked')),
     requested_at text COLLATE "C" NOT NULL,
     decided_by text,
     decided_at text,
     expires_at text
   );
   CREATE INDEX access_grants_by_principal ON access_grants (principal, requested_at);`,
  // Cluster runs: the tasks a run is split into (positions and totals as JSON text, each committed once), and the
  // workers as their last heartbeat described them.
  `CREATE TABLE tasks (
     run_id text COLLATE "C" NOT NULL REFERENCES runs (id),
     id text COLLATE "C" NOT NULL,
     from_position text,
     until_position text,
     status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','committed','dead')),
     attempts integer NOT NULL DEFAULT 0,
     worker text,
     leased_until text,
     totals text,
     committed_at text,
     error text,
     PRIMARY KEY (run_id, id)
   );
   CREATE TABLE workers (
     id text COLLATE "C" PRIMARY KEY,
     host text NOT NULL,
     pid integer NOT NULL,
     concurrency integer NOT NULL,
     in_flight integer NOT NULL,
     state text NOT NULL CHECK (state IN ('ready','draining','stopped')),
     started_at text NOT NULL,
     last_seen_at text NOT NULL
   );`,
  // Means what SQLite's entry 10 means: where a committed task's reading ended.
  `ALTER TABLE tasks ADD COLUMN end_position text;`,
  // The spec file a task runs, recorded by the coordinator: a worker takes it (and the range) from here, never
  // from the task message, which anyone who may publish on the queue could forge.
  `ALTER TABLE tasks ADD COLUMN spec_path text;`,
  // Which machine holds a running run, and until when: a process on another machine cannot see the holder's pid,
  // so it goes by the hold, which the holder renews while it lives.
  `ALTER TABLE runs ADD COLUMN host text; ALTER TABLE runs ADD COLUMN held_until text;`,
];
