// The composition root of the `sluice` command: builds the registry, parses arguments, maps errors to exit codes.
import { Command, CommanderError, Option } from 'commander';
import { builtinRegistry } from '../builtins.ts';
import { isSluiceError } from '../errors.ts';
import type { CliContext } from './context.ts';
import { println } from './context.ts';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.ts';
import { registerCheck } from './commands/check.ts';
import { registerRun } from './commands/run.ts';
import { registerRuns } from './commands/runs.ts';
import { registerInit } from './commands/init.ts';
import { registerDemoApi } from './commands/demo-api.ts';
import { registerCat } from './commands/cat.ts';
import { registerKeys } from './commands/keys.ts';
import { registerDetokenize } from './commands/detokenize.ts';
import { registerErase } from './commands/erase.ts';
import { registerDetect } from './commands/detect.ts';
import { registerScan } from './commands/scan.ts';
import { registerSecrets } from './commands/secrets.ts';
import { registerAudit } from './commands/audit.ts';
import { registerServe } from './commands/serve.ts';
import { registerCerts } from './commands/certs.ts';
import { registerAccess } from './commands/access.ts';
import { registerWorker } from './commands/worker.ts';
import { registerCluster } from './commands/cluster.ts';
import { remoteTarget, verbOf } from './remote/remote-target.ts';
import { isBusy, stateBusyError } from '../store/sqlite/open-database.ts';

/** What the process running the CLI does around a command. */
export interface MainHooks {
  /** Called with the command as typed ("run", "keys rewrap") once it is parsed, before it runs (bin/sluice.js sets V8 flags). */
  beforeCommand?: (verb: string) => void;
}

/**
 * Runs the CLI with `argv` (as process.argv: node, script, args…) and returns the exit code. `io` replaces the
 * process's folder and streams, and the component registry (for embedding, and tests with test doubles).
 */
export async function main(argv: readonly string[], io: Partial<Pick<CliContext, 'cwd' | 'stdout' | 'stderr' | 'stdin' | 'registry'>> = {}, hooks: MainHooks = {}): Promise<number> {
  const context: CliContext = {
    cwd: io.cwd ?? process.cwd(),
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    registry: io.registry ?? builtinRegistry(),
    global: {},
    ...(argv[1] !== undefined ? { script: argv[1] } : {}),
  };
  let exitCode: number = EXIT.OK;
  const setExit = (code: number) => {
    exitCode = code;
  };

  const program = new Command('sluice')
    .description('Sluice moves data from sources through protective steps into sinks, and will not run a pipeline that could leak classified data.')
    .option('--state-dir <dir>', 'where state, quarantine and logs live (default: .sluice, or stateDir in sluice.settings.yaml)')
    .option('--log-file <file>', 'write JSON logs to this file (default: stderr; a file under the state dir on a terminal)')
    .addOption(new Option('--log-level <level>', 'how much to log').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .addOption(new Option('--server <url>', "send run, check, runs, keys list|rotate and audit query|verify to this control plane (https://, or http:// on loopback for 'serve --insecure-dev')").env('SLUICE_SERVER'))
    .addOption(new Option('--server-ca <file>', "with --server: trust the CA in this PEM file for the server's certificate, instead of the system's roots").env('SLUICE_SERVER_CA'))
    .option('--client-cert <file>', 'with --server: present this client certificate (PEM) for mutual TLS')
    .option('--client-key <file>', 'with --server: the private key (PEM) of --client-cert')
    .option('--credential <ref>', 'with --server: a secret reference (env://NAME or file:///path) to the API key or token (default: env://SLUICE_API_KEY when it is set)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    })
    .showSuggestionAfterError(true)
    .hook('preAction', (command, action) => {
      const options = command.opts<{ stateDir?: string; logFile?: string; logLevel?: string }>();
      const verb = verbOf(action);
      hooks.beforeCommand?.(verb);
      const remote = remoteTarget(command, verb);
      context.global = {
        ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
        ...(options.logFile !== undefined ? { logFile: options.logFile } : {}),
        ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}),
        ...(remote !== undefined ? { remote } : {}),
      };
    });

  registerInit(program, context, setExit);
  registerDemoApi(program, context, setExit);
  registerCheck(program, context, setExit);
  registerRun(program, context, setExit);
  registerRuns(program, context, setExit);
  registerCat(program, context, setExit);
  registerKeys(program, context, setExit);
  registerDetokenize(program, context, setExit);
  registerErase(program, context, setExit);
  registerDetect(program, context, setExit);
  registerScan(program, context, setExit);
  registerSecrets(program, context, setExit);
  registerAudit(program, context, setExit);
  registerServe(program, context, setExit);
  registerCerts(program, context, setExit);
  registerAccess(program, context, setExit);
  registerWorker(program, context, setExit);
  registerCluster(program, context, setExit);
  const everyCommand = (command: Command): Command[] => [command, ...command.commands.flatMap(everyCommand)];
  for (const command of everyCommand(program).slice(1)) command.addHelpText('after', EXIT_CODES_HELP).exitOverride();

  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT.USAGE;
    }
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (thrown) {
    // SQLite gave up waiting for another process's lock on the embedded store: contention, not a defect.
    const error = isBusy(thrown) ? stateBusyError(undefined, thrown) : thrown;
    if (error instanceof CommanderError) {
      // Help and version exit 0; anything else commander rejects is a usage error (already printed).
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (isSluiceError(error)) {
      println(context.stderr, `error ${error.code}: ${error.message}`);
      for (const line of error.details) println(context.stderr, `  ${line.replace(/\n/g, '\n  ')}`);
      return exitCodeFor(error.code);
    }
    // Not a user error: a defect. Say so plainly; the stack goes to stderr only with SLUICE_DEBUG.
    println(context.stderr, `error SLUICE_INTERNAL: ${(error as Error)?.message ?? String(error)}. This is a bug in Sluice; set SLUICE_DEBUG=1 to see where.`);
    if (process.env.SLUICE_DEBUG) println(context.stderr, (error as Error)?.stack ?? '');
    return EXIT.FAILED;
  }
}
