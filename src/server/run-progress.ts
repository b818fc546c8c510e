// Live progress of the runs this server started, for the server-sent events route: the latest snapshot of
// each run and a way to wait for the next one. Runs end their channel with their final status; channels of
// finished runs are dropped after a minute (late subscribers read the final state from the store instead).
import { EventEmitter, once } from 'node:events';
import type { ProgressSnapshot } from '../runtime/progress.ts';

export class ProgressChannel {
  readonly #events = new EventEmitter();
  last: ProgressSnapshot | undefined;
  finished = false;

  constructor() {
    // Each watcher waits for one 'change' at a time; many watchers of one run are fine.
    this.#events.setMaxListeners(0);
  }

  update(snapshot: ProgressSnapshot): void {
    this.last = snapshot;
    this.#events.emit('change');
  }

  finish(): void {
    this.finished = true;
    this.#events.emit('change');
  }

  /** Resolves at the next update or at the end (or when `signal` aborts). */
  async next(signal: AbortSignal): Promise<void> {
    if (this.finished) return;
    try {
      await once(this.#events, 'change', { signal });
    } catch {
      // Aborted: the watcher went away.
    }
  }
}

export class RunProgressHub {
  readonly #channels = new Map<string, ProgressChannel>();

  open(runId: string): ProgressChannel {
    const channel = new ProgressChannel();
    this.#channels.set(runId, channel);
    return channel;
  }

  get(runId: string): ProgressChannel | undefined {
    return this.#channels.get(runId);
  }

  close(runId: string): void {
    const channel = this.#channels.get(runId);
    if (!channel) return;
    channel.finish();
    setTimeout(() => this.#channels.delete(runId), 60_000).unref();
  }
}
