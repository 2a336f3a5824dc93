import type { Decision, PendingRequest } from '@license-contacts/core';
import { forwardRef, type HTMLAttributes, memo, useId, useMemo, useState } from 'react';
import { asKitError } from '../asKitError';
import { cx } from '../cx';
import { useAnnounce } from '../hooks/useAnnounce';
import { useMe } from '../hooks/useMe';
import { useMessages } from '../hooks/useMessages';
import { useRequestActions } from '../hooks/useRequestActions';
import { useRequests } from '../hooks/useRequests';
import { ActionButton } from './ActionButton';
import { formatDate } from './LicensePanel';

/** Props of `RequestList`. */
export interface RequestListProps extends HTMLAttributes<HTMLDivElement> {
  /**
   * Every pending request of this license the person may see; default the pending requests that concern
   * the signed-in person: they are the one invited or asked for, asked to decide, or asked themselves.
   * (Others' invitations they may withdraw show in the license's role lists, and here with `licenseId`.)
   */
  licenseId?: string;
  /**
   * Render nothing unless there are pending requests to show (not while loading, not `No pending requests`,
   * not a failed load), e.g. above a license list that says its own errors.
   */
  hideWhenEmpty?: boolean;
}

type Choice = 'accept' | 'decline' | 'cancel';

const NONE: readonly PendingRequest[] = Object.freeze([]);

/**
 * The signed-in person's pending requests (§7): invitations to become a contact and transfers of a main
 * position, each with `Accept` and `Decline` for the person who decides and `Cancel request` for the one
 * who asked, as the core's `actions` of each request say.
 * @example <RequestList />
 */
export const RequestList = /* @__PURE__ */ forwardRef<HTMLDivElement, RequestListProps>(function RequestList(
  { licenseId, hideWhenEmpty = false, className, ...rest },
  ref,
) {
  const messages = useMessages();
  const announce = useAnnounce();
  const requests = useRequests(licenseId);
  const me = useMe().data;
  const actions = useRequestActions();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function decide(request: PendingRequest, choice: Choice) {
    setError(null);
    setBusy(request.id);
    try {
      const decided = await actions[choice](request.id);
      announce(messages.announceRequestDecided(decided));
    } catch (caught) {
      const failure = asKitError(caught);
      setError(messages.error(failure));
      announce(messages.announceFailed(failure));
    } finally {
      setBusy(null);
    }
  }

  const all = requests.data ?? NONE;
  const self = me?.email;
  // Requests on their licenses that concern others (a colleague's invitation) stay out of the person's own list.
  const items = useMemo(
    () =>
      licenseId !== undefined
        ? all
        : all.filter(
            (r) =>
              r.email === self ||
              r.requestedBy === self ||
              (self !== undefined && r.decidedBy.includes(self)),
          ),
    [all, licenseId, self],
  );
  const state = requests.status === 'success' ? 'ready' : requests.status === 'error' ? 'error' : 'loading';
  if (hideWhenEmpty && items.length === 0 && !error) return null;
  return (
    <div ref={ref} {...rest} className={cx('lc-request-list', className)} data-state={state}>
      {state === 'loading' && <p className="lc-loading">{messages.loadingRequests}</p>}
      {state === 'error' && requests.error && (
        <p role="alert" className="lc-error">
          {messages.error(requests.error)}
        </p>
      )}
      {state === 'ready' && items.length === 0 && <p className="lc-empty">{messages.noRequests}</p>}
      {items.length > 0 && (
        <ul className="lc-request-list__items" aria-label={messages.requestsHeading}>
          {items.map((request) => (
            <RequestRow
              key={request.id}
              request={request}
              self={me?.email}
              busy={busy === request.id}
              onDecide={decide}
            />
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" className="lc-error">
          {error}
        </p>
      )}
    </div>
  );
});

interface RequestRowProps {
  request: PendingRequest;
  self: string | undefined;
  busy: boolean;
  onDecide: (request: PendingRequest, choice: Choice) => void;
}

/** One request: what it asks, when it expires, and the choices the core offers this person. */
const RequestRow = memo(function RequestRow({ request, self, busy, onDecide }: RequestRowProps) {
  const messages = useMessages();
  const id = useId();
  // Only the choices the core allows this person are offered: the invitee accepts, the asker withdraws.
  const offered = (decision: Decision | undefined) => decision?.allowed === true;
  const choice = (key: Choice, label: string) =>
    offered(request.actions?.[key]) && (
      <ActionButton
        className={`lc-request__${key}`}
        decision={request.actions?.[key]}
        aria-describedby={`${id}-text`}
        onClick={() => {
          if (!busy) onDecide(request, key);
        }}
      >
        {label}
      </ActionButton>
    );
  return (
    <li
      className="lc-request"
      aria-busy={busy || undefined}
      data-kind={request.kind}
      data-state={request.state}
      data-id={request.id}
    >
      <p id={`${id}-text`} className="lc-request__text">
        {messages.requestText(request, self)}
      </p>
      <p className="lc-request__expires">
        <time dateTime={request.expiresAt}>
          {messages.requestExpires(formatDate(request.expiresAt, messages))}
        </time>
      </p>
      <span className="lc-request__actions">
        {choice('accept', messages.accept)}
        {choice('decline', messages.decline)}
        {choice('cancel', request.kind === 'invitation' ? messages.cancelInvitation : messages.cancelRequest)}
      </span>
    </li>
  );
});
