import { LicenseContactsError, validationError } from '../domain/errors';
import type { AuditEntry } from '../domain/types';
import { formatSeq } from '../storage/seq';
import type { FeedCursorStore } from '../storage/types';
import type { LicenseContacts } from './createLicenseContacts';

/** How a feed worker retries an entry its `handle` failed: capped exponential backoff with jitter. */
export interface RetryOptions {
  /** Milliseconds before the first retry; default 1,000. */
  initialMs?: number;
  /** The longest pause between attempts; default 60,000. */
  maxMs?: number;
  /** Attempts before the entry is given up (skipped, reported); default unlimited: the feed waits. */
  attempts?: number;
}

/** Options of `createFeedWorker`. */
export interface FeedWorkerOptions {
  service: Pick<LicenseContacts, 'storage' | 'changes' | 'subscribe'>;
  /** The cursor's name in the storage: one worker per name holds it at a time, in any process. */
  name: string;
  /** Does the work for one entry; a rejection retries it (the feed waits, in order). */
  handle: (entry: AuditEntry) => void | Promise<void>;
  /** Entries read per page; default 100. */
  batchSize?: number;
  retry?: RetryOptions;
  /** Only these entries are handled; the others are passed over (the cursor moves past them). */
  filter?: (entry: AuditEntry) => boolean;
  /** How long a lease lasts unless renewed (a crashed holder's lease ends after it); default 30,000 ms. */
  leaseMs?: number;
  /** How often to look for entries (and for a free lease) when not told of commits; default 1,000 ms. */
  pollMs?: number;
  /**
   * How long entries done may wait for their cursor move to be saved, so that a busy worker saves it
   * once for many entries (at most half of `leaseMs`); default 0: saved after every entry, so a crash
   * hands over again only the entry in hand. With more, a crash hands over what was done since the
   * last save (at least once, in order from there).
   */
  saveMs?: number;
  /** Where a cursor that was never set starts: `'oldest'` (every entry, the default) or `'latest'` (from now). */
  start?: 'oldest' | 'latest';
  /** This process's name in the lease; default a random one. */
  holder?: string;
  /** Told of each failed attempt. */
  onError?: (error: unknown, entry: AuditEntry | undefined) => void;
}

/** What a feed worker reports of itself. */
export interface FeedWorkerStatus {
  name: string;
  /** The seq of the last entry done; `undefined` before the first. */
  cursor: string | undefined;
  /** Whether this worker holds the lease now (else another process does, or nobody yet). */
  holding: boolean;
  /** Entries after the cursor, counted up to 10,000. */
  lag: number;
  /** When the oldest entry not yet done was committed. */
  oldestPendingAt?: string;
  /** Entries handled by this worker since it started. */
  handled: number;
  /** Entries given up after `retry.attempts`. */
  skipped: number;
  /** The last failure, with the attempts the entry has had so far. */
  lastError?: { message: string; at: string; entryId?: string; attempts: number };
}

/** A running feed worker. */
export interface FeedWorker {
  readonly name: string;
  /** Its cursor, lag and last error. */
  status(): Promise<FeedWorkerStatus>;
  /** Stops after the entry in hand and gives the lease up. */
  stop(): Promise<void>;
}

const NAME = /^[\x21-\x7e]{1,200}$/;
const LAG_LIMIT = 10_000;

/** A number option: above 0, or at least 0 when `orZero`; `fallback` when absent. */
function positive(value: unknown, field: string, fallback: number, orZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0 || (orZero && value === 0)))
    throw validationError(field, `${field} must be a positive number${orZero ? ' or 0' : ''}`);
  return value;
}

/**
 * Consumes the change feed with its cursor persisted in the storage under `name`: every entry at least
 * once, in seq order. Several processes may start the same worker: one holds a lease (renewed while
 * it works, checked before each entry) and the others wait; a crashed holder's lease ends after
 * `leaseMs` and another takes over from the cursor. `handle` should be idempotent (the entry in
 * hand at a crash, or with `saveMs` those done since the last save, come again) and finish well
 * within `leaseMs`.
 * @example
 * const mailer = createFeedWorker({ service, name: 'mailer', handle: (entry) => sendMailFor(entry) });
 * // later: await mailer.stop();
 */
export function createFeedWorker(options: FeedWorkerOptions): FeedWorker {
  const { service } = options;
  const cursors: FeedCursorStore | undefined = service?.storage?.feedCursors;
  if (!cursors) {
    throw new LicenseContactsError('VALIDATION', 'This storage keeps no feed cursors (feedCursors)', {
      field: 'service',
    });
  }
  if (typeof options.name !== 'string' || !NAME.test(options.name)) {
    throw validationError('name', 'name must be 1–200 visible ASCII characters');
  }
  if (typeof options.handle !== 'function') throw validationError('handle', 'handle must be a function');
  const name = options.name;
  const batchSize = Math.min(200, Math.floor(positive(options.batchSize, 'batchSize', 100)));
  const leaseMs = positive(options.leaseMs, 'leaseMs', 30_000);
  const pollMs = positive(options.pollMs, 'pollMs', 1_000);
  const saveMs = Math.min(leaseMs / 2, positive(options.saveMs, 'saveMs', 0, true));
  const initialMs = positive(options.retry?.initialMs, 'retry.initialMs', 1_000);
  const maxMs = positive(options.retry?.maxMs, 'retry.maxMs', 60_000);
  const attempts = positive(options.retry?.attempts, 'retry.attempts', Number.POSITIVE_INFINITY);
  const holder =
    options.holder ?? `worker-${Math.random().toString(36).slice(2, 10)}-${Date.now().toString(36)}`;

  let stopped = false;
  let holding = false;
  /** The seq of the last entry done, and of the last one saved in the storage. */
  let cursor: string | undefined;
  let saved: string | undefined;
  let savedAt = Number.NEGATIVE_INFINITY;
  /** The last page ended the feed and was all done: the next look needs no read unless told of a commit. */
  let atEnd = false;
  let handled = 0;
  let skipped = 0;
  let lastError: FeedWorkerStatus['lastError'];
  /** Ends the pause in progress: when the worker stops, or (an idle pause only) when a commit is told. */
  let wake: (why: 'stop' | 'commit') => void = () => {};
  /** A commit was told since the last read of the feed. */
  let told = false;
  /** Entries the storage's watch told since the last read, each with the seq before it (in order). */
  let arrived: { entry: AuditEntry; previousSeq: string | undefined }[] = [];
  /** The storage's watch runs: an event named the entry before it, so later commits will be told. */
  let watchSeen = false;
  const unsubscribe = service.subscribe(({ entry, previousSeq }) => {
    told = true;
    if (previousSeq !== undefined) watchSeen = true;
    if (arrived.length < batchSize) arrived.push({ entry, previousSeq });
    else arrived = [{ entry, previousSeq: undefined }]; // too many to hold: the next page is read
    wake('commit');
  });

  /**
   * The entries told right after the cursor, in order, as a page: what a read would answer, without it
   * (the watch tells every entry after the one before it). `undefined` when a read is needed.
   */
  function takeArrived(): AuditEntry[] | undefined {
    const told = arrived;
    arrived = [];
    const items: AuditEntry[] = [];
    let at = cursor;
    for (const { entry, previousSeq } of told) {
      if (at !== undefined && entry.seq <= at) continue; // read already
      if (at === undefined || previousSeq !== at) return undefined;
      items.push(entry);
      at = entry.seq;
    }
    return items.length > 0 ? items : undefined;
  }

  const sleep = (ms: number, untilCommit = false) =>
    new Promise<void>((resolve) => {
      if (stopped || (untilCommit && told)) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = () => {};
        resolve();
      }
      wake = (why) => {
        if (why === 'stop' || untilCommit) done();
      };
    });

  /** When the last granted lease was asked for (`performance.now()`): it was granted after that. */
  let askedAt = Number.NEGATIVE_INFINITY;

  /**
   * Takes or renews the lease; answers whether this worker holds it. A lease granted less than half
   * its length ago is held for sure (it was granted after it was asked for, and lasts `leaseMs` from
   * then: durations, so clocks set apart do not matter) and is not asked for again.
   */
  async function lease(): Promise<boolean> {
    if (holding && performance.now() - askedAt < leaseMs / 2) return true;
    const asked = performance.now();
    // Held without a break since the last grant: nobody else moved the cursor, and ours may be ahead.
    const kept = holding && asked - askedAt < leaseMs;
    const got = await (cursors as FeedCursorStore).lease(name, holder, leaseMs);
    holding = got !== null;
    if (got) {
      askedAt = asked;
      if (!kept) {
        cursor = got.cursor;
        saved = got.cursor;
        atEnd = false;
      }
    }
    return holding;
  }

  /** Saves the cursor of the entries done; `false` when the lease was lost (nothing saved). */
  async function save(): Promise<boolean> {
    if (cursor === saved) return true;
    const at = cursor as string;
    if (!(await (cursors as FeedCursorStore).advance(name, holder, at))) {
      holding = false;
      return false;
    }
    saved = at;
    savedAt = performance.now();
    return true;
  }

  function fail(error: unknown, entry: AuditEntry | undefined, attempt: number): void {
    lastError = {
      message: error instanceof Error ? error.message : String(error),
      at: new Date().toISOString(),
      ...(entry === undefined ? {} : { entryId: entry.id }),
      attempts: attempt,
    };
    try {
      options.onError?.(error, entry);
    } catch {
      // a reporter's failure is not the worker's
    }
  }

  /** Handles one entry, retrying; `false` when the lease was lost meanwhile (not done, not moved past). */
  async function work(entry: AuditEntry): Promise<boolean> {
    if (options.filter && !options.filter(entry)) return true;
    for (let attempt = 1; ; attempt++) {
      // Never two holders at once: the lease is renewed (and checked) before each attempt.
      if (stopped || !(await lease())) return false;
      try {
        await options.handle(entry);
        handled++;
        return true;
      } catch (error) {
        fail(error, entry, attempt);
        if (attempt >= attempts) {
          skipped++;
          return true;
        }
        const pause = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
        // What was done before this entry is saved before a pause that may last.
        if (!(await save())) return false;
        await sleep(pause * (0.5 + Math.random() / 2));
      }
    }
  }

  async function headSeq(): Promise<string | undefined> {
    const storage = service.storage;
    if (storage.headSeq) return storage.headSeq();
    let after: string | undefined;
    for (;;) {
      const page = await service.changes({ limit: 200, ...(after === undefined ? {} : { after }) });
      after = page.items.at(-1)?.seq ?? after;
      if (page.nextCursor === undefined) return after;
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      try {
        if (!(await lease())) {
          await sleep(Math.min(pollMs, leaseMs / 2));
          continue;
        }
        if (cursor === undefined && options.start === 'latest') {
          // Placed at the feed's end and saved, so a later holder starts there too; on a feed still
          // empty that is before its first entry (seq 0: no entry has it).
          cursor = (await headSeq()) ?? formatSeq(0);
          if (!(await save())) continue;
        }
        // At the feed's end with nothing told since: no read (a poll comes back with `atEnd` unset).
        const idle = atEnd && !told;
        atEnd = false;
        told = false;
        // A read that began before the watch ran may miss commits made while it started: not an end.
        const trusted = watchSeen;
        const direct = idle ? [] : takeArrived();
        const page: { items: AuditEntry[]; nextCursor?: string } =
          direct === undefined
            ? await service.changes({ limit: batchSize, ...(cursor === undefined ? {} : { after: cursor }) })
            : { items: direct };
        if (page.items.length === 0) {
          if (cursor !== saved) {
            // Caught up with moves unsaved: more entries may come soon, to be saved with them.
            await sleep(Math.max(0, saveMs - (performance.now() - savedAt)), true);
            if (!told) await save();
            continue;
          }
          await sleep(Math.min(pollMs, leaseMs / 3), true);
          continue;
        }
        let done = 0;
        for (const entry of page.items) {
          if (!(await work(entry))) break;
          cursor = entry.seq;
          done++;
          if (performance.now() - savedAt >= saveMs && !(await save())) break;
        }
        atEnd = trusted && done === page.items.length && page.nextCursor === undefined;
      } catch (error) {
        fail(error, undefined, 1);
        await sleep(Math.min(pollMs * 5, leaseMs / 2));
      }
    }
  }

  const running = run();

  return {
    name,
    async status() {
      const stored = await (cursors as FeedCursorStore).read(name);
      const mine = holding && stored?.holder === holder;
      // A holder's own cursor may be ahead of the saved one by moves not saved yet.
      const at = mine && cursor !== undefined && (stored?.cursor ?? '') < cursor ? cursor : stored?.cursor;
      let lag = 0;
      let oldestPendingAt: string | undefined;
      for (let after = at; lag < LAG_LIMIT; ) {
        const page = await service.changes({ limit: 200, ...(after === undefined ? {} : { after }) });
        oldestPendingAt ??= page.items[0]?.at;
        lag += page.items.length;
        if (page.nextCursor === undefined) break;
        after = page.nextCursor;
      }
      return {
        name,
        cursor: at,
        holding: mine,
        lag: Math.min(lag, LAG_LIMIT),
        ...(oldestPendingAt === undefined ? {} : { oldestPendingAt }),
        handled,
        skipped,
        ...(lastError === undefined ? {} : { lastError }),
      };
    },
    async stop() {
      if (stopped) return running;
      stopped = true;
      unsubscribe();
      wake('stop');
      await running;
      if (holding) await save().catch(() => {});
      await (cursors as FeedCursorStore).release(name, holder).catch(() => {});
      holding = false;
    },
  };
}
