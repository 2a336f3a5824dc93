import type { License, ListResource } from '@license-contacts/core';
import { useEffect, useMemo, useState } from 'react';
import { useLicenseContacts } from './useLicenseContacts';
import { useStoreState } from './useStoreState';

const IDLE: ListResource = Object.freeze({ status: 'idle', ids: [], fetching: false, fetchingMore: false });

/** Options of `useLicenses`. */
export interface UseLicensesOptions {
  /** While a new query loads, keep returning the last loaded query's licenses (with `placeholder: true`). */
  keepPrevious?: boolean;
}

/** The result of `useLicenses`. */
export interface UseLicensesResult extends ListResource {
  /** The licenses of the loaded pages, in order. */
  licenses: License[];
  hasMore: boolean;
  /** The licenses are the previous query's, shown while this one loads (`keepPrevious`). */
  placeholder: boolean;
  loadMore: () => Promise<void>;
  refresh: () => Promise<void>;
}

/** The licenses the signed-in person is associated with, matching `query`; loads the first page on first use and keeps it while used. */
export function useLicenses(query = '', options: UseLicensesOptions = {}): UseLicensesResult {
  const { store, live } = useLicenseContacts();
  const key = store.queryKey(query);
  const [settledKey, setSettledKey] = useState(key);
  const current = useStoreState((state) => state.lists[key] ?? IDLE);
  const previous = useStoreState((state) => state.lists[settledKey] ?? IDLE);
  const cache = useStoreState((state) => state.licenses);
  useEffect(() => {
    const release = store.observe({ type: 'list', query: key }, { live });
    void store.ensureList(key);
    return release;
  }, [store, key, live]);
  // The previous query's pages stay while they are shown in place of this one's.
  useEffect(() => store.observe({ type: 'list', query: settledKey }, { live }), [store, settledKey, live]);
  useEffect(() => {
    if (current.status === 'success') setSettledKey(key);
  }, [current.status, key]);
  const placeholder =
    options.keepPrevious === true &&
    key !== settledKey &&
    (current.status === 'idle' || current.status === 'loading') &&
    previous.status === 'success';
  const list = placeholder ? previous : current;
  const licenses = useMemo(
    () => list.ids.map((id) => cache[id]?.data).filter((l): l is License => l !== undefined),
    [list.ids, cache],
  );
  return {
    ...list,
    licenses,
    fetching: placeholder || list.fetching,
    hasMore: !placeholder && list.nextCursor !== undefined,
    placeholder,
    loadMore: () => store.loadMore(key),
    refresh: () => store.refreshList(key),
  };
}
