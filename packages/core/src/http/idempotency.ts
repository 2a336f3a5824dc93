/** A response as kept for replay. */
export interface StoredResponse {
  status: number;
  headers: [string, string][];
  body: string;
}

interface Entry {
  fingerprint: string;
  expires: number;
  result: Promise<StoredResponse>;
}

/** Options of the `Idempotency-Key` cache of `createHttpHandler`. */
export interface IdempotencyOptions {
  /** How long a response is replayed for the same key, in milliseconds; default 10 minutes. */
  ttlMs?: number;
  /** At most this many responses are kept; the least recently used go first; default 1000. */
  maxEntries?: number;
  /** The time in milliseconds; default `Date.now`. */
  now?: () => number;
}

/** What `IdempotencyCache.run` answers. */
export type IdempotencyOutcome =
  | { kind: 'fresh'; response: StoredResponse }
  | { kind: 'replayed'; response: StoredResponse }
  | { kind: 'mismatch' };

/**
 * Responses by (actor, route, key), bounded LRU with a TTL. A duplicate arriving while the first is
 * still running waits for it and gets the same response.
 */
export class IdempotencyCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttl: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: IdempotencyOptions = {}) {
    this.#ttl = options.ttlMs ?? 10 * 60_000;
    this.#max = Math.max(1, options.maxEntries ?? 1000);
    this.#now = options.now ?? Date.now;
  }

  /** Number of kept entries (running or done). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Runs `execute` once per key; a repeat with the same fingerprint replays its response, one with a
   * different fingerprint is a `mismatch`. `keep` says whether a response may be replayed (a retry
   * after a storage failure should run again).
   */
  async run(
    key: string,
    fingerprint: string,
    execute: () => Promise<StoredResponse>,
    keep: (response: StoredResponse) => boolean,
  ): Promise<IdempotencyOutcome> {
    const now = this.#now();
    const existing = this.#entries.get(key);
    if (existing && existing.expires > now) {
      if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
      this.#entries.delete(key);
      this.#entries.set(key, existing);
      return { kind: 'replayed', response: await existing.result };
    }
    if (existing) this.#entries.delete(key);

    const entry: Entry = { fingerprint, expires: now + this.#ttl, result: execute() };
    this.#entries.set(key, entry);
    this.#evict();
    try {
      const response = await entry.result;
      if (!keep(response) && this.#entries.get(key) === entry) this.#entries.delete(key);
      return { kind: 'fresh', response };
    } catch (error) {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw error;
    }
  }

  #evict(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#max && entry.expires > now) break;
      this.#entries.delete(key);
    }
  }
}
