import { LicenseContactsError } from '@license-contacts/core';
import { expect } from 'vitest';

/** The `LicenseContactsError` a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<LicenseContactsError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LicenseContactsError);
  return error as LicenseContactsError;
}
