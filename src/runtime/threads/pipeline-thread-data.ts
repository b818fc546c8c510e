// What a pipeline thread is started with, and the events it sends besides its calls (thread-pool.ts).

/** The workerData of a pipeline thread: enough to plan the spec and reach the run's store, keys and secrets. */
export interface PipelineThreadData {
  /** The thread's name in logs and in the tasks it commits (host:pid/thread-N). */
  name: string;
  /** Absolute path of the spec the run was started with; the thread plans it again and checks its hash. */
  specPath: string;
  specHash: string;
  /** The folder relative paths in the spec (and TypeScript specs' imports) resolve against. */
  cwd: string;
  stateDir: string;
  /** The key the sinks seal with. */
  keyId: string;
  /** The key provider's name, as the keyring records it with each wrapped version. */
  providerName: string;
  logLevel: string;
  /** How long each renewal of a task's lease lasts. */
  leaseMs: number;
}

/** A thread's messages that are not calls: a log line, ready (planned, waiting for tasks), or why it stops. */
export type ThreadEvent = { kind: 'log'; line: string } | { kind: 'ready' } | { kind: 'failed'; error: string; code?: string };
