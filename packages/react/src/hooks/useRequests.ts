import type { PendingRequest, Resource } from '@license-contacts/core';
import { useEffect } from 'react';
import { useLicenseContacts } from './useLicenseContacts';
import { useStoreState } from './useStoreState';

const IDLE: Resource<PendingRequest[]> = Object.freeze({ status: 'idle', fetching: false });

/**
 * Pending requests (§7): of one license, or without `licenseId` every pending request of the signed-in
 * person (to decide, made by them, or about them); loaded on first use and kept while used.
 */
export function useRequests(licenseId?: string): Resource<PendingRequest[]> {
  const { store, live } = useLicenseContacts();
  const key = licenseId ?? '';
  const resource = useStoreState((state) =>
    Object.hasOwn(state.requests, key) ? state.requests[key] : IDLE,
  );
  useEffect(() => {
    const release = store.observe(
      licenseId === undefined ? { type: 'requests' } : { type: 'requests', licenseId },
      { live },
    );
    void store.ensureRequests(licenseId);
    return release;
  }, [store, licenseId, live]);
  return resource ?? IDLE;
}
