// One thread of a run split over threads (`sluice run --threads N`): plans the spec it was started with, then
// runs tasks one at a time in a slot (task-slot.ts) until the pool has none left. The state store, the key
// provider and the secrets are the main thread's, reached through calls (thread-calls.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { isSluiceError, SluiceError } from '../../errors.ts';
import { redactions } from '../../secrets/redaction.ts';
import { Secret } from '../../secrets/secret.ts';
import { builtinRegistry } from '../../builtins.ts';
import { loadPlan } from '../../cli/load-plan.ts';
import { Keyring } from '../../crypto/keyring/keyring.ts';
import type { KeyProvider } from '../../crypto/providers/key-provider.ts';
import type { SecretSource } from '../../spec/component.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { TaskMessage } from '../../cluster/task-message.ts';
import { runLeasedTask } from './task-slot.ts';
import { ThreadCaller } from './thread-calls.ts';
import type { PipelineThreadData, ThreadEvent } from './pipeline-thread-data.ts';

const data = workerData as PipelineThreadData;
const port = parentPort!;
const caller = new ThreadCaller(port);
const drain = new AbortController();
port.on('message', (message: unknown) => {
  if (caller.settle(message)) return;
  if ((message as { kind?: unknown } | null)?.kind === 'drain') drain.abort();
});
const send = (event: ThreadEvent) => port.postMessage(event);
/** Why the thread stops, scrubbed here, where the secrets it resolved are registered (the main thread's registry does not know them). */
const sendFailure = (error: unknown) =>
  send({ kind: 'failed', error: redactions.scrub(error instanceof Error ? error.message : String(error)), ...(isSluiceError(error) ? { code: error.code } : {}) });
// An error no slot caught (in a driver's callback, say) stops the thread.
process.on('uncaughtException', (error) => {
  sendFailure(error);
  process.exit(1);
});
const worker = `${hostname()}:${process.pid}/${data.name}`;
// Lines are scrubbed here too: the secrets this thread resolved are registered in its own registry.
const logger = pino({ level: data.logLevel, base: { thread: data.name }, hooks: { streamWrite: (line: string) => redactions.scrub(line) } }, { write: (line: string) => send({ kind: 'log', line }) });

const store = caller.proxy<StateStore>('store');
const provider: KeyProvider = {
  name: data.providerName,
  wrap: (material, aad) => caller.call('provider', 'wrap', [material, aad]),
  unwrap: (blob, aad) => caller.call('provider', 'unwrap', [blob, aad]),
  close: () => undefined,
};
const secrets: SecretSource = {
  async resolve(reference) {
    const value = await caller.call<string>('secrets', 'resolve', [reference]);
    redactions.register(value);
    return new Secret(value, reference);
  },
  invalidate(reference) {
    caller.call('secrets', 'invalidate', [reference]).catch(() => undefined);
  },
};
const keys = new Keyring(store, provider);
const encryption = { keys, keyId: data.keyId };

try {
  const { loaded, plan } = await loadPlan(data.specPath, builtinRegistry(), data.cwd);
  if (loaded.hash !== data.specHash) {
    throw new SluiceError('SLUICE_RESUME_MISMATCH', `the spec ${data.specPath} changed after the run started; run again`);
  }
  send({ kind: 'ready' });
  for (;;) {
    if (drain.signal.aborted) break;
    const task = await caller.call<Omit<TaskMessage, 'v'> | undefined>('pool', 'next', []);
    if (task === undefined) break;
    await runLeasedTask(task, { plan, store, encryption, secrets, logger, stateDir: data.stateDir, leaseMs: data.leaseMs, worker, signal: drain.signal });
  }
} catch (error) {
  sendFailure(error);
  process.exitCode = 1;
} finally {
  keys.close();
  port.close();
}
