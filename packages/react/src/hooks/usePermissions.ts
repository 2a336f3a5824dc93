import type { Permissions, Resource } from '@license-contacts/core';
import { useEffect } from 'react';
import { useLicenseContacts } from './useLicenseContacts';
import { useStoreState } from './useStoreState';

const IDLE: Resource<Permissions> = Object.freeze({ status: 'idle', fetching: false });

/** What the signed-in person may do on a license, as the core decides; loaded on first use and kept while used. */
export function usePermissions(licenseId: string): Resource<Permissions> {
  const { store, live } = useLicenseContacts();
  const resource = useStoreState((state) => state.permissions[licenseId] ?? IDLE);
  useEffect(() => {
    const release = store.observe({ type: 'permissions', licenseId }, { live });
    void store.ensurePermissions(licenseId);
    return release;
  }, [store, licenseId, live]);
  return resource;
}
