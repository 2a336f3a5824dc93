import type { AuditEntry, Me } from '../domain/types';
import type { CacheState } from './resourceCache';

/** What a burst of audit entries of changes made elsewhere asks of the cache. */
export interface LiveUpdatePlan {
  /**
   * Licenses the actor left: asked for again at once whether or not anything shows them, so the server
   * says whether the actor still sees them (NOT_FOUND drops them from every list); the store never
   * guesses what the policy's `canView` would answer.
   */
  confirm: string[];
  /** Held resources the entries touch, by key: `license:ID`, `permissions:ID`, `history:ID`, `list:QUERY`. */
  touched: string[];
}

const has = (record: object, key: string) => Object.hasOwn(record, key);

/**
 * Decides from the entries alone (and what the cache holds) what to ask the server again; it never
 * guesses what the policy would decide. A license is asked for again when the entries are newer than
 * the version held; its permissions when held; its history when held and missing the newest entry; the
 * lists holding it, or every list when the actor joined it or it was created (the server says where it
 * appears). A license whose entries say the actor left it is confirmed with the server instead.
 */
export function planLiveUpdate(
  cache: CacheState,
  entries: readonly AuditEntry[],
  me: Me | undefined,
): LiveUpdatePlan {
  const plan: LiveUpdatePlan = { confirm: [], touched: [] };
  const touched = new Set<string>();
  const byLicense = new Map<string, AuditEntry[]>();
  for (const entry of entries)
    byLicense.set(entry.licenseId, [...(byLicense.get(entry.licenseId) ?? []), entry]);
  for (const [id, told] of byLicense) {
    const mine = me ? told.flatMap((entry) => entry.changes.filter((c) => c.email === me.email)) : [];
    const left = mine.length > 0 && mine.at(-1)?.after === null;
    const joined = !left && mine.length > 0 && mine[0]?.before === null;
    const created = told.some((entry) => entry.action === 'createLicense');
    const newest = told.reduce((a, b) => (b.version > a.version ? b : a));
    const license = has(cache.licenses, id) ? cache.licenses[id] : undefined;
    if (left && license?.data) plan.confirm.push(id);
    else if (license && (joined || !license.data || license.data.version < newest.version))
      touched.add(`license:${id}`);
    if (!left) {
      if (has(cache.permissions, id)) touched.add(`permissions:${id}`);
      const history = has(cache.histories, id) ? cache.histories[id] : undefined;
      if (history && !history.entries.some((entry) => entry.id === newest.id)) touched.add(`history:${id}`);
    }
    for (const [key, list] of Object.entries(cache.lists)) {
      if (list.ids.includes(id) || joined || created) touched.add(`list:${key}`);
    }
  }
  plan.touched = [...touched];
  return plan;
}
