import type { Decision, License } from '@license-contacts/core';
import { forwardRef, type HTMLAttributes, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { cx } from '../cx';
import { useLicenseContacts } from '../hooks/useLicenseContacts';
import { useLicenses } from '../hooks/useLicenses';
import { useMessages } from '../hooks/useMessages';
import { useStoreState } from '../hooks/useStoreState';
import { ActionButton } from './ActionButton';
import { type HeadingLevel, LicensePanel } from './LicensePanel';
import { ReplaceContactDialog } from './ReplaceContactDialog';
import { RequestList } from './RequestList';

/** Props of `LicenseList`. */
export interface LicenseListProps extends HTMLAttributes<HTMLDivElement> {
  /** Milliseconds the search waits after the last keystroke; default 250. */
  debounceMs?: number;
  /** Licenses expanded at first (uncontrolled). */
  defaultExpanded?: readonly string[];
  /** The expanded licenses (controlled); use with `onExpandedChange`. */
  expanded?: readonly string[];
  /** Called with the expanded licenses after a row is toggled. */
  onExpandedChange?: (expanded: string[]) => void;
  /** Level of an expanded panel's heading; default 2. */
  panelHeadingLevel?: HeadingLevel;
  /** Shown at the foot of each expanded panel, e.g. `(license) => <LicenseHistory licenseId={license.id} />`. */
  panelFooter?: (license: License) => ReactNode;
  /** Offer `Replace a person on every license` (the offboarding wizard) when the core allows it. Default true. */
  showReplace?: boolean;
  /** Lead with the person's pending requests (`RequestList`, hidden when there are none). Default true. */
  showRequests?: boolean;
}

/**
 * The licenses the signed-in person is associated with, led by their pending requests: a search, one expandable row per license
 * (its `LicensePanel` opens in place), and more pages on demand.
 * @example <LicenseList />
 */
export const LicenseList = /* @__PURE__ */ forwardRef<HTMLDivElement, LicenseListProps>(function LicenseList(
  {
    debounceMs = 250,
    defaultExpanded = [],
    expanded: expandedProp,
    onExpandedChange,
    panelHeadingLevel = 2,
    showReplace = true,
    showRequests = true,
    panelFooter,
    className,
    ...rest
  },
  ref,
) {
  const messages = useMessages();
  const { store } = useLicenseContacts();
  const id = useId();
  const searchRef = useRef<HTMLInputElement>(null);
  const [input, setInput] = useState('');
  const [query, setQuery] = useState('');
  const [ownExpanded, setOwnExpanded] = useState<readonly string[]>(defaultExpanded);
  const expandedIds = expandedProp ?? ownExpanded;
  const expanded = new Set(expandedIds);
  const list = useLicenses(query, { keepPrevious: true });

  useEffect(() => {
    const trimmed = input.trim();
    if (trimmed === query) return;
    const timer = setTimeout(() => setQuery(trimmed), debounceMs);
    return () => clearTimeout(timer);
  }, [input, query, debounceMs]);

  // When a license disappears under the focus (its last role removed), keep the keyboard in the list.
  useEffect(
    () =>
      store.onEvent((event) => {
        if (event.type !== 'licenseDropped') return;
        setTimeout(() => {
          if (
            typeof document !== 'undefined' &&
            (document.activeElement === document.body || !document.activeElement)
          ) {
            searchRef.current?.focus();
          }
        }, 0);
      }),
    [store],
  );

  const toggle = (licenseId: string) => {
    const next = expanded.has(licenseId)
      ? expandedIds.filter((id) => id !== licenseId)
      : [...expandedIds, licenseId];
    if (expandedProp === undefined) setOwnExpanded(next);
    onExpandedChange?.(next);
  };

  const state =
    list.status === 'success'
      ? list.licenses.length === 0
        ? 'empty'
        : 'ready'
      : list.status === 'error'
        ? 'error'
        : 'loading';
  return (
    <div ref={ref} {...rest} className={cx('lc-license-list', className)} data-state={state}>
      {showRequests && <RequestList hideWhenEmpty />}
      <div className="lc-license-list__toolbar">
        <input
          ref={searchRef}
          type="search"
          className="lc-license-list__search"
          aria-label={messages.searchLicenses}
          placeholder={messages.searchLicenses}
          value={input}
          onChange={(e) => setInput(e.target.value)}
        />
        {showReplace && list.licenses.length > 0 && (
          <ReplaceAction licenseIds={list.licenses.map((l) => l.id)} />
        )}
      </div>
      {state === 'loading' && <p className="lc-loading">{messages.loadingLicenses}</p>}
      {state === 'empty' && (
        <p className="lc-empty">{query ? messages.noLicensesMatching(query) : messages.noLicenses}</p>
      )}
      {list.licenses.length > 0 && (
        <ul className="lc-license-list__items" aria-busy={list.fetching || undefined}>
          {list.licenses.map((license) => {
            const open = expanded.has(license.id);
            const panelId = `${id}-${license.id}`;
            return (
              <li key={license.id} className="lc-license-list__item" data-state={open ? 'open' : 'closed'}>
                <button
                  type="button"
                  className="lc-license-list__toggle"
                  aria-expanded={open}
                  aria-controls={open ? panelId : undefined}
                  data-state={open ? 'open' : 'closed'}
                  onClick={() => toggle(license.id)}
                >
                  <span className="lc-license-list__name">{messages.licenseRow(license)}</span>
                  {license.edition !== undefined && (
                    <span className="lc-license-list__edition"> · {license.edition}</span>
                  )}
                </button>
                {open && (
                  <LicensePanel
                    id={panelId}
                    licenseId={license.id}
                    headingLevel={panelHeadingLevel}
                    footer={panelFooter?.(license)}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
      {list.error && !list.fetching && !list.fetchingMore && (
        <div role="alert" className="lc-error">
          {messages.error(list.error)}{' '}
          <button
            type="button"
            className="lc-button"
            // A failed first page loads again; a failed later page is asked for again.
            onClick={() => void (state === 'error' ? list.refresh() : list.loadMore())}
          >
            {messages.retry}
          </button>
        </div>
      )}
      {list.hasMore && (
        <button
          type="button"
          className="lc-button lc-license-list__more"
          aria-disabled={list.fetchingMore || undefined}
          data-state={list.fetchingMore ? 'pending' : 'idle'}
          onClick={() => {
            if (!list.fetchingMore) void list.loadMore();
          }}
        >
          {messages.loadMore}
        </button>
      )}
    </div>
  );
});

/**
 * The button that opens the offboarding wizard, as the core decides it: allowed when the permissions of
 * any listed license allow `replaceContact` (the first license's are asked for when none are known yet),
 * refused with the reason when every known one refuses it.
 */
function ReplaceAction({ licenseIds }: { licenseIds: readonly string[] }): ReactNode {
  const messages = useMessages();
  const { store, live } = useLicenseContacts();
  const permissions = useStoreState((state) => state.permissions);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const known = licenseIds
    .map((id) => permissions[id]?.data?.replaceContact)
    .filter((d): d is Decision => d !== undefined);
  const first = licenseIds[0];
  const asked = known.length > 0 || first === undefined;
  useEffect(() => {
    if (asked || first === undefined) return;
    const release = store.observe({ type: 'permissions', licenseId: first }, { live });
    void store.ensurePermissions(first);
    return release;
  }, [asked, first, store, live]);
  const decision: Decision | undefined =
    known.find((d) => d.allowed) ?? (known.length > 0 ? known[0] : undefined);
  return (
    <>
      <ActionButton
        ref={buttonRef}
        className="lc-button lc-license-list__replace"
        decision={decision}
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
      >
        {messages.replaceTitle}
      </ActionButton>
      <ReplaceContactDialog open={open} onOpenChange={setOpen} returnFocusRef={buttonRef} />
    </>
  );
}
