import { reportError } from '../domain/errors';
import type { AuditEntry, License, WatchOptions } from '../domain/types';
import { formatSeq } from '../storage/seq';
import type { LicenseStorage, StorageWatch } from '../storage/types';

/** What the service tells subscribers after each commit. */
export type LicenseContactsEvent = {
  type: 'licenseCreated' | 'licenseUpdated';
  entry: AuditEntry;
  /** The license after the change, when this instance committed it; read it with `findLicense` otherwise. */
  license?: License;
  /**
   * The seq of the entry before this one in the feed (or where watching started), when the event comes
   * from the storage's watch, which tells every entry after it: a reader of the feed that has read up
   * to `previousSeq` may take this entry as the next one without reading.
   */
  previousSeq?: string;
};

/** How long a failed catch-up waits before trying again, after `attempt` failures. */
const backoff = (attempt: number) => Math.min(5_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);

/** Licenses committed here whose entries the storage's watch has not told yet, at most this many. */
const MAX_PENDING = 10_000;

/** How long the storage's watch goes on after the last listener left (one may come back soon). */
const IDLE_MS = 30_000;

/**
 * The live side of the service: the commits of every instance, in seq order. With a storage that can
 * `watch`, everything (this instance's commits too) comes from one shared watch, started when the
 * first listener arrives and stopped a while after the last one left (its connection let go); without
 * one, this instance's own commits only.
 */
export class LiveFeed {
  readonly #storage: LicenseStorage;
  readonly #idleMs: number;
  readonly #listeners = new Set<(event: LicenseContactsEvent) => void>();
  /** Licenses this instance committed, by entry id, until their entry is told. */
  readonly #committed = new Map<string, License>();
  #watch: Promise<StorageWatch | undefined> | undefined;
  /** Which watch is the current one: a stopped one's entries are not told. */
  #generation = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  /** The last seq told (or where watching started). */
  #head: string | undefined;

  constructor(storage: LicenseStorage, idleMs = IDLE_MS) {
    this.#storage = storage;
    this.#idleMs = idleMs;
  }

  /** Whether events come from the storage's watch (every instance) rather than from this one's commits. */
  get watching(): boolean {
    return this.#watch !== undefined && this.#storage.watch !== undefined;
  }

  /** The last seq this feed knows of, once started. */
  get head(): string | undefined {
    return this.#head;
  }

  /** Whether the storage's watch is running (so `head` is where the feed stands right now). */
  get running(): boolean {
    return this.#running;
  }

  /** Starts the shared watch if the storage can and it is not running; resolves once it runs. */
  start(): Promise<StorageWatch | undefined> {
    if (this.#watch === undefined) {
      const watch = this.#storage.watch?.bind(this.#storage);
      const generation = ++this.#generation;
      const current = () => generation === this.#generation;
      this.#watch = watch
        ? watch((entry) => current() && this.#tell(entry), { onError: reportError }).then(
            (running) => {
              // Stopped while it started: `#stop` closes it.
              if (current()) {
                if (this.#head === undefined || (running.position ?? '') > this.#head)
                  this.#head = running.position;
                this.#running = true;
              }
              return running;
            },
            (error: unknown) => {
              if (current()) this.#watch = undefined;
              throw error;
            },
          )
        : Promise.resolve(undefined);
    }
    return this.#watch;
  }

  /** Adds a listener of every event; returns the function that removes it. */
  subscribe(listener: (event: LicenseContactsEvent) => void): () => void {
    this.#listeners.add(listener);
    clearTimeout(this.#idle);
    this.#idle = undefined;
    this.start().catch(reportError);
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0 || this.#idle) return;
      this.#idle = setTimeout(() => {
        this.#idle = undefined;
        if (this.#listeners.size === 0) this.#stop();
      }, this.#idleMs);
      (this.#idle as { unref?: () => void }).unref?.();
    };
  }

  /** Stops the storage's watch (nobody listens): the next listener starts another, from where the feed is then. */
  #stop(): void {
    const watch = this.#watch;
    if (watch === undefined || this.#storage.watch === undefined) return;
    this.#watch = undefined;
    this.#generation++;
    this.#running = false;
    watch.then(
      (running) => running?.close(),
      () => {},
    );
  }

  /** Before a commit: the licenses it writes, so their events can carry them. */
  committing(applied: readonly { license: License; entry: { id: string } }[]): void {
    if (!this.watching) return;
    for (const { license, entry } of applied) this.#committed.set(entry.id, license);
    while (this.#committed.size > MAX_PENDING)
      this.#committed.delete(this.#committed.keys().next().value as string);
  }

  /** After a commit: its stored entries (told now unless the watch tells them), or its failure. */
  committed(applied: readonly { license: License; entry: { id: string } }[], entries?: AuditEntry[]): void {
    if (entries === undefined) {
      for (const { entry } of applied) this.#committed.delete(entry.id);
      return;
    }
    if (this.watching) return;
    // Committing while a watch ran, committed after it stopped: told here, so not kept for a watch.
    if (this.#committed.size > 0) for (const { entry } of applied) this.#committed.delete(entry.id);
    entries.forEach((entry, i) => {
      this.#emit(entry, applied[i]?.license);
    });
  }

  #tell(entry: AuditEntry): void {
    // The watch tells every entry after where it started, in order: the head so far precedes this one.
    const previous =
      this.#running && this.#head !== undefined && entry.seq > this.#head ? this.#head : undefined;
    const license = this.#committed.get(entry.id);
    this.#committed.delete(entry.id);
    this.#emit(entry, license, previous);
  }

  #emit(entry: AuditEntry, license: License | undefined, previousSeq?: string): void {
    if (this.#head === undefined || entry.seq > this.#head) this.#head = entry.seq;
    if (this.#listeners.size === 0) return;
    const event: LicenseContactsEvent = {
      type: entry.action === 'createLicense' ? 'licenseCreated' : 'licenseUpdated',
      entry,
      ...(license === undefined ? {} : { license }),
      ...(previousSeq === undefined ? {} : { previousSeq }),
    };
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        // A listener's failure must not undo or fail a committed change.
        reportError(error);
      }
    }
  }
}

/** What an actor's watch needs of the service. */
export interface ActorFeedSource {
  feed: LiveFeed;
  /** Entries of the actor's feed after `after`, oldest first (the storage decides exactly). */
  changes(after: string | undefined): Promise<{ items: AuditEntry[]; nextCursor?: string }>;
  /** The seq of the last entry of the whole feed (`undefined`: none). */
  last(): Promise<string | undefined>;
  /** Ids of the licenses the actor is a contact of now; `null` for staff (every license). */
  licenses(): Promise<Set<string> | null>;
  email: string;
}

/**
 * One actor's live feed: the entries `changes()` would answer, as they commit, in order, once each.
 * Every event of a license the actor may be concerned with (one of theirs, or one whose change names
 * them) triggers a read of their feed from the last entry told, so what is told is exactly what the
 * storage answers for them; events of other licenses cost nothing. The whole feed (staff's) needs no
 * read once caught up: the watch's entry right after the last one told is told as it is.
 */
export function watchActor(
  source: ActorFeedSource,
  listener: (entry: AuditEntry) => void,
  options: WatchOptions,
): () => void {
  let closed = false;
  let last = options.after;
  let members: Set<string> | null = null;
  let queued = false;
  /** A catch-up is waiting or running: what is told meanwhile waits for it (it reads it, in order). */
  let busy = 0;
  /** The actor's feed is the whole feed (staff): `licenses()` answered null. */
  let whole = false;
  let running: Promise<void> = Promise.resolve();
  let failures = 0;

  /** Calls one of the caller's callbacks: what it throws is reported, and the watch goes on. */
  function callback(call: () => void): void {
    try {
      call();
    } catch (error) {
      reportError(error);
    }
  }

  const concerns = (entry: AuditEntry) =>
    members === null || members.has(entry.licenseId) || entry.changes.some((c) => c.email === source.email);

  async function catchUp(): Promise<void> {
    for (;;) {
      const page = await source.changes(last);
      for (const entry of page.items) {
        if (closed) return;
        if (last !== undefined && entry.seq <= last) continue;
        last = entry.seq;
        if (members !== null) {
          for (const change of entry.changes) {
            if (change.email !== source.email) continue;
            if (change.after === null) members.delete(entry.licenseId);
            else members.add(entry.licenseId);
          }
        }
        callback(() => listener(entry));
      }
      if (page.nextCursor === undefined || page.items.length === 0) return;
    }
  }

  /** Runs a catch-up after the one running, unless one is already waiting. */
  function schedule(): void {
    if (queued || closed) return;
    queued = true;
    busy++;
    running = running.then(async () => {
      queued = false;
      try {
        if (closed) return;
        await catchUp();
        failures = 0;
      } catch (error) {
        callback(() => options.onError?.(error));
        failures++;
        await new Promise((resolve) => setTimeout(resolve, backoff(failures)));
        schedule();
      } finally {
        busy--;
      }
    });
  }

  const unsubscribe = source.feed.subscribe(({ entry, previousSeq }) => {
    if (closed || (last !== undefined && entry.seq <= last)) return;
    if (!concerns(entry)) return;
    // The whole feed (staff's) is what the watch tells: the entry right after the last one told is the
    // next one, without a read. Anyone else's feed is what the storage answers them.
    if (whole && busy === 0 && last !== undefined && previousSeq === last) {
      last = entry.seq;
      callback(() => listener(entry));
      return;
    }
    schedule();
  });

  // Where "from now" is: the feed's head if it runs already, else where its watch starts (whatever
  // commits after that is told to the subscription above).
  if (last === undefined && source.feed.running) last = source.feed.head;
  const fromNow = last === undefined;
  running = (async () => {
    try {
      const watch = await source.feed.start();
      // Without a storage watch nothing says where the feed ends: read to its end once.
      if (fromNow) last = watch ? watch.position : await source.last();
      members = await source.licenses();
      whole = members === null;
    } catch (error) {
      callback(() => options.onError?.(error));
      members = null;
      return;
    }
    const position = last ?? formatSeq(0);
    if (!closed) callback(() => options.onOpen?.(position));
  })();
  // From `after`, or whatever committed while starting: one read brings it in.
  schedule();

  return () => {
    closed = true;
    unsubscribe();
  };
}
