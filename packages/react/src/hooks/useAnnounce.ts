import { useLicenseContacts } from './useLicenseContacts';

/** A function that says a sentence in the provider's polite live region. */
export function useAnnounce(): (text: string) => void {
  return useLicenseContacts().announce;
}
