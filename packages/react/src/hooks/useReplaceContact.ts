import type { Person, ReplaceContactOptions, ReplaceResult } from '@license-contacts/core';
import { useCallback } from 'react';
import { useLicenseContacts } from './useLicenseContacts';

/** Replaces a person who left by a successor on every license the signed-in person may change (`dryRun` previews). */
export function useReplaceContact(): (
  oldEmail: string,
  successor: Person,
  options?: Pick<ReplaceContactOptions, 'dryRun' | 'licenseIds'>,
) => Promise<ReplaceResult> {
  const { store } = useLicenseContacts();
  return useCallback(
    (oldEmail, successor, options) => store.replaceContact(oldEmail, successor, options),
    [store],
  );
}
