import { freeze } from 'immer';
import { LicenseContactsError } from '../domain/errors';
import type { AuditEntry, License, Page } from '../domain/types';
import type {
  LicenseStorage,
  StorageAuditQuery,
  StorageCommit,
  StorageGetOptions,
  StorageListQuery,
} from './types';

/** Options of `memoryStorage`. */
export interface MemoryStorageOptions {
  /** Licenses to start with (for example the fixtures of `@license-contacts/core/testing`). */
  licenses?: Iterable<License>;
  /** Audit entries to start with, oldest first per license. */
  audit?: Iterable<AuditEntry>;
  /** Milliseconds every call waits, to make loading states visible in stories; default 0. */
  latency?: number;
}

/** Stored objects are deeply frozen: handing them out is safe, and nobody can change them in place. */
function own<T extends object>(value: T): T {
  return Object.isFrozen(value) ? value : freeze(structuredClone(value), true);
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
  const latency = options.latency ?? 0;

  const settle = () =>
    latency > 0 ? new Promise<void>((resolve) => setTimeout(resolve, latency)) : undefined;

  function put(license: License): void {
    const previous = licenses.get(license.id);
    if (previous?.contacts !== license.contacts) {
      const before = new Set(previous?.contacts.map((c) => c.email));
      const after = new Set(license.contacts.map((c) => c.email));
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

  for (const license of options.licenses ?? []) put(own(license));
  for (const entry of options.audit ?? []) {
    const list = audit.get(entry.licenseId) ?? [];
    list.push(own(entry));
    audit.set(entry.licenseId, list);
  }

  return {
    async getLicense(id, options?: StorageGetOptions) {
      await settle();
      if (options?.ifContact !== undefined) {
        const ids = byEmail.get(options.ifContact) ?? [];
        if (ids[firstAfter(ids, id) - 1] !== id) return null;
      }
      return licenses.get(id) ?? null;
    },

    async listLicenses(query: StorageListQuery): Promise<Page<License>> {
      await settle();
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
      await settle();
      for (const { license, expectedVersion } of commit.writes) {
        const stored = licenses.get(license.id);
        if ((stored?.version ?? null) !== expectedVersion) {
          throw new LicenseContactsError('CONFLICT', `License ${license.id} was changed by someone else`);
        }
      }
      if (new Set(commit.writes.map((w) => w.license.id)).size !== commit.writes.length) {
        throw new LicenseContactsError('CONFLICT', 'A commit may write each license once');
      }
      const writes = commit.writes.map((write) => own(write.license));
      const entries = commit.audit.map((entry) => own(entry));
      for (const license of writes) put(license);
      for (const entry of entries) {
        const list = audit.get(entry.licenseId) ?? [];
        list.push(entry);
        audit.set(entry.licenseId, list);
      }
    },

    async listAudit(licenseId: string, query: StorageAuditQuery): Promise<Page<AuditEntry>> {
      await settle();
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
