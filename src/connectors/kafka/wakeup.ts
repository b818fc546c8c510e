// Lets a pulling loop sleep until a pushing callback has news (a fetch, a rebalance, a crash, an abort).

export class Wakeup {
  #wake: (() => void) | undefined;
  #pending = false;

  /** Wakes the waiting loop, or the next one to wait if none is waiting now. */
  notify(): void {
    this.#pending = true;
    this.#wake?.();
  }

  /** Resolves true on news, false after `ms` without any. */
  wait(ms: number): Promise<boolean> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), ms);
      const finish = (news: boolean) => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#pending = false;
        resolve(news);
      };
      this.#wake = () => finish(true);
    });
  }
}
