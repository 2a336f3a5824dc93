import { LicenseContactsError } from '../domain/errors';
import type { IdempotencyKeyStore } from '../storage/types';

/** A response as kept for replay. */
export interface StoredResponse {
  status: number;
  headers: [string, string][];
  body: string;
  /** Ids of the licenses the body shows: a replay answers it only while the actor still sees each. */
  licenses?: string[];
}

interface Entry {
  actor: string;
  key: string;
  fingerprint: string;
  expires: number;
  result: Promise<StoredResponse>;
  /** What the entry is counted for in memory, in bytes. */
  bytes: number;
}

/** One actor's entries, oldest first. */
interface Shelf {
  entries: Map<string, Entry>;
  bytes: number;
}

/** Options of the `Idempotency-Key` cache of `createHttpHandler`. */
export interface IdempotencyOptions {
  /** How long a response is replayed for the same key, in milliseconds; default 10 minutes. */
  ttlMs?: number;
  /** Responses kept per actor; beyond it the actor's own oldest go first; default 100. */
  maxEntriesPerActor?: number;
  /** Bytes kept per actor; beyond it the actor's own oldest go first; a larger response is not kept; default 1 MiB. */
  maxBytesPerActor?: number;
  /** Responses kept in all; default 10,000. */
  maxEntries?: number;
  /** Bytes kept in all; default 32 MiB. */
  maxBytes?: number;
  /** The time in milliseconds; default `Date.now`. */
  now?: () => number;
  /**
   * Keys kept in the storage, shared by every instance (with `postgresStorage`, used by default):
   * a retry that lands on another instance answers the first response. `false`: this process only.
   */
  shared?: IdempotencyKeyStore | false;
  /** With a shared store: how long a duplicate waits for the first request to finish; default 30 s. */
  waitMs?: number;
}

/** Node's hash functions, where the runtime has them (Node, Bun, Deno): synchronous and cheap. */
type CreateHash = (algorithm: string) => {
  update(text: string): { digest(encoding: 'hex'): string };
};
const createHash = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => { createHash?: CreateHash } | undefined } }
).process?.getBuiltinModule?.('node:crypto')?.createHash;

/** SHA-256 of a text, in hex: a long request is remembered by its digest, not by a copy of its body. */
async function digest(text: string): Promise<string> {
  // The same digest either way; Web Crypto's is asynchronous and costs a trip to a worker thread.
  if (createHash) return createHash('sha256').update(text).digest('hex');
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let hex = '';
  for (const byte of hash) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** What runs a request once per actor and key: `IdempotencyCache` (in memory) or `SharedIdempotency`. */
export interface Idempotency {
  /** `request` is what makes two requests the same (query, `If-Match`, body); a repeat must match it. */
  run(
    actor: string,
    key: string,
    request: string,
    execute: () => Promise<StoredResponse>,
    keep: (response: StoredResponse) => boolean,
  ): Promise<IdempotencyOutcome>;
}

/** What `IdempotencyCache.run` answers. */
export type IdempotencyOutcome =
  | { kind: 'fresh'; response: StoredResponse }
  | { kind: 'replayed'; response: StoredResponse }
  | { kind: 'mismatch' };

/** Requests up to this many UTF-16 units are remembered by their text, longer ones by a SHA-256 digest. */
const KEPT_AS_IS = 160;

/** The memory counted for an entry besides its strings: the objects and map slots that hold it. */
const ENTRY_OVERHEAD = 320;

/** Bytes a string may take in memory (two per UTF-16 unit, the most an engine uses). */
const sizeOf = (text: string) => 2 * text.length;

function responseBytes(response: StoredResponse): number {
  let bytes = sizeOf(response.body) + 64;
  for (const [name, value] of response.headers) bytes += sizeOf(name) + sizeOf(value) + 32;
  for (const id of response.licenses ?? []) bytes += sizeOf(id) + 16;
  return bytes;
}

/**
 * Responses by actor and key, with a TTL, bounded per actor and in all, by count and by bytes. An
 * actor's entries make room only by dropping that actor's own oldest ones, so no actor can evict
 * another's; when the whole cache is full, a new response is simply not kept. A duplicate arriving
 * while the first is still running waits for it and gets the same response.
 */
export class IdempotencyCache implements Idempotency {
  /** Every entry, oldest first (the order they expire in). */
  readonly #entries = new Map<string, Entry>();
  readonly #actors = new Map<string, Shelf>();
  #bytes = 0;
  readonly #ttl: number;
  readonly #maxPerActor: number;
  readonly #maxBytesPerActor: number;
  readonly #max: number;
  readonly #maxBytes: number;
  readonly #now: () => number;

  constructor(options: IdempotencyOptions = {}) {
    this.#ttl = options.ttlMs ?? 10 * 60_000;
    this.#maxPerActor = Math.max(1, options.maxEntriesPerActor ?? 100);
    this.#maxBytesPerActor = Math.max(0, options.maxBytesPerActor ?? 1024 * 1024);
    this.#max = Math.max(1, options.maxEntries ?? 10_000);
    this.#maxBytes = Math.max(0, options.maxBytes ?? 32 * 1024 * 1024);
    this.#now = options.now ?? Date.now;
  }

  /** Number of kept entries (running or done). */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes the kept entries are counted for. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Runs `execute` once per actor and key; a repeat of the same `request` replays its response, one
   * of a different request is a `mismatch`. `keep` says whether a response may be replayed (one that
   * changed nothing should run again).
   */
  async run(
    actor: string,
    key: string,
    request: string,
    execute: () => Promise<StoredResponse>,
    keep: (response: StoredResponse) => boolean,
  ): Promise<IdempotencyOutcome> {
    // A short request is kept as it is (a few hundred bytes at most); a longer one by its digest.
    const fingerprint = request.length <= KEPT_AS_IS ? `=${request}` : `#${await digest(request)}`;
    const now = this.#now();
    this.#sweep(now);
    const id = `${actor}\n${key}`;
    const existing = this.#entries.get(id);
    if (existing && existing.expires > now) {
      if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return { kind: 'replayed', response: await existing.result };
    }
    if (existing) this.#remove(id, existing);

    const base = ENTRY_OVERHEAD + sizeOf(actor) + sizeOf(key) + sizeOf(fingerprint);
    const result = execute();
    // When the whole cache is full of other actors' entries, this one is not kept: theirs stay.
    const entry: Entry = { actor, key, fingerprint, expires: now + this.#ttl, result, bytes: base };
    const tracked = this.#entries.size < this.#max && this.#bytes + base <= this.#maxBytes;
    if (tracked) {
      this.#add(id, entry);
      this.#makeRoom(entry);
    }
    let response: StoredResponse;
    try {
      response = await result;
    } catch (error) {
      if (this.#entries.get(id) === entry) this.#remove(id, entry);
      throw error;
    }
    if (this.#entries.get(id) !== entry) return { kind: 'fresh', response };
    const grown = base + responseBytes(response);
    if (!keep(response) || grown > this.#maxBytesPerActor) {
      this.#remove(id, entry);
      return { kind: 'fresh', response };
    }
    this.#resize(entry, grown);
    this.#makeRoom(entry);
    if (this.#bytes > this.#maxBytes) this.#remove(id, entry);
    return { kind: 'fresh', response };
  }

  /** Drops expired entries, oldest first. */
  #sweep(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.expires > now) break;
      this.#remove(id, entry);
    }
  }

  /** Drops the actor's own oldest entries (never `entry`) until the actor is within its bounds. */
  #makeRoom(entry: Entry): void {
    const shelf = this.#actors.get(entry.actor);
    if (!shelf) return;
    for (const [key, other] of shelf.entries) {
      if (shelf.entries.size <= this.#maxPerActor && shelf.bytes <= this.#maxBytesPerActor) break;
      if (other !== entry) this.#remove(`${entry.actor}\n${key}`, other);
    }
  }

  #add(id: string, entry: Entry): void {
    this.#entries.set(id, entry);
    let shelf = this.#actors.get(entry.actor);
    if (!shelf) {
      shelf = { entries: new Map(), bytes: 0 };
      this.#actors.set(entry.actor, shelf);
    }
    shelf.entries.set(entry.key, entry);
    shelf.bytes += entry.bytes;
    this.#bytes += entry.bytes;
  }

  #resize(entry: Entry, bytes: number): void {
    const shelf = this.#actors.get(entry.actor) as Shelf;
    shelf.bytes += bytes - entry.bytes;
    this.#bytes += bytes - entry.bytes;
    entry.bytes = bytes;
  }

  #remove(id: string, entry: Entry): void {
    if (this.#entries.get(id) !== entry) return;
    this.#entries.delete(id);
    this.#bytes -= entry.bytes;
    const shelf = this.#actors.get(entry.actor);
    if (!shelf) return;
    shelf.entries.delete(entry.key);
    shelf.bytes -= entry.bytes;
    if (shelf.entries.size === 0) this.#actors.delete(entry.actor);
  }
}

/**
 * `Idempotency-Key`s in the storage, shared by every instance: the first request claims its key, a
 * duplicate (on any instance) waits for it and replays its answer, or runs again when it changed
 * nothing. Bounded per actor (count, and bytes of each answer); each kept answer expires after `ttlMs`.
 */
export class SharedIdempotency implements Idempotency {
  readonly #store: IdempotencyKeyStore;
  readonly #ttl: number;
  readonly #maxPerActor: number;
  readonly #maxBytes: number;
  readonly #waitMs: number;

  constructor(store: IdempotencyKeyStore, options: IdempotencyOptions = {}) {
    this.#store = store;
    this.#ttl = options.ttlMs ?? 10 * 60_000;
    this.#maxPerActor = Math.max(1, options.maxEntriesPerActor ?? 100);
    this.#maxBytes = Math.max(0, options.maxBytesPerActor ?? 1024 * 1024);
    this.#waitMs = options.waitMs ?? 30_000;
  }

  async run(
    actor: string,
    key: string,
    request: string,
    execute: () => Promise<StoredResponse>,
    keep: (response: StoredResponse) => boolean,
  ): Promise<IdempotencyOutcome> {
    // Always the digest: every instance (of any version) must answer the same fingerprint.
    const fingerprint = await digest(request);
    const deadline = Date.now() + this.#waitMs;
    for (let pause = 10; ; pause = Math.min(pause * 2, 250)) {
      const claim = await this.#store.claim(actor, key, fingerprint, {
        runningMs: this.#waitMs,
        maxPerActor: this.#maxPerActor,
      });
      if (claim.state === 'claimed') break;
      if (claim.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (claim.state === 'done') return { kind: 'replayed', response: claim.response };
      if (Date.now() > deadline) {
        throw new LicenseContactsError(
          'CONFLICT',
          'The first request with this Idempotency-Key is still running',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    let response: StoredResponse;
    try {
      response = await execute();
    } catch (error) {
      await this.#store.release(actor, key, fingerprint).catch(() => {});
      throw error;
    }
    if (keep(response) && responseBytes(response) <= this.#maxBytes) {
      await this.#store.keep(actor, key, fingerprint, response, this.#ttl);
    } else {
      await this.#store.release(actor, key, fingerprint);
    }
    return { kind: 'fresh', response };
  }
}
