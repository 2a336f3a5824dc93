/**
 * Runs tasks one after the other per key. A task holding several keys takes them in sorted order,
 * so two multi-key tasks never wait on each other in a cycle.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` once every key is free, holding them all until it settles. */
  async run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const releases: Array<() => void> = [];
    try {
      for (const key of keys.length === 1 ? keys : [...new Set(keys)].sort()) {
        const waiting = this.#acquire(key, releases);
        if (waiting) await waiting;
      }
      return await task();
    } finally {
      for (const release of releases) release();
    }
  }

  /** Takes the key, adding its release to `releases`; returns what to wait for when someone holds it. */
  #acquire(key: string, releases: Array<() => void>): Promise<void> | undefined {
    const previous = this.#tails.get(key);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous ? previous.then(() => held) : held;
    this.#tails.set(key, tail);
    releases.push(() => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return previous;
  }
}
