import type { ContactsStoreState } from '@license-contacts/core';
import { useSyncExternalStore } from 'react';
import { useLicenseContacts } from './useLicenseContacts';

/** A part of the store's state; `select` must return a value that keeps its identity while unchanged. */
export function useStoreState<T>(select: (state: ContactsStoreState) => T): T {
  const { store } = useLicenseContacts();
  const get = () => select(store.getSnapshot());
  return useSyncExternalStore(store.subscribe, get, get);
}
