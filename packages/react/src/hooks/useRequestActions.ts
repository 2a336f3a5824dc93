import type { AddContactInput, PendingRequest, Role } from '@license-contacts/core';
import { useMemo } from 'react';
import { useLicenseContacts } from './useLicenseContacts';

/** The result of `useRequestActions`. */
export interface RequestActionsApi {
  invite: (licenseId: string, input: AddContactInput) => Promise<PendingRequest>;
  requestTransfer: (licenseId: string, role: Role, email: string) => Promise<PendingRequest>;
  accept: (requestId: string) => Promise<PendingRequest>;
  decline: (requestId: string) => Promise<PendingRequest>;
  cancel: (requestId: string) => Promise<PendingRequest>;
}

/** Opens and decides requests (§7); whatever they change is asked again from the server. */
export function useRequestActions(): RequestActionsApi {
  const { store } = useLicenseContacts();
  return useMemo(
    () => ({
      invite: (licenseId, input) => store.invite(licenseId, input),
      requestTransfer: (licenseId, role, email) => store.requestTransfer(licenseId, role, email),
      accept: (requestId) => store.acceptRequest(requestId),
      decline: (requestId) => store.declineRequest(requestId),
      cancel: (requestId) => store.cancelRequest(requestId),
    }),
    [store],
  );
}
