import type { Permissions, Resource } from '@license-contacts/core';
import { useEffect } from 'react';
import { useLicenseContacts } from './useLicenseContacts';
import { useStoreState } from './useStoreState';

const IDLE: Resource<Permissions> = Object.freeze({ status: 'idle', fetching: false });

/** What the signed-in person may do on a license, as the core decides; loaded on first use. */
export function usePermissions(licenseId: string): Resource<Permissions> {
  const { store } = useLicenseContacts();
  const resource = useStoreState((state) => state.permissions[licenseId] ?? IDLE);
  useEffect(() => {
    void store.ensurePermissions(licenseId);
  }, [store, licenseId]);
  return resource;
}
