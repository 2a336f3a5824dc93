import type { ContactsStore } from '@license-contacts/core';
import { createContext } from 'react';
import type { Messages } from './messages';

/** What the provider shares with the hooks and components below it. */
export interface LicenseContactsContextValue {
  store: ContactsStore;
  messages: Messages;
  /** Says `text` in the polite live region. */
  announce: (text: string) => void;
  /** Whether views keep up with changes made elsewhere (the provider's `live`). */
  live: boolean;
}

/** The provider's context; `null` outside a `LicenseContactsProvider`. */
export const LicenseContactsContext = /* @__PURE__ */ createContext<LicenseContactsContextValue | null>(null);
