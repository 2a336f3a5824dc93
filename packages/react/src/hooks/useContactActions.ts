import type {
  AddContactInput,
  License,
  PendingMutation,
  RemoveContactOptions,
  Role,
} from '@license-contacts/core';
import { useMemo } from 'react';
import { useLicenseContacts } from './useLicenseContacts';
import { useStoreState } from './useStoreState';

/** The result of `useContactActions`. */
export interface ContactActions {
  addContact: (input: AddContactInput) => Promise<License>;
  setMain: (role: Role, email: string) => Promise<License>;
  removeContact: (
    email: string,
    options?: Pick<RemoveContactOptions, 'role' | 'successor'>,
  ) => Promise<License>;
  /** This license's mutations still waiting for the server. */
  pending: readonly PendingMutation[];
}

const NONE: readonly PendingMutation[] = Object.freeze([]);

/** The changes a person can make to one license's contacts: optimistic, rolled back on failure. */
export function useContactActions(licenseId: string): ContactActions {
  const { store } = useLicenseContacts();
  const all = useStoreState((state) => state.pending);
  const pending = useMemo(() => {
    const mine = all.filter((m) => m.licenseId === licenseId);
    return mine.length === 0 ? NONE : mine;
  }, [all, licenseId]);
  return useMemo(
    () => ({
      addContact: (input) => store.addContact(licenseId, input),
      setMain: (role, email) => store.setMain(licenseId, role, email),
      removeContact: (email, options) => store.removeContact(licenseId, email, options),
      pending,
    }),
    [store, licenseId, pending],
  );
}
