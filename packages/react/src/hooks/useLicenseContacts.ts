import { useContext } from 'react';
import { LicenseContactsContext, type LicenseContactsContextValue } from '../context';

/** The provider's store, messages and announcer; throws outside a `LicenseContactsProvider`. */
export function useLicenseContacts(): LicenseContactsContextValue {
  const value = useContext(LicenseContactsContext);
  if (!value) {
    throw new Error(
      'useLicenseContacts must be used inside <LicenseContactsProvider>: wrap your components in ' +
        '<LicenseContactsProvider api={…}> (or store={…}) from @license-contacts/react.',
    );
  }
  return value;
}
