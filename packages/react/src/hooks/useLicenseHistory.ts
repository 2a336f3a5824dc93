import type { HistoryResource } from '@license-contacts/core';
import { useEffect } from 'react';
import { useLicenseContacts } from './useLicenseContacts';
import { useStoreState } from './useStoreState';

const IDLE: HistoryResource = Object.freeze({
  status: 'idle',
  entries: [],
  fetching: false,
  fetchingMore: false,
});

/** The result of `useLicenseHistory`. */
export interface UseLicenseHistoryResult extends HistoryResource {
  hasMore: boolean;
  loadMore: () => Promise<void>;
  refresh: () => Promise<void>;
}

/** A license's audit history, newest first: the first page on first use, more with `loadMore`. */
export function useLicenseHistory(licenseId: string): UseLicenseHistoryResult {
  const { store, live } = useLicenseContacts();
  const resource = useStoreState((state) => state.histories[licenseId] ?? IDLE);
  useEffect(() => {
    const release = store.observe({ type: 'history', licenseId }, { live });
    void store.ensureHistory(licenseId);
    return release;
  }, [store, licenseId, live]);
  return {
    ...resource,
    hasMore: resource.nextCursor !== undefined,
    loadMore: () => store.loadMoreHistory(licenseId),
    refresh: () => store.refreshHistory(licenseId),
  };
}
