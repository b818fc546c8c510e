// A principal touching many datasets it never touched before: the sweep of an account that was taken over.
import { checkInput, type AnomalyInput } from './anomaly-input.ts';
import { BoundedMap } from '../../bounded-map.ts';
import { BurstWindow } from './burst-window.ts';
import { durationMs, newDatasetsConfigSchema, parseConfig, type NewDatasetsConfig, type NewDatasetsConfigInput } from './config.ts';
import { formatWindow, isoTime, type Alert, type Detector, type DetectorStats } from './detector.ts';

interface DatasetState {
  seen: BoundedMap<string, true>;
  first: number;
  last: number;
  fresh: BurstWindow;
  /** The names of the last `threshold` new datasets, for the alert. */
  names: string[];
  next: number;
}

/**
 * Per principal, the datasets it has touched (any outcome: a sweep of refused reads is still a sweep). After
 * `warmup` from its first access, each dataset not in that set is new; `threshold` new datasets within `window`
 * raise one alert, and the principal re-arms after a window with no new dataset. New datasets join the set.
 *
 * Memory: at most `maxDatasetsPerPrincipal` names per principal (least recently touched forgotten, so a
 * forgotten dataset counts as new again) and `maxTrackedPrincipals` principals: at most their product of names.
 * Accesses older than the principal's newest are ignored (stats().outOfOrder).
 */
export class NewDatasetsDetector implements Detector {
  readonly kind = 'new-datasets' as const;
  readonly config: NewDatasetsConfig;
  readonly #windowMs: number;
  readonly #warmupMs: number;
  readonly #states: BoundedMap<string, DatasetState>;
  #observed = 0;
  #outOfOrder = 0;

  constructor(config: NewDatasetsConfigInput = {}) {
    this.config = parseConfig(newDatasetsConfigSchema, config, 'newDatasets');
    this.#windowMs = durationMs(this.config.window);
    this.#warmupMs = durationMs(this.config.warmup);
    this.#states = new BoundedMap(this.config.maxTrackedPrincipals);
  }

  observe(input: AnomalyInput): Alert[] {
    checkInput(input);
    if (!this.config.enabled || input.kind !== 'access' || input.dataset === undefined) return [];
    this.#observed++;
    const { threshold } = this.config;
    const state = this.#states.upsert(input.principal, () => ({
      seen: new BoundedMap<string, true>(this.config.maxDatasetsPerPrincipal),
      first: input.time,
      last: input.time,
      fresh: new BurstWindow(threshold, this.#windowMs),
      names: [],
      next: 0,
    }));
    if (input.time < state.last) {
      this.#outOfOrder++;
      return [];
    }
    state.last = input.time;
    if (state.seen.get(input.dataset) !== undefined) return [];
    state.seen.set(input.dataset, true);
    if (input.time - state.first < this.#warmupMs) return [];
    state.names[state.next] = input.dataset;
    state.next = (state.next + 1) % threshold;
    if (state.fresh.record(input.time) !== 'start') return [];
    const minutes = this.#windowMs / 60_000;
    // Oldest first: the ring starts at `next`.
    const datasets = [...state.names.slice(state.next), ...state.names.slice(0, state.next)];
    return [
      {
        kind: this.kind,
        principal: input.principal,
        time: isoTime(input.time),
        score: threshold,
        threshold,
        message: `${input.principal} touched ${threshold} datasets it had never touched before within ${formatWindow(this.#windowMs)} (knows ${state.seen.size} in all)`,
        evidence: { newDatasets: threshold, knownDatasets: state.seen.size, windowMinutes: minutes },
        datasets,
      },
    ];
  }

  trackedKeys(): number {
    return this.#states.size;
  }

  /** Dataset names held for all principals: at most maxTrackedPrincipals × maxDatasetsPerPrincipal. */
  trackedDatasets(): number {
    let n = 0;
    for (const state of this.#states.values()) n += state.seen.size;
    return n;
  }

  stats(): DetectorStats {
    return { observed: this.#observed, outOfOrder: this.#outOfOrder, evicted: this.#states.evictions };
  }
}
