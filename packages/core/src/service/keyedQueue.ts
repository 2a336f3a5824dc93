/** A key's turn: whether someone holds it, and who waits for it, in arrival order. */
interface Slot {
  held: boolean;
  waiting: Array<() => void>;
}

/**
 * Free keys kept (marked free) rather than deleted: a map that deletes and sets a key for every
 * command keeps rebuilding itself. Beyond this many keys, a freed one is deleted.
 */
const KEPT_FREE = 4096;

/**
 * Runs tasks one after the other per key. A task holding several keys takes them in sorted order,
 * so two multi-key tasks never wait on each other in a cycle.
 */
export class KeyedQueue {
  readonly #slots = new Map<string, Slot>();

  /** Whether nobody holds `key` (a task run on it now starts at once). */
  isFree(key: string): boolean {
    return this.#slots.get(key)?.held !== true;
  }

  /** Runs `task` once every key is free, holding them all until it settles. */
  async run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const ordered = keys.length === 1 ? keys : [...new Set(keys)].sort();
    let taken = 0;
    try {
      for (const key of ordered) {
        const slot = this.#slots.get(key);
        // A free key is taken at once, without a promise; a held one when its holder hands it over.
        if (slot === undefined) this.#slots.set(key, { held: true, waiting: [] });
        else if (!slot.held) slot.held = true;
        else await new Promise<void>((resume) => slot.waiting.push(resume));
        taken++;
      }
      return await task();
    } finally {
      for (let i = 0; i < taken; i++) this.#release(ordered[i] as string);
    }
  }

  /** Hands the key to its first waiter (it stays held), or frees it. */
  #release(key: string): void {
    const slot = this.#slots.get(key) as Slot;
    const next = slot.waiting.shift();
    if (next) next();
    else if (this.#slots.size > KEPT_FREE) this.#slots.delete(key);
    else slot.held = false;
  }
}
