import type { Messages } from '../messages';
import { useLicenseContacts } from './useLicenseContacts';

/** The messages of the nearest provider (English by default). */
export function useMessages(): Messages {
  return useLicenseContacts().messages;
}
