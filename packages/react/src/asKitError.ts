import { LicenseContactsError } from '@license-contacts/core';

/** A failure as the core's error: itself, or a `NETWORK` error for anything else that was thrown. */
export function asKitError(caught: unknown): LicenseContactsError {
  return caught instanceof LicenseContactsError
    ? caught
    : new LicenseContactsError('NETWORK', String(caught));
}
