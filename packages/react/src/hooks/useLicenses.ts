import type { License, ListResource } from '@license-contacts/core';
import { useEffect, useMemo } from 'react';
import { useLicenseContacts } from './useLicenseContacts';
import { useStoreState } from './useStoreState';

const IDLE: ListResource = Object.freeze({ status: 'idle', ids: [], fetching: false, fetchingMore: false });

/** The result of `useLicenses`. */
export interface UseLicensesResult extends ListResource {
  /** The licenses of the loaded pages, in order. */
  licenses: License[];
  hasMore: boolean;
  loadMore: () => Promise<void>;
  refresh: () => Promise<void>;
}

/** The licenses the signed-in person is associated with, matching `query`; loads the first page on first use. */
export function useLicenses(query = ''): UseLicensesResult {
  const { store } = useLicenseContacts();
  const key = store.queryKey(query);
  const list = useStoreState((state) => state.lists[key] ?? IDLE);
  const cache = useStoreState((state) => state.licenses);
  useEffect(() => {
    void store.ensureList(key);
  }, [store, key]);
  const licenses = useMemo(
    () => list.ids.map((id) => cache[id]?.data).filter((l): l is License => l !== undefined),
    [list.ids, cache],
  );
  return {
    ...list,
    licenses,
    hasMore: list.nextCursor !== undefined,
    loadMore: () => store.loadMore(key),
    refresh: () => store.refreshList(key),
  };
}
