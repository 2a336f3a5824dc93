import { LicenseContactsError, reportError } from '../domain/errors';
import { deepFreeze } from '../domain/freeze';
import type { StoredRequest } from '../domain/requests';
import { stateAt } from '../domain/requests';
import type { AuditEntry, ContactChange, License, NewAuditEntry, Page } from '../domain/types';
import type { LegacyAuditEntry } from './legacy';
import { upgradeEntry } from './legacy';
import { formatSeq } from './seq';
import type {
  FeedCursor,
  FeedCursorStore,
  LicenseStorage,
  StorageAuditQuery,
  StorageChangesQuery,
  StorageCommit,
  StorageGetOptions,
  StorageListQuery,
  StorageRequestQuery,
  StorageWatchOptions,
  StoredAddress,
} from './types';

/** Options of `memoryStorage`. */
export interface MemoryStorageOptions {
  /** Licenses to start with (for example the fixtures of `@license-contacts/core/testing`). */
  licenses?: Iterable<License>;
  /** Audit entries to start with, in commit order (`seq` is assigned anew; entries without `changes` are upgraded). */
  audit?: Iterable<AuditEntry | NewAuditEntry | LegacyAuditEntry>;
  /** Requests to start with (§7). */
  requests?: Iterable<StoredRequest>;
  /** Address records to start with (§7). */
  addresses?: Iterable<StoredAddress>;
  /** Milliseconds every call waits, to make loading states visible in stories; default 0. */
  latency?: number;
  /** The time leases of feed workers expire by, in epoch ms; default `Date.now`. */
  now?: () => number;
}

/** The CONFLICT a commit answers when a record is not at the version its writer read. */
function stale(what: string): LicenseContactsError {
  return new LicenseContactsError('CONFLICT', `${what} was changed by someone else`);
}

/**
 * Whether a commit's compare-and-sets hold against what is stored: throws CONFLICT when one does not
 * (or when a commit writes one record twice). Shared by the memory and browser storages.
 */
export function checkCommit(
  commit: StorageCommit,
  stored: {
    license(id: string): { version: number } | undefined;
    request(id: string): { version: number } | undefined;
    address(email: string): { version: number } | undefined;
  },
): void {
  const once = <W>(writes: readonly W[] | undefined, key: (write: W) => string, what: string) => {
    if (writes !== undefined && writes.length > 1 && new Set(writes.map(key)).size !== writes.length)
      throw new LicenseContactsError('CONFLICT', `A commit may write each ${what} once`);
  };
  once(commit.writes, (w) => w.license.id, 'license');
  once(commit.requests, (w) => w.request.id, 'request');
  once(commit.addresses, (w) => w.address.email, 'address');
  for (const { license, expectedVersion } of commit.writes) {
    if ((stored.license(license.id)?.version ?? null) !== expectedVersion)
      throw stale(`License ${license.id}`);
  }
  for (const { request, expectedVersion } of commit.requests ?? []) {
    if ((stored.request(request.id)?.version ?? null) !== expectedVersion)
      throw stale(`Request ${request.id}`);
  }
  for (const { address, expectedVersion } of commit.addresses ?? []) {
    if ((stored.address(address.email)?.version ?? null) !== expectedVersion)
      throw stale(`Address ${address.email}`);
  }
}

/** Whether a request matches a query (every field but paging). */
export function matchesRequest(
  request: StoredRequest,
  query: StorageRequestQuery,
  isContact: (email: string, licenseId: string) => boolean,
): boolean {
  const party = (email: string) =>
    request.requestedBy === email || request.email === email || request.decidedBy.includes(email);
  if (query.licenseId !== undefined && request.licenseId !== query.licenseId) return false;
  if (query.kind !== undefined && request.kind !== query.kind) return false;
  if (query.subject !== undefined && request.email !== query.subject) return false;
  if (query.party !== undefined && !party(query.party)) return false;
  if (query.email !== undefined && !party(query.email) && !isContact(query.email, request.licenseId))
    return false;
  return query.state === undefined || stateAt(request, query.now) === query.state;
}

/** Stored objects are deeply frozen: handing them out is safe, and nobody can change them in place. */
function own<T extends object>(value: T): T {
  return Object.isFrozen(value) ? value : deepFreeze(structuredClone(value));
}

function insertSorted(list: string[], id: string): void {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((list[mid] as string) < id) low = mid + 1;
    else high = mid;
  }
  if (list[low] !== id) list.splice(low, 0, id);
}

function firstAfter(list: readonly string[], id: string): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((list[mid] as string) <= id) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A stretch of time a person was a contact of a license: from the entry adding them to the one removing them. */
interface Membership {
  licenseId: string;
  from: number;
  to: number | null;
}

/** The index of the first entry in a license's list (ascending seq) whose seq is above `seq`. */
function firstAbove(entries: readonly AuditEntry[], seq: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (Number((entries[mid] as AuditEntry).seq) <= seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A listener's failure is its own: it must not fail the commit that told it. */
function tell(listener: (entry: AuditEntry) => void, entry: AuditEntry): void {
  try {
    listener(entry);
  } catch (error) {
    reportError(error);
  }
}

/** Feed worker cursors with leases, in memory. */
export function cursorStore(now: () => number): FeedCursorStore {
  const cursors = new Map<string, { cursor: string | undefined; holder?: string; expires: number }>();
  const view = (c: { cursor: string | undefined; holder?: string; expires: number }): FeedCursor =>
    c.holder !== undefined && c.expires > now()
      ? { cursor: c.cursor, holder: c.holder, expiresAt: new Date(c.expires).toISOString() }
      : { cursor: c.cursor };
  return {
    async lease(name, holder, ttlMs) {
      const current = cursors.get(name) ?? { cursor: undefined, expires: 0 };
      if (current.holder !== undefined && current.holder !== holder && current.expires > now()) return null;
      const next = { cursor: current.cursor, holder, expires: now() + ttlMs };
      cursors.set(name, next);
      return view(next);
    },
    async advance(name, holder, cursor) {
      const current = cursors.get(name);
      if (current?.holder !== holder || current.expires <= now()) return false;
      current.cursor = cursor;
      return true;
    },
    async release(name, holder) {
      const current = cursors.get(name);
      if (current?.holder === holder) cursors.set(name, { cursor: current.cursor, expires: 0 });
    },
    async read(name) {
      const current = cursors.get(name);
      return current ? view(current) : null;
    },
  };
}

/** Whether the license matches a lower-cased search text (id, product, a contact's email or name). */
export function matchesQuery(license: License, query: string): boolean {
  return (
    license.id.toLowerCase().includes(query) ||
    license.product.toLowerCase().includes(query) ||
    license.contacts.some((c) => c.email.includes(query) || c.name.toLowerCase().includes(query))
  );
}

/**
 * Storage in this process's memory: the default, for tests, stories and demos. Atomic multi-license
 * commits with compare-and-set; licenses of a person found through an email index.
 * @example createLicenseContacts({ storage: memoryStorage({ licenses: demoLicenses() }) })
 */
export function memoryStorage(options: MemoryStorageOptions = {}): LicenseStorage {
  const licenses = new Map<string, License>();
  const ids: string[] = [];
  const byEmail = new Map<string, string[]>();
  const audit = new Map<string, AuditEntry[]>();
  /** Every entry in seq order: `feed[n - 1]` has seq n. */
  const feed: AuditEntry[] = [];
  const memberships = new Map<string, Membership[]>();
  const requests = new Map<string, StoredRequest>();
  /** Request ids in order. */
  const requestIds: string[] = [];
  const addresses = new Map<string, StoredAddress>();
  const latency = options.latency ?? 0;
  const now = options.now ?? Date.now;
  const watchers = new Set<(entry: AuditEntry) => void>();
  /** The last holder's turn of each locked license: the next in line waits for it. */
  const turns = new Map<string, Promise<void>>();

  /** Waits for this license's earlier holders; answers the function that lets the next one in. */
  async function lock(id: string): Promise<() => void> {
    const before = turns.get(id) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const turn = before.then(() => mine);
    turns.set(id, turn);
    await before;
    return () => {
      release();
      if (turns.get(id) === turn) turns.delete(id);
    };
  }

  /** The pretended round trip (`latency`); callers skip it when there is none (not even a tick). */
  const settle = () => new Promise<void>((resolve) => setTimeout(resolve, latency));

  function put(license: License): void {
    const previous = licenses.get(license.id);
    if (previous?.contacts !== license.contacts) {
      // Who joined or left lies between the rows that stayed at the head and the tail of the list.
      const was = previous?.contacts ?? [];
      const is = license.contacts;
      const shorter = Math.min(was.length, is.length);
      let head = 0;
      while (head < shorter && was[head]?.email === is[head]?.email) head++;
      let tail = 0;
      while (tail < shorter - head && was[was.length - 1 - tail]?.email === is[is.length - 1 - tail]?.email) {
        tail++;
      }
      const before = new Set(was.slice(head, was.length - tail).map((c) => c.email));
      const after = new Set(is.slice(head, is.length - tail).map((c) => c.email));
      for (const email of before) {
        if (after.has(email)) continue;
        const list = byEmail.get(email) as string[];
        list.splice(list.indexOf(license.id), 1);
        if (list.length === 0) byEmail.delete(email);
      }
      for (const email of after) {
        if (before.has(email)) continue;
        const list = byEmail.get(email) ?? [];
        insertSorted(list, license.id);
        byEmail.set(email, list);
      }
    }
    if (!previous) insertSorted(ids, license.id);
    licenses.set(license.id, license);
  }

  function join(email: string, licenseId: string, from: number): void {
    const list = memberships.get(email) ?? [];
    list.push({ licenseId, from, to: null });
    memberships.set(email, list);
  }

  /** Appends an entry to the feed with the next seq, and follows who joined and left. */
  function record(entry: NewAuditEntry | LegacyAuditEntry): AuditEntry {
    const n = feed.length + 1;
    // Its parts are frozen already (own, and upgradeEntry's new changes): only the copy with its seq is new.
    const stored: AuditEntry = Object.freeze({ ...deepFreeze(upgradeEntry(own(entry))), seq: formatSeq(n) });
    feed.push(stored);
    const list = audit.get(stored.licenseId) ?? [];
    list.push(stored);
    audit.set(stored.licenseId, list);
    for (let i = 0; i < stored.changes.length; i++) {
      const change = stored.changes[i] as ContactChange;
      if (change.before === null && change.after !== null) join(change.email, stored.licenseId, n);
      if (change.before !== null && change.after === null) {
        const open = memberships
          .get(change.email)
          ?.findLast((m) => m.licenseId === stored.licenseId && m.to === null);
        if (open) open.to = n;
      }
    }
    return stored;
  }

  function putRequest(request: StoredRequest): void {
    if (!requests.has(request.id)) insertSorted(requestIds, request.id);
    requests.set(request.id, own(request));
  }

  for (const request of options.requests ?? []) putRequest(request);
  for (const address of options.addresses ?? []) addresses.set(address.email, own(address));
  for (const license of options.licenses ?? []) put(own(license));
  for (const entry of options.audit ?? []) record(entry);
  // Seeded licenses whose joining is not in the seeded history: their contacts count from the start.
  for (const license of licenses.values()) {
    for (const { email } of license.contacts) {
      const open = memberships.get(email)?.some((m) => m.licenseId === license.id && m.to === null);
      if (!open) join(email, license.id, 0);
    }
  }

  return {
    async getLicense(id, options?: StorageGetOptions) {
      if (latency > 0) await settle();
      if (options?.ifContact !== undefined) {
        const ids = byEmail.get(options.ifContact) ?? [];
        if (ids[firstAfter(ids, id) - 1] !== id) return null;
      }
      return licenses.get(id) ?? null;
    },

    async listLicenses(query: StorageListQuery): Promise<Page<License>> {
      if (latency > 0) await settle();
      const candidates = query.email === undefined ? ids : (byEmail.get(query.email.toLowerCase()) ?? []);
      const text = query.query?.toLowerCase();
      const items: License[] = [];
      let more = false;
      for (
        let i = query.after === undefined ? 0 : firstAfter(candidates, query.after);
        i < candidates.length;
        i++
      ) {
        const license = licenses.get(candidates[i] as string) as License;
        if (text !== undefined && !matchesQuery(license, text)) continue;
        if (items.length === query.limit) {
          more = true;
          break;
        }
        items.push(license);
      }
      const last = items.at(-1);
      return more && last ? { items, nextCursor: last.id } : { items };
    },

    async commit(commit: StorageCommit) {
      if (latency > 0) await settle();
      checkCommit(commit, {
        license: (id) => licenses.get(id),
        request: (id) => requests.get(id),
        address: (email) => addresses.get(email),
      });
      const writes = commit.writes.map((write) => own(write.license));
      const entries = commit.audit.map((entry) => own(entry));
      const requestWrites = (commit.requests ?? []).map((write) => own(write.request));
      const addressWrites = (commit.addresses ?? []).map((write) => own(write.address));
      for (const license of writes) put(license);
      for (const request of requestWrites) putRequest(request);
      for (const address of addressWrites) addresses.set(address.email, address);
      const stored = entries.map(record);
      if (watchers.size > 0)
        for (const entry of stored) for (const watcher of [...watchers]) tell(watcher, entry);
      return stored;
    },

    async headSeq() {
      if (latency > 0) await settle();
      return feed.at(-1)?.seq;
    },

    async getRequest(id) {
      if (latency > 0) await settle();
      return requests.get(id) ?? null;
    },

    async listRequests(query: StorageRequestQuery): Promise<Page<StoredRequest>> {
      if (latency > 0) await settle();
      const isContact = (email: string, licenseId: string) =>
        byEmail.get(email)?.includes(licenseId) === true;
      const items: StoredRequest[] = [];
      for (
        let i = query.after === undefined ? 0 : firstAfter(requestIds, query.after);
        i < requestIds.length;
        i++
      ) {
        const request = requests.get(requestIds[i] as string) as StoredRequest;
        if (!matchesRequest(request, query, isContact)) continue;
        if (items.length === query.limit) return { items, nextCursor: (items.at(-1) as StoredRequest).id };
        items.push(request);
      }
      return { items };
    },

    async getAddresses(emails) {
      if (latency > 0) await settle();
      const found: StoredAddress[] = [];
      for (const email of new Set(emails)) {
        const address = addresses.get(email);
        if (address) found.push(address);
      }
      return found;
    },

    multiVersionWrites: true,

    async locked(ids, work, options) {
      const releases: (() => void)[] = [];
      try {
        // In id order, like a database locking rows, so holders of several cannot deadlock.
        for (const id of [...new Set(ids)].sort()) releases.push(await lock(id));
        if (latency > 0) await settle();
        const contactOf =
          options?.ifContact === undefined ? undefined : (byEmail.get(options.ifContact) ?? []);
        const read = new Map(
          ids.map((id) => [id, contactOf && !contactOf.includes(id) ? null : (licenses.get(id) ?? null)]),
        );
        const { value, commit } = await work(read);
        const entries = commit ? await this.commit(commit) : [];
        return { value, entries };
      } finally {
        for (const release of releases) release();
      }
    },

    async watch(listener: (entry: AuditEntry) => void, opts: StorageWatchOptions = {}) {
      const position = opts.after ?? feed.at(-1)?.seq;
      // Catching up and joining happen in one go: no commit can fall between them.
      for (const entry of feed.slice(opts.after === undefined ? feed.length : Number(opts.after))) {
        tell(listener, entry);
      }
      watchers.add(listener);
      return { position, close: () => void watchers.delete(listener) };
    },

    feedCursors: cursorStore(now),

    async listChanges(query: StorageChangesQuery): Promise<Page<AuditEntry>> {
      if (latency > 0) await settle();
      const after = query.after === undefined ? 0 : Number(query.after);
      let items: AuditEntry[];
      if (query.email === undefined) {
        items = feed.slice(after, after + query.limit + 1);
      } else {
        items = [];
        for (const { licenseId, from, to } of memberships.get(query.email) ?? []) {
          const entries = audit.get(licenseId) ?? [];
          const start = firstAbove(entries, Math.max(after, from - 1));
          // The first limit + 1 of each stretch are enough to find the first limit + 1 of them all.
          for (let i = start; i < entries.length && i - start <= query.limit; i++) {
            const entry = entries[i] as AuditEntry;
            if (to !== null && Number(entry.seq) > to) break;
            items.push(entry);
          }
        }
        items.sort((a, b) => (a.seq < b.seq ? -1 : 1));
        // Two stretches of the same license can meet on one entry (removed, then added back at once).
        items = items.filter((entry, i) => entry !== items[i - 1]).slice(0, query.limit + 1);
      }
      if (items.length <= query.limit) return { items };
      items.length = query.limit;
      return { items, nextCursor: (items.at(-1) as AuditEntry).seq };
    },

    async listAudit(licenseId: string, query: StorageAuditQuery): Promise<Page<AuditEntry>> {
      if (latency > 0) await settle();
      const entries = audit.get(licenseId) ?? [];
      const items: AuditEntry[] = [];
      for (let i = entries.length - 1; i >= 0 && items.length <= query.limit; i--) {
        const entry = entries[i] as AuditEntry;
        if (query.beforeVersion === undefined || entry.version < query.beforeVersion) items.push(entry);
      }
      if (items.length > query.limit) {
        items.length = query.limit;
        return { items, nextCursor: String(items.at(-1)?.version) };
      }
      return { items };
    },
  };
}
