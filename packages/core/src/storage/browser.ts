import { LicenseContactsError, reportError } from '../domain/errors';
import type { StoredRequest } from '../domain/requests';
import type { AuditEntry, License } from '../domain/types';
import { upgradeEntry } from './legacy';
import { checkCommit, memoryStorage } from './memory';
import { formatSeq } from './seq';
import type { LicenseStorage, StorageCommit, StorageWatchOptions, StoredAddress } from './types';

/** The part of the Web Storage API the adapter uses (`localStorage`, `sessionStorage`, or your own). */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Options of `browserStorage`. */
export interface BrowserStorageOptions {
  /** Where to keep the data; default `globalThis.localStorage`. */
  storage?: WebStorageLike;
  /** The key holding the data; default `license-contacts`. */
  key?: string;
  /** Licenses to start with when the key holds nothing yet (a demo's seed). */
  licenses?: Iterable<License>;
}

/** The stored document. Format 1 (before the change feed) held entries with two copies of the contacts; it is read and upgraded. */
interface Persisted {
  format: 1 | 2;
  licenses: License[];
  /** Every entry in commit order: the n-th has seq n. */
  audit: AuditEntry[];
  /** Requests (§7); absent in documents written before them. */
  requests?: StoredRequest[];
  /** Address records (§7); absent in documents written before them. */
  addresses?: StoredAddress[];
}

/**
 * Storage in the browser's `localStorage` (one JSON document under one key): demos and offline
 * prototypes that keep their data across reloads. Every call re-reads the document when another tab
 * changed it; a commit checks versions, writes the whole new document, and only then answers, so a
 * full quota fails the commit with STORAGE and changes nothing.
 * @example createLicenseContacts({ storage: browserStorage({ licenses: demoLicenses() }) })
 */
export function browserStorage(options: BrowserStorageOptions = {}): LicenseStorage {
  const key = options.key ?? 'license-contacts';
  let raw: string | null | undefined;
  let state: Persisted = { format: 2, licenses: [], audit: [] };
  let inner = memoryStorage();
  const watchers = new Set<{ listener: (entry: AuditEntry) => void; next: number }>();

  /** Tells each watcher of the document's entries it has not heard of, in order. */
  function deliver(): void {
    for (const watcher of [...watchers]) {
      while (watcher.next < state.audit.length && watchers.has(watcher)) {
        const entry = state.audit[watcher.next++] as AuditEntry;
        try {
          watcher.listener(entry);
        } catch (error) {
          reportError(error);
        }
      }
    }
  }

  /** Another tab wrote the document: read it and tell the watchers. */
  function onStorageEvent(event: { key?: string | null }): void {
    if (event.key !== key && event.key !== null) return;
    try {
      load();
      deliver();
    } catch {
      // unreadable now: the next call reports it
    }
  }

  function web(): WebStorageLike {
    const storage = options.storage ?? (globalThis as { localStorage?: WebStorageLike }).localStorage;
    if (!storage)
      throw new LicenseContactsError('STORAGE', 'No localStorage is available here (server side?)');
    return storage;
  }

  /** Brings the in-memory copy up to date with the stored document. */
  function load(): LicenseStorage {
    const current = web().getItem(key);
    if (current === raw) return inner;
    if (current === null) {
      state = { format: 2, licenses: [...(options.licenses ?? [])], audit: [] };
    } else {
      try {
        const parsed = JSON.parse(current) as Persisted;
        if (
          (parsed?.format !== 1 && parsed?.format !== 2) ||
          !Array.isArray(parsed.licenses) ||
          !Array.isArray(parsed.audit)
        ) {
          throw new Error(`unknown document format under "${key}"`);
        }
        // In today's shape, numbered: the n-th entry of the document has seq n.
        state = {
          ...parsed,
          audit: parsed.audit.map((entry, i) => ({ ...upgradeEntry(entry), seq: formatSeq(i + 1) })),
        };
      } catch (cause) {
        // Never overwrite what we cannot read: the data may be someone's.
        throw new LicenseContactsError('STORAGE', 'The stored license data cannot be read', { cause });
      }
    }
    inner = memoryStorage({
      licenses: state.licenses,
      audit: state.audit,
      requests: state.requests ?? [],
      addresses: state.addresses ?? [],
    });
    raw = current;
    return inner;
  }

  return {
    getLicense: async (id, options) => load().getLicense(id, options),
    listLicenses: async (query) => load().listLicenses(query),
    listAudit: async (id, query) => load().listAudit(id, query),
    listChanges: async (query) => load().listChanges(query),
    headSeq: async () => load().headSeq?.(),
    getRequest: async (id) => load().getRequest(id),
    listRequests: async (query) => load().listRequests(query),
    getAddresses: async (emails) => load().getAddresses(emails),
    async watch(listener: (entry: AuditEntry) => void, opts: StorageWatchOptions = {}) {
      load();
      const head = state.audit.at(-1);
      const watcher = { listener, next: opts.after === undefined ? state.audit.length : Number(opts.after) };
      if (watchers.size === 0) {
        (
          globalThis as { addEventListener?: (type: string, fn: (e: StorageEvent) => void) => void }
        ).addEventListener?.('storage', onStorageEvent);
      }
      watchers.add(watcher);
      deliver();
      return {
        position: opts.after ?? head?.seq,
        close() {
          watchers.delete(watcher);
          if (watchers.size === 0) {
            (
              globalThis as { removeEventListener?: (type: string, fn: (e: StorageEvent) => void) => void }
            ).removeEventListener?.('storage', onStorageEvent);
          }
        },
      };
    },
    async commit(commit: StorageCommit) {
      const memory = load();
      // Checked and written without yielding: commits of this instance cannot interleave.
      const byId = <T>(items: T[] | undefined, key: (item: T) => string) =>
        new Map((items ?? []).map((item) => [key(item), item]));
      const licenses = byId(state.licenses, (l) => l.id);
      const requests = byId(state.requests, (r) => r.id);
      const addresses = byId(state.addresses, (a) => a.email);
      checkCommit(commit, {
        license: (id) => licenses.get(id),
        request: (id) => requests.get(id),
        address: (email) => addresses.get(email),
      });
      // Numbered like the in-memory copy numbers them: the n-th entry of the document has seq n.
      const added = commit.audit.map((entry, i) => ({
        ...upgradeEntry(entry),
        seq: formatSeq(state.audit.length + i + 1),
      }));
      const written = new Map(commit.writes.map((w) => [w.license.id, w.license]));
      for (const { request } of commit.requests ?? []) requests.set(request.id, request);
      for (const { address } of commit.addresses ?? []) addresses.set(address.email, address);
      const next: Persisted = {
        format: 2,
        licenses: [...state.licenses.filter((l) => !written.has(l.id)), ...written.values()],
        audit: [...state.audit, ...added],
        requests: [...requests.values()],
        addresses: [...addresses.values()],
      };
      const text = JSON.stringify(next);
      web().setItem(key, text); // may throw (quota): nothing changed yet
      state = next;
      raw = text;
      // The in-memory copy follows in the same order (it checks the same versions).
      const entries = await memory.commit(commit);
      deliver();
      return entries;
    },
  };
}
