// What a cluster worker's PostgreSQL role may do in the state store's schema, as SQL for a database administrator:
// read runs, its tasks and the keyring; lease and commit tasks, record the objects they wrote and its heartbeats;
// create and read subject keys (the encrypt step); append to the audit log (a stored secret's read is audited). It
// cannot change runs, keys, secrets or access (API keys, role bindings, grants), nor alter the schema. Revoked
// first, so the statements can run again after an upgrade.
import { quoteIdentifier } from '../connectors/postgres/identifiers.ts';

/** Table → the privileges a worker holds on it. Every table of the schema is listed: the rest hold none. */
export const WORKER_TABLE_PRIVILEGES: Readonly<Record<string, readonly string[]>> = {
  schema_version: ['SELECT'],
  runs: ['SELECT'],
  checkpoints: [],
  tasks: ['SELECT', 'UPDATE'],
  objects: ['SELECT', 'INSERT', 'UPDATE'],
  workers: ['SELECT', 'INSERT', 'UPDATE'],
  key_versions: ['SELECT'],
  subject_keys: ['SELECT', 'INSERT'],
  subject_ref_keys: ['SELECT', 'INSERT'],
  secrets: ['SELECT'],
  audit_events: ['SELECT', 'INSERT'],
  audit_nodes: ['SELECT', 'INSERT'],
  audit_checkpoints: ['SELECT', 'INSERT'],
  api_keys: [],
  role_bindings: [],
  access_grants: [],
};

/** The statements that give `role` a worker's rights in `schema` (and nothing else there). */
export function workerGrantStatements(schema: string, role: string): string[] {
  const s = quoteIdentifier(schema);
  const r = quoteIdentifier(role);
  const statements = [`REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r};`, `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r};`, `GRANT USAGE ON SCHEMA ${s} TO ${r};`];
  for (const [table, privileges] of Object.entries(WORKER_TABLE_PRIVILEGES)) {
    if (privileges.length > 0) statements.push(`GRANT ${privileges.join(', ')} ON ${s}.${quoteIdentifier(table)} TO ${r};`);
  }
  // Identity columns of the tables it inserts into draw from their sequences.
  statements.push(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${s} TO ${r};`);
  return statements;
}
