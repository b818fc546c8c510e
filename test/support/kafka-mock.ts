// A Kafka-protocol test broker: librdkafka's in-memory mock cluster (tools/kafka-mock/kafka-mock.c), compiled
// with cc on first use into the temp folder, started by a test file and stopped after. It is not Kafka: no TLS,
// no SASL, no CreateTopics (topics are made through its stdin), and its idempotent producer does not work with
// kafkajs. Tests using it say so in their names.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What CI must install for these tests (Debian/Ubuntu): the librdkafka headers and a C compiler. */
export const KAFKA_MOCK_PACKAGES = 'librdkafka-dev gcc';

const SOURCE = fileURLToPath(new URL('../../tools/kafka-mock/kafka-mock.c', import.meta.url));

/** Where the built program lives: keyed by the source's digest, so an edited source is built again. */
function binaryPath(): string {
  const digest = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 16);
  return join(tmpdir(), `sluice-kafka-mock-${digest}`, 'kafka-mock');
}

let built: Promise<string> | undefined;

/** Builds the mock once per process (or reuses an earlier build); rejects with what is missing. */
function build(): Promise<string> {
  built ??= (async () => {
    const binary = binaryPath();
    if (existsSync(binary)) return binary;
    mkdirSync(join(binary, '..'), { recursive: true });
    // Built under a name of its own, then renamed: test files running side by side never see half a binary.
    const partial = `${binary}.${process.pid}.partial`;
    try {
      await run('cc', ['-O1', '-o', partial, SOURCE, '-lrdkafka']);
    } catch (error) {
      rmSync(partial, { force: true });
      const { code, stderr } = error as { code?: unknown; stderr?: string };
      if (code === 'ENOENT') throw new Error('no C compiler (cc) is installed', { cause: error });
      if (/rdkafka(_mock)?\.h|-lrdkafka/.test(stderr ?? '')) throw new Error('librdkafka-dev is not installed', { cause: error });
      throw new Error(`cc could not build ${SOURCE}: ${stderr ?? String(error)}`, { cause: error });
    }
    renameSync(partial, binary);
    return binary;
  })();
  return built;
}

/**
 * Why the mock cannot run here, or undefined when it can (it is built by then). Pass the result as `skip` to
 * test(). Under SLUICE_REQUIRE_SERVICES=1 a missing piece throws instead.
 */
export async function kafkaMockMissing(): Promise<string | undefined> {
  try {
    await build();
    return undefined;
  } catch (error) {
    const why = `the librdkafka mock cluster cannot be built: ${(error as Error).message} (apt-get install -y ${KAFKA_MOCK_PACKAGES})`;
    if (process.env.SLUICE_REQUIRE_SERVICES === '1') throw new Error(`${why}, and SLUICE_REQUIRE_SERVICES=1 requires it`, { cause: error });
    return why;
  }
}

export interface KafkaMock {
  /** The bootstrap address, e.g. 127.0.0.1:36625. */
  readonly bootstrap: string;
  /** Creates a topic (the mock refuses the CreateTopics request). */
  createTopic(name: string, partitions: number): Promise<void>;
  /** Makes the next `count` requests of a Kafka API (0 = Produce, 1 = Fetch, 8 = OffsetCommit…) fail with `errorCode`. */
  failRequests(apiKey: number, errorCode: number, count: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a mock cluster of `brokers` brokers on loopback ports. */
export async function startKafkaMock(brokers = 1): Promise<KafkaMock> {
  const binary = await build();
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(binary, [String(brokers)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const nextLine = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`the kafka mock exited: ${stderr.trim() || 'no output'}`);
    return line.value;
  };
  const bootstrap = await nextLine();
  // One command at a time: each answer is the next line.
  let queue: Promise<unknown> = Promise.resolve();
  const command = (text: string): Promise<void> => {
    const done = queue.then(async () => {
      child.stdin.write(`${text}\n`);
      const answer = await nextLine();
      if (answer !== 'ok') throw new Error(`kafka mock: '${text}' failed: ${answer}`);
    });
    queue = done.catch(() => undefined);
    return done;
  };
  return {
    bootstrap,
    createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
    failRequests: (apiKey, errorCode, count) => command(`fail ${apiKey} ${errorCode} ${count}`),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}
