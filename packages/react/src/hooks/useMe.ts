import type { Me, Resource } from '@license-contacts/core';
import { useEffect } from 'react';
import { useLicenseContacts } from './useLicenseContacts';
import { useStoreState } from './useStoreState';

/** Who the interface acts for, loaded on first use. */
export function useMe(): Resource<Me> {
  const { store } = useLicenseContacts();
  const me = useStoreState((state) => state.me);
  useEffect(() => {
    void store.ensureMe();
  }, [store]);
  return me;
}
