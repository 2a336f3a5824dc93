import type {
  ContactsStore,
  ContactsStoreInitialData,
  LicenseContactsApi,
  RemoteChange,
} from '@license-contacts/core';
import { createContactsStore } from '@license-contacts/core';
import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { LicenseContactsContext } from './context';
import { historyFacts } from './historyFacts';
import { sentenceOf } from './historySentences';
import { type Messages, resolveMessages } from './messages';
import { visuallyHidden } from './visuallyHidden';

/** How long after a change it is announced, in milliseconds. */
const ANNOUNCE_DELAY_MS = 100;

/** Props of `LicenseContactsProvider`: an `api` (the provider makes a store) or a `store` you made. */
export type LicenseContactsProviderProps = {
  children?: ReactNode;
  /** Overrides of the locale's messages. */
  messages?: Partial<Messages>;
  /** Shipped locales: `en` (default), `de`. */
  locale?: string;
  /**
   * Keep every view up to date with changes made elsewhere (a colleague, another tab) and announce them,
   * when the api can `watch`; default true. `false` shows what was loaded until a view reloads it.
   */
  live?: boolean;
} & (
  | { api: LicenseContactsApi; store?: never; initialData?: ContactsStoreInitialData }
  | { store: ContactsStore; api?: never; initialData?: never }
);

/** What a burst of changes made elsewhere sounds like: each license's news, or a count when many arrive. */
function remoteAnnouncement(changes: readonly RemoteChange[], messages: Messages): string {
  const lost: string[] = [];
  const changed: string[] = [];
  for (const { license, entries, lostAccess } of changes) {
    if (!license) continue; // never shown here: nothing on screen changed
    if (lostAccess) {
      lost.push(messages.announceLostAccess(license));
      continue;
    }
    const entry = entries.at(-1);
    if (!entry) continue;
    const names = new Map<string, string>();
    for (const e of entries) for (const change of e.changes) names.set(change.email, change.name);
    for (const contact of license.contacts) names.set(contact.email, contact.name);
    const sentence = sentenceOf(
      historyFacts(entry, (email) => names.get(email) ?? email),
      messages,
    );
    changed.push(messages.announceRemoteChange(license, sentence));
  }
  const news = changed.length > 2 ? [messages.announceRemoteChanges(changed.length)] : changed;
  return [...lost, ...news].join('. ');
}

/**
 * Gives the hooks and components below it a store and messages, and renders the polite live region
 * that announces changes, those made elsewhere included (`live`).
 * @example
 * <LicenseContactsProvider api={createHttpClient({ baseUrl: '/api' })} locale="de">
 *   <LicenseList />
 * </LicenseContactsProvider>
 */
export function LicenseContactsProvider(props: LicenseContactsProviderProps): ReactNode {
  const { children, messages: overrides, locale, live = true } = props;
  const { api, store: givenStore, initialData } = props;
  // A new api (another person signed in) gets a new store; initial data only seeds the first one.
  const [seed] = useState(initialData);
  // `live` reaches the store through the hooks (they observe live or not), so turning it off or on
  // keeps the store and its cache.
  const ownStore = useMemo(
    () => (givenStore || !api ? null : createContactsStore(api, seed ? { initialData: seed } : {})),
    [api, givenStore, seed],
  );
  const store = givenStore ?? (ownStore as ContactsStore);
  const messages = useMemo(() => resolveMessages(locale, overrides), [locale, overrides]);
  const [announcement, setAnnouncement] = useState({ text: '', n: 0 });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // Said a moment later: a closing modal dialog keeps the rest of the page aria-hidden until it has
  // unmounted, and a live region changed while hidden is not read.
  const announce = useCallback((text: string) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setAnnouncement((a) => ({ text, n: a.n + 1 })), ANNOUNCE_DELAY_MS);
  }, []);
  useEffect(() => () => clearTimeout(timer.current), []);
  const value = useMemo(() => ({ store, messages, announce, live }), [store, messages, announce, live]);

  // Changes made elsewhere are said in the same polite region as the person's own.
  const messagesRef = useRef(messages);
  messagesRef.current = messages;
  useEffect(() => {
    if (!live) return;
    return store.onEvent((event) => {
      if (event.type !== 'remoteChanges') return;
      const text = remoteAnnouncement(event.changes, messagesRef.current);
      if (text !== '') announce(text);
    });
  }, [store, live, announce]);

  // An own store's requests end with the provider: a moment after unmounting, so StrictMode's
  // rehearsal unmount (followed at once by a mount with the same store) does not abort its loads.
  const pendingCancel = useRef<{ store: ContactsStore; timer: ReturnType<typeof setTimeout> } | null>(null);
  useEffect(() => {
    if (pendingCancel.current?.store === ownStore) {
      clearTimeout(pendingCancel.current.timer);
      pendingCancel.current = null;
    }
    return () => {
      if (ownStore)
        pendingCancel.current = { store: ownStore, timer: setTimeout(() => ownStore.cancel(), 0) };
    };
  }, [ownStore]);

  return (
    <LicenseContactsContext.Provider value={value}>
      {children}
      <div role="status" aria-live="polite" aria-atomic="true" data-lc-announcer="" style={visuallyHidden}>
        {/* A new key makes repeating the same sentence a change screen readers announce. */}
        <span key={announcement.n}>{announcement.text}</span>
      </div>
    </LicenseContactsContext.Provider>
  );
}
