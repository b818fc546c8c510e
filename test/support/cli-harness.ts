// Harness for the end-to-end tests of the `sluice` command: run it in this process or as bin/sluice.js, and a customers spec.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { main } from '../../src/cli/main.ts';
import type { ComponentRegistry } from '../../src/spec/registry.ts';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider, loadLocalRootKey } from '../../src/crypto/providers/local-provider.ts';
import { openObjectBuffer } from '../../src/crypto/envelope/envelope.ts';
import { reapAtExit } from './child-processes.ts';

/** The real binary, as a user runs it. */
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

/** A line of a stack trace. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

/** A stream that collects what is written to it as text. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  /** Passed as `--log-level <level>` before the arguments; null passes no `--log-level` at all. Default 'silent'. */
  logLevel?: string | null;
  /** What the command reads on standard input (default: nothing). */
  stdin?: string;
  /** The components (default: the built-in ones). */
  registry?: ComponentRegistry;
}

/**
 * Runs `sluice <args>` in this process, in `cwd`, by default with logs silenced (they go to fd 2, not to `stderr`).
 * Pass `{ cwd, logLevel: null }` to run the arguments exactly as given.
 */
export async function runCli(cwd: string | RunOptions, ...args: string[]): Promise<Outcome> {
  const { cwd: dir, logLevel = 'silent', stdin = '', registry } = typeof cwd === 'string' ? { cwd } : cwd;
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['node', 'sluice', ...(logLevel === null ? [] : ['--log-level', logLevel]), ...args], { cwd: dir, stdout, stderr, stdin: Readable.from([stdin]), ...(registry ? { registry } : {}) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Fails if `stderr` holds a stack trace or mentions node:internal. */
export function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, STACK_LINE, 'stderr holds a stack trace');
  assert.ok(!stderr.includes('node:internal'), 'stderr mentions node:internal');
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `node bin/sluice.js <args>` in `cwd` (arguments exactly as given). `done` settles once the process has
 * exited and its output has closed, with everything it wrote; `child` is there to signal it.
 */
export function spawnCli(cwd: string, ...args: string[]): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  reapAtExit(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** The contract fields of the sample customers, as YAML lines under `fields:`, for specs the tests write. */
export const CUSTOMER_CONTRACT_FIELDS = `    customer_id:    { type: string, class: internal }
    full_name:      { type: string, class: confidential }
    email:          { type: string, class: restricted }
    phone:          { type: string, class: confidential, nullable: true }
    card_number:    { type: string, class: restricted }
    country:        { type: string, class: public }
    signup_date:    { type: date,   class: internal }
    lifetime_value: { type: number, class: internal }
`;

/** A pipeline over customers.jsonl (8 fields), card_number and email masked to the last 4, into a confidential file sink in out/. */
export function customersSpec(pipeline: string, batchSize: number): string {
  return `pipeline: ${pipeline}
source:
  file: { path: customers.jsonl }
contract:
  fields:
${CUSTOMER_CONTRACT_FIELDS}steps:
  - mask: { fields: [card_number, email], keepLast: 4 }
sinks:
  - file: { dir: out, clearance: confidential }
runtime:
  batchSize: ${batchSize}
`;
}

/**
 * Decrypts sink or quarantine objects written by a run in `dir` (its .sluice state folder holds the keyring
 * and the local root key), as `sluice cat` would; returns their JSON Lines, in the order of `files`.
 */
export async function decryptLines(dir: string, files: readonly string[]): Promise<string[]> {
  const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
  const keyring = new Keyring(store, new LocalKeyProvider(await loadLocalRootKey(join(dir, '.sluice', 'master.key'))));
  try {
    const lines: string[] = [];
    for (const file of files) {
      const { plaintext } = await openObjectBuffer(readFileSync(file), keyring, file);
      lines.push(...plaintext.toString('utf8').split('\n').filter((line) => line !== ''));
    }
    return lines;
  } finally {
    keyring.close();
    await store.close();
  }
}
