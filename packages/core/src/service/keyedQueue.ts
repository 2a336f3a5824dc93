/**
 * Runs tasks one after the other per key. A task holding several keys takes them in sorted order,
 * so two multi-key tasks never wait on each other in a cycle.
 */
export class KeyedQueue {
  /** Each held key's waiters, in arrival order; a key nobody holds has no entry. */
  readonly #held = new Map<string, Array<() => void>>();

  /** Runs `task` once every key is free, holding them all until it settles. */
  async run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const ordered = keys.length === 1 ? keys : [...new Set(keys)].sort();
    let taken = 0;
    try {
      for (const key of ordered) {
        const waiting = this.#held.get(key);
        // A free key is taken at once, without a promise; a held one when its holder hands it over.
        if (waiting === undefined) this.#held.set(key, []);
        else await new Promise<void>((resume) => waiting.push(resume));
        taken++;
      }
      return await task();
    } finally {
      for (let i = 0; i < taken; i++) this.#release(ordered[i] as string);
    }
  }

  /** Hands the key to its first waiter, or frees it. */
  #release(key: string): void {
    const waiting = this.#held.get(key) as Array<() => void>;
    const next = waiting.shift();
    if (next) next();
    else this.#held.delete(key);
  }
}
