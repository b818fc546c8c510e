// A private nats-server with JetStream for one test: its own loopback port and store folder, so a test can stop
// and restart it (the store survives), require a token or a password, or serve TLS, without touching the
// shared server on 4222.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapAtExit, stopProcess } from './child-processes.ts';

export const NATS_SERVER = '/usr/sbin/nats-server';

export interface PrivateNatsOptions {
  /** Require this token (`--auth`). */
  token?: string;
  /** Require this user and password (`--user`, `--pass`). */
  user?: { name: string; password: string };
  /** Serve TLS only, with this certificate and key (PEM); with verifyClients, require client certificates issued by it. */
  tls?: { cert: Buffer; key: Buffer; verifyClients?: boolean };
}

export interface PrivateNats {
  port: number;
  /** nats://127.0.0.1:<port> (tls://… when it serves TLS). */
  url: string;
  dir: string;
  /** Stops the server (SIGTERM by default: a clean shutdown that writes the store) and waits until it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/** Whether the nats-server binary is installed (a test skips, naming it, when it is not). */
export function natsServerMissing(): string | undefined {
  return existsSync(NATS_SERVER) ? undefined : `${NATS_SERVER} is not installed (apt-get install nats-server)`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startPrivateNats(options: PrivateNatsOptions = {}): Promise<PrivateNats> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-nats-'));
  const port = await freePort();
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'store')];
  if (options.token !== undefined) args.push('--auth', options.token);
  if (options.user !== undefined) args.push('--user', options.user.name, '--pass', options.user.password);
  if (options.tls !== undefined) {
    writeFileSync(join(dir, 'cert.pem'), options.tls.cert);
    writeFileSync(join(dir, 'key.pem'), options.tls.key, { mode: 0o600 });
    args.push('--tls', '--tlscert', join(dir, 'cert.pem'), '--tlskey', join(dir, 'key.pem'));
    if (options.tls.verifyClients) args.push('--tlsverify', '--tlscacert', join(dir, 'cert.pem'));
  }
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const log = openSync(join(dir, 'server.log'), 'a');
    const started = spawn(NATS_SERVER, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    reapAtExit(started);
    child = started;
    let exited = false;
    started.once('exit', () => (exited = true));
    for (let i = 0; i < 200; i++) {
      if (exited) throw new Error(`nats-server exited at start; see ${join(dir, 'server.log')}`);
      if (await listening(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`nats-server did not listen on ${port} within 10 s`);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const running = child;
    child = undefined;
    if (running) await stopProcess(running, signal);
  };
  await start();
  return {
    port,
    url: `${options.tls ? 'tls' : 'nats'}://127.0.0.1:${port}`,
    dir,
    start,
    stop,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
