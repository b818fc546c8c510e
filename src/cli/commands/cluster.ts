// `sluice cluster grants`: the SQL that gives a worker's PostgreSQL role only what workers need.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { loadSettings } from '../settings.ts';
import { workerGrantStatements } from '../../cluster/worker-grants.ts';

export function registerCluster(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const cluster = program.command('cluster').description('Cluster mode administration');
  cluster
    .command('grants')
    .description("Print the SQL that gives a worker's PostgreSQL role only what workers need in the state store's schema (run it as the schema's owner)")
    .requiredOption('--role <name>', 'the PostgreSQL role the workers log in as')
    .option('--schema <name>', 'the state store schema (default: state.postgresql.schema of the settings)')
    .action(async (options: { role: string; schema?: string }) => {
      const settings = await loadSettings(context.cwd);
      const schema = options.schema ?? settings.state.postgresql?.schema;
      if (schema === undefined) throw new SluiceError('SLUICE_USAGE', 'give --schema, or set state.store: postgresql and state.postgresql in sluice.settings.yaml');
      let statements: string[];
      try {
        statements = workerGrantStatements(schema, options.role);
      } catch (error) {
        throw new SluiceError('SLUICE_USAGE', `--role or --schema is not a PostgreSQL name: ${(error as Error).message}`);
      }
      println(context.stdout, statements.join('\n'));
      setExit(EXIT.OK);
    });
}
