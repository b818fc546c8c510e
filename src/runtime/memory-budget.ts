// Keeps a long run's heap near what it really uses. V8 collects old-generation garbage lazily when the heap
// limit is far away (gigabytes on a large machine), so a streaming run's RSS creeps up with garbage, not data.
// Past a budget, the runtime asks for a full collection between batches, where nothing is in flight.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Heap size past which garbage is collected between batches: keeps a streaming run's RSS flat and low. */
export const HEAP_BUDGET_BYTES = 128 * 1024 * 1024;

let collect: (() => void) | undefined;

/** V8's gc(), exposed on first use (the documented --expose-gc flag, set at run time). */
function fullGc(): void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

export class MemoryBudget {
  readonly #limit: number;

  /** `limitBytes`: the heap size past which garbage is collected between batches. */
  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  /** Call between batches. */
  check(): void {
    if (v8.getHeapStatistics().total_heap_size > this.#limit) {
      fullGc();
    }
  }
}
