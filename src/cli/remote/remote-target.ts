// The global options that point a verb at a control plane (--server and how to reach it), and which verbs can go.
import type { Command } from 'commander';
import { SluiceError } from '../../errors.ts';
import { looksLikeReference, parseSecretReference } from '../../secrets/reference.ts';
import { serverUrl } from './server-url.ts';

/** Where a remote verb sends its request, and with what. */
export interface RemoteTarget {
  /** The server's base URL, checked by serverUrl(). */
  server: string;
  /** A PEM file of the CA that issued the server's certificate (instead of the system's roots). */
  serverCa?: string;
  /** A client certificate and its key (PEM files), for mutual TLS. */
  clientCert?: string;
  clientKey?: string;
  /** A secret reference (env:// or file://) to the bearer credential; absent: none is sent. */
  credential?: string;
}

/** The verbs that run the same against a server as here. */
export const REMOTE_VERBS: readonly string[] = ['run', 'check', 'runs', 'keys list', 'keys rotate', 'audit query', 'audit verify', 'workers', 'worker'];

interface RemoteOptions {
  server?: string;
  serverCa?: string;
  clientCert?: string;
  clientKey?: string;
  credential?: string;
}

const FLAGS: Record<keyof RemoteOptions, string> = {
  server: '--server',
  serverCa: '--server-ca',
  clientCert: '--client-cert',
  clientKey: '--client-key',
  credential: '--credential',
};

/** The verb a command is, as typed after `sluice`: 'keys list'. */
export function verbOf(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/**
 * The target of `verb` from the program's global options, or undefined when it runs here. An explicit --server
 * (or another remote option) on a verb that cannot go remote is a usage error; SLUICE_SERVER in the environment
 * only points the verbs that can at a server, so that a shell with it set still runs `init` or `serve` here.
 */
export function remoteTarget(program: Command, verb: string, env: NodeJS.ProcessEnv = process.env): RemoteTarget | undefined {
  const options = program.opts<RemoteOptions>();
  const given = (Object.keys(FLAGS) as (keyof RemoteOptions)[]).filter((name) => program.getOptionValueSource(name) === 'cli');
  const server = options.server === '' ? undefined : options.server;
  if (server === undefined) {
    const stray = given.filter((name) => name !== 'server');
    if (stray.length > 0) throw new SluiceError('SLUICE_USAGE', `${stray.map((name) => FLAGS[name]).join(', ')} ${stray.length === 1 ? 'goes' : 'go'} with --server URL (or SLUICE_SERVER)`);
    return undefined;
  }
  if (!REMOTE_VERBS.includes(verb)) {
    if (given.length === 0) return undefined;
    throw new SluiceError('SLUICE_USAGE', `'${verb}' runs locally only; --server works with ${REMOTE_VERBS.map((v) => `'${v}'`).join(', ')}`);
  }
  serverUrl(server);
  if ((options.clientCert === undefined) !== (options.clientKey === undefined)) throw new SluiceError('SLUICE_USAGE', '--client-cert and --client-key go together: the certificate and its private key');
  const credential = options.credential ?? (env.SLUICE_API_KEY ? 'env://SLUICE_API_KEY' : undefined);
  if (credential !== undefined) {
    // Only the bootstrap schemes: the others need the state store or settings of a local installation.
    if (!looksLikeReference(credential)) throw new SluiceError('SLUICE_SECRET_REFERENCE', '--credential takes a secret reference, env://NAME or file:///path, never the credential itself (it would stay in the shell history and the process list)');
    const scheme = parseSecretReference(credential).scheme;
    if (scheme !== 'env' && scheme !== 'file') throw new SluiceError('SLUICE_SECRET_REFERENCE', `--credential takes env://NAME or file:///path, not a ${scheme}:// reference (that needs a local state store or settings)`);
  }
  return {
    server,
    ...(options.serverCa !== undefined ? { serverCa: options.serverCa } : {}),
    ...(options.clientCert !== undefined ? { clientCert: options.clientCert } : {}),
    ...(options.clientKey !== undefined ? { clientKey: options.clientKey } : {}),
    ...(credential !== undefined ? { credential } : {}),
  };
}
