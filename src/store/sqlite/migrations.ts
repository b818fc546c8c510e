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
];
