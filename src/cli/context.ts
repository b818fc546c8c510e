// What every command gets: where it runs, its output streams, the settings, the registry.
import type { ComponentRegistry } from '../spec/registry.ts';
import { redactions } from '../secrets/redaction.ts';
import type { RemoteTarget } from './remote/remote-target.ts';

export interface CliContext {
  cwd: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where secret values are read from (`sluice secrets set` without --from-file or --from-env). */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  registry: ComponentRegistry;
  /** The script that was run (argv[1]), to tell users how to call sluice again. */
  script?: string;
  /**
   * Global options: --state-dir, --log-file, --log-level; and `remote` when the verb goes to a control plane
   * (--server, --server-ca, --client-cert, --client-key, --credential).
   */
  global: { stateDir?: string; logFile?: string; logLevel?: string; remote?: RemoteTarget };
}

/** Writes a line of human output, scrubbed of every registered secret (errors quote what remotes said). */
export function println(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(redactions.scrub(text) + '\n');
}
