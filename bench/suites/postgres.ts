// PostgreSQL source: customer rows read from a table in keyset batches, through contract, tokenize and mask, into the
// encrypted file sink, against a plain keyset read loop that writes the rows as JSON Lines with no protection.
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { builtinRegistry } from '../../src/builtins.ts';
import { loadSpec } from '../../src/spec/load-spec.ts';
import { planPipeline } from '../../src/plan/plan.ts';
import { runPipeline } from '../../src/runtime/executor.ts';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../../src/crypto/providers/local-provider.ts';
import { postgresSource } from '../../src/connectors/sources/postgres-source.ts';
import { sampleCustomer } from '../../src/cli/sample-customers.ts';
import { seeded } from '../../src/seeded-random.ts';
import { LOCAL_POSTGRES, scratchSchema } from '../../test/support/postgres-scratch.ts';
import type { Scratch } from '../../test/support/postgres-scratch.ts';
import type { BenchRow, BenchSuite } from '../harness.ts';
import { measureInterleaved } from '../harness.ts';
import type { Measured } from '../harness.ts';
import { CUSTOMER_FIELDS } from '../customer-fields.ts';

/** Rows per batch, for Sluice and the loop alike (the runtime's default). */
const BATCH = 10_000;
/** The target from issue #8: rows read, protected and written per second. */
const TARGET_ROWS_PER_SECOND = 50_000;

/** How email is protected: tokenized (the issue's pipeline), or masked like the rest (to show what tokenizing costs). */
type EmailStep = 'tokenize' | 'mask';

function specText(table: string, email: EmailStep): string {
  const { host, port, database, user } = LOCAL_POSTGRES;
  return `pipeline: bench-postgres-${email}
source:
  postgresql: { host: '${host}', port: ${port}, database: ${database}, user: ${user}, insecureNoTls: true, table: ${table}, cursor: updated_at, key: [id] }
contract:
  subject: customer_id
  fields:
    id:             { type: integer, class: internal }
${CUSTOMER_FIELDS}    updated_at:     { type: timestamp, class: internal }
steps:
  - ${email}: { fields: [email] }
  - mask: { fields: [card_number], keepLast: 4 }
  - mask: { fields: [full_name, phone] }
sinks:
  - file: { dir: out-${email}, clearance: internal }
runtime: { batchSize: ${BATCH} }
`;
}

/** Fills the table with `count` sample customers, three to an updated_at (ties cross batch boundaries). */
async function loadCustomers(db: Scratch, count: number): Promise<string> {
  const table = db.table('customers');
  await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, customer_id text NOT NULL, full_name text NOT NULL, email text NOT NULL, phone text,
    card_number text NOT NULL, country text NOT NULL, signup_date date NOT NULL, lifetime_value double precision NOT NULL, updated_at timestamptz NOT NULL)`);
  const random = seeded(7);
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let from = 1; from <= count; from += 20_000) {
    const rows = [];
    for (let i = from; i < Math.min(from + 20_000, count + 1); i++) rows.push({ id: i, ...sampleCustomer(i, random), updated_at: new Date(start + Math.floor(i / 3) * 1000).toISOString() });
    await db.query(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::json)`, [JSON.stringify(rows)]);
  }
  await db.query(`CREATE INDEX ON ${table} (updated_at, id)`);
  await db.query(`ANALYZE ${table}`);
  return table;
}

/** The floor: the same keyset reads with the driver's default parsing, each row written as a JSON line. */
async function plainLoop(table: string, output: string): Promise<number> {
  const client = new pg.Client({ ...LOCAL_POSTGRES });
  await client.connect();
  const out = createWriteStream(output);
  let rows = 0;
  try {
    let after: [unknown, unknown] | undefined;
    for (;;) {
      const result = after
        ? await client.query(`SELECT * FROM ${table} WHERE (updated_at, id) > ($1, $2) ORDER BY updated_at, id LIMIT $3`, [...after, BATCH])
        : await client.query(`SELECT * FROM ${table} ORDER BY updated_at, id LIMIT $1`, [BATCH]);
      let text = '';
      for (const row of result.rows as Record<string, unknown>[]) text += JSON.stringify(row) + '\n';
      if (!out.write(text)) await once(out, 'drain');
      rows += result.rows.length;
      const last = result.rows.at(-1) as { updated_at: unknown; id: unknown } | undefined;
      if (!last || result.rows.length < BATCH) break;
      after = [last.updated_at, last.id];
    }
  } finally {
    out.end();
    await once(out, 'finish');
    await client.end();
  }
  return rows;
}

/** The source alone: keyset batches read and turned into records, nothing else; what the connector itself costs. */
async function sourceAlone(table: string): Promise<number> {
  const { host, port, database, user } = LOCAL_POSTGRES;
  const options = postgresSource.spec.parse({ host, port, database, user, insecureNoTls: true, table, cursor: 'updated_at', key: ['id'] });
  const reader = await postgresSource.create(options, { baseDir: tmpdir(), pipeline: 'bench-postgres' }).open(undefined);
  let rows = 0;
  try {
    for await (const batch of reader.batches(BATCH)) rows += batch.records.length;
  } finally {
    await reader.close();
  }
  return rows;
}

/** Runs the pipeline of `specFile` once, from the start; returns its wall time in ms. */
async function runSluice(dir: string, specFile: string, count: number): Promise<number> {
  const registry = builtinRegistry();
  // The lead registers the source among the built-ins; until then the suite adds it.
  if (!registry.get('source', 'postgresql')) registry.register(postgresSource);
  const loaded = await loadSpec(join(dir, specFile), registry);
  if (!loaded.result.spec) throw new Error(loaded.issues.map((i) => i.message).join('\n'));
  // A new state folder for every run: each makes its own keyring under a fresh root key.
  const stateDir = join(dir, `.sluice-${specFile}`);
  rmSync(stateDir, { recursive: true, force: true });
  const store = new SqliteStateStore(join(stateDir, 'state.db'));
  const keyring = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
  await keyring.ensure('default');
  const started = performance.now();
  const result = await runPipeline({ plan: planPipeline(loaded.result.spec), store, stateDir, encryption: { keys: keyring, keyId: 'default' }, specHash: loaded.hash, fresh: true, logger: pino({ level: 'silent' }) });
  const elapsed = performance.now() - started;
  keyring.close();
  await store.close();
  const { recordsIn, quarantined } = result.run.totals;
  if (recordsIn !== count || quarantined !== 0) throw new Error(`Sluice read ${recordsIn} rows of ${count}, ${quarantined} quarantined`);
  return elapsed;
}

/** Runs `work`, which must read `count` rows; returns the wall time in ms. */
async function timedRows(count: number, what: string, work: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const rows = await work();
  if (rows !== count) throw new Error(`${what} read ${rows} rows of ${count}`);
  return performance.now() - started;
}

export const postgresSuite: BenchSuite = {
  name: 'postgres',
  description: 'PostgreSQL table through contract, tokenize and mask into the encrypted file sink, against a plain keyset read loop writing JSON Lines',
  async run({ quick }) {
    const count = quick ? 20_000 : 200_000;
    const db = await scratchSchema('sluice_bench');
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-pg-'));
    try {
      const table = await loadCustomers(db, count);
      for (const email of ['tokenize', 'mask'] as const) writeFileSync(join(dir, `${email}.yaml`), specText(table, email));

      const [floor, source, tokenized, masked] = await measureInterleaved(quick ? 2 : 3, [
        () => timedRows(count, 'the plain loop', () => plainLoop(table, join(dir, 'floor.jsonl'))),
        () => timedRows(count, 'the source', () => sourceAlone(table)),
        () => runSluice(dir, 'tokenize.yaml', count),
        () => runSluice(dir, 'mask.yaml', count),
      ]);

      const rate = (ms: number) => count / (ms / 1000);
      const baseline = { name: 'plain keyset loop to JSON Lines', value: rate(floor!.median) };
      const row = (name: string, measured: Measured | undefined): BenchRow => ({
        suite: 'postgres',
        name,
        value: rate(measured!.median),
        unit: 'rows/s',
        spread: [rate(measured!.max), rate(measured!.min)],
        baseline,
        ratio: rate(measured!.median) / baseline.value,
        target: { text: `≥ ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')} rows/s`, met: rate(measured!.median) >= TARGET_ROWS_PER_SECOND },
        peakRssMiB: measured!.peakRssMiB,
      });
      return [
        row(`${count.toLocaleString('en-US')} rows: table → tokenize + mask → encrypted files`, tokenized),
        row('the same with email masked instead of tokenized', masked),
        row('postgresql source alone (keyset batches → typed records)', source),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.close();
    }
  },
};
