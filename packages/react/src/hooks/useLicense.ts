import type { License, Resource } from '@license-contacts/core';
import { useEffect } from 'react';
import { useLicenseContacts } from './useLicenseContacts';
import { useStoreState } from './useStoreState';

const IDLE: Resource<License> = Object.freeze({ status: 'idle', fetching: false });

/** One license (with pending changes drawn in), loaded on first use and kept while used; `refresh` reloads it. */
export function useLicense(licenseId: string): Resource<License> & { refresh: () => Promise<void> } {
  const { store, live } = useLicenseContacts();
  const resource = useStoreState((state) => state.licenses[licenseId] ?? IDLE);
  useEffect(() => {
    const release = store.observe({ type: 'license', licenseId }, { live });
    void store.ensureLicense(licenseId);
    return release;
  }, [store, licenseId, live]);
  return { ...resource, refresh: () => store.refreshLicense(licenseId) };
}
