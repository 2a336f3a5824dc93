import type { AuditEntry } from '@license-contacts/core';
import { createElement, forwardRef, type HTMLAttributes, useContext, useId, useMemo, useRef } from 'react';
import { cx } from '../cx';
import { historyFacts } from '../historyFacts';
import { sentenceOf } from '../historySentences';
import { useLicense } from '../hooks/useLicense';
import { useLicenseHistory } from '../hooks/useLicenseHistory';
import { useMessages } from '../hooks/useMessages';
import type { Messages } from '../messages';
import { type HeadingLevel, PanelContext } from './LicensePanel';

/** Props of `LicenseHistory`. */
export interface LicenseHistoryProps extends HTMLAttributes<HTMLElement> {
  licenseId: string;
  /** Level of the `History` heading; default 2, or one below the heading of the `LicensePanel` it is in. */
  headingLevel?: HeadingLevel | 6;
  /** The time zone times are shown in; default `UTC`, so a server render and the browser agree. */
  timeZone?: string;
}

/** The sentence of one entry in the active messages (`nameOf` names people the entry names by email only). */
export function historySentence(
  entry: AuditEntry,
  messages: Messages,
  nameOf: (email: string) => string = (email) => email,
): string {
  return sentenceOf(historyFacts(entry, nameOf), messages);
}

function formatTime(at: string, messages: Messages, timeZone: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  return new Intl.DateTimeFormat(messages.locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  }).format(date);
}

/**
 * A license's audit history as the region `History`: one sentence per change, newest first, each with
 * its time in a `<time>` element, and `Show more` while older changes remain.
 * @example <LicenseHistory licenseId="SEN-4821337" />
 */
export const LicenseHistory = /* @__PURE__ */ forwardRef<HTMLElement, LicenseHistoryProps>(
  function LicenseHistory(
    { licenseId, headingLevel, timeZone = 'UTC', className, 'aria-labelledby': labelledBy, ...rest },
    ref,
  ) {
    const messages = useMessages();
    // In a panel the region is named `History {id}`: open panels do not repeat one landmark name, and the
    // name does not contain the product, which names the panel's own region.
    const panel = useContext(PanelContext);
    const level = headingLevel ?? (panel ? ((panel.headingLevel + 1) as HeadingLevel | 6) : 2);
    const history = useLicenseHistory(licenseId);
    const license = useLicense(licenseId).data;
    const headingId = useId();
    const listRef = useRef<HTMLOListElement>(null);
    const { entries } = history;

    // Names as the license and the entries know them, for people a sentence names by email only.
    const nameOf = useMemo(() => {
      const names = new Map<string, string>();
      for (const entry of [...entries].reverse())
        for (const change of entry.changes) names.set(change.email, change.name);
      for (const contact of license?.contacts ?? []) names.set(contact.email, contact.name);
      return (email: string) => names.get(email) ?? email;
    }, [entries, license?.contacts]);

    const showMore = async () => {
      if (history.fetchingMore) return;
      const count = entries.length;
      await history.loadMore();
      // The keyboard continues at the first entry that came in.
      const first = listRef.current?.children[count] as HTMLElement | undefined;
      first?.focus();
    };

    const loaded = history.status === 'success';
    const state = loaded
      ? entries.length === 0
        ? 'empty'
        : 'ready'
      : history.status === 'error'
        ? 'error'
        : 'loading';
    return (
      <section
        ref={ref}
        {...rest}
        className={cx('lc-history', className)}
        aria-labelledby={cx(headingId, labelledBy ?? (panel ? `${headingId}-id` : undefined))}
        aria-busy={state === 'loading' || undefined}
        data-state={state}
      >
        {createElement(
          `h${level}`,
          { id: headingId, className: 'lc-history__title' },
          messages.historyHeading,
        )}
        {panel && (
          <span id={`${headingId}-id`} hidden>
            {licenseId}
          </span>
        )}
        {state === 'loading' && <p className="lc-loading">{messages.loadingHistory}</p>}
        {state === 'empty' && <p className="lc-empty">{messages.noHistory}</p>}
        {entries.length > 0 && (
          <ol ref={listRef} className="lc-history__entries">
            {entries.map((entry) => (
              <li key={entry.id} tabIndex={-1} className="lc-history__entry" data-action={entry.action}>
                <span className="lc-history__sentence">{historySentence(entry, messages, nameOf)}</span>{' '}
                <time className="lc-history__time" dateTime={entry.at}>
                  {formatTime(entry.at, messages, timeZone)}
                </time>
              </li>
            ))}
          </ol>
        )}
        {history.error && !history.fetching && !history.fetchingMore && (
          <div role="alert" className="lc-error">
            {messages.error(history.error)}{' '}
            <button
              type="button"
              className="lc-button"
              onClick={() => void (loaded ? history.loadMore() : history.refresh())}
            >
              {messages.retry}
            </button>
          </div>
        )}
        {loaded && history.hasMore && (
          <button
            type="button"
            className="lc-button lc-history__more"
            aria-disabled={history.fetchingMore || undefined}
            data-state={history.fetchingMore ? 'pending' : 'idle'}
            onClick={() => void showMore()}
          >
            {messages.showMore}
          </button>
        )}
      </section>
    );
  },
);
