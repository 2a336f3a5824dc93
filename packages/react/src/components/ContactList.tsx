import type { Contact, Decision, PendingRequest, Role } from '@license-contacts/core';
import { forwardRef, type HTMLAttributes, memo, useCallback, useId, useMemo, useRef, useState } from 'react';
import { asKitError } from '../asKitError';
import { cx } from '../cx';
import { useAnnounce } from '../hooks/useAnnounce';
import { useContactActions } from '../hooks/useContactActions';
import { useLicense } from '../hooks/useLicense';
import { useMe } from '../hooks/useMe';
import { useMessages } from '../hooks/useMessages';
import { usePermissions } from '../hooks/usePermissions';
import { useRequestActions } from '../hooks/useRequestActions';
import { useRequests } from '../hooks/useRequests';
import { ActionButton, actionMarkup } from './ActionButton';
import { AddContactDialog } from './AddContactDialog';
import { RemoveContactDialog } from './RemoveContactDialog';

/** Props of `ContactList`. */
export interface ContactListProps extends HTMLAttributes<HTMLDivElement> {
  licenseId: string;
  role: Role;
}

/**
 * One role's ordered contacts of a license: the first is main; promote (↑), remove (×) and add, each
 * enabled or explained as the core's permissions decide. Across companies the ↑ opens a transfer
 * request (R13) where the core allows one; invitees not yet answering follow, marked `Pending` with
 * `Cancel invitation`; a contact whose mail bounces is marked so.
 * @example <ContactList licenseId="SEN-4821337" role="technical" />
 */
export const ContactList = /* @__PURE__ */ forwardRef<HTMLDivElement, ContactListProps>(function ContactList(
  { licenseId, role, className, ...rest },
  ref,
) {
  const messages = useMessages();
  const announce = useAnnounce();
  const license = useLicense(licenseId);
  const permissionsResource = usePermissions(licenseId);
  // Decisions that predate a change may no longer hold: until they are refreshed, the server decides.
  const permissions = permissionsResource.stale ? undefined : permissionsResource.data;
  // When the permissions could not be loaded, every action says so instead of "checking" forever.
  const unknown = useMemo<Decision | undefined>(
    () =>
      permissionsResource.status === 'error' && permissionsResource.error
        ? {
            allowed: false,
            reason: permissionsResource.error.code,
            message: messages.error(permissionsResource.error),
          }
        : undefined,
    [permissionsResource.status, permissionsResource.error, messages],
  );
  const me = useMe().data;
  const actions = useContactActions(licenseId);
  const requestActions = useRequestActions();
  const requests = useRequests(licenseId).data;
  const invitees = useMemo(
    () => (requests ?? []).filter((r) => r.kind === 'invitation' && r.roles.includes(role)),
    [requests, role],
  );
  const transfers = useMemo(
    () =>
      new Set(
        (requests ?? []).flatMap((r) => (r.kind === 'transfer' && r.roles[0] === role ? [r.email] : [])),
      ),
    [requests, role],
  );
  const unreachable = useMemo(() => new Set(permissions?.unreachable), [permissions?.unreachable]);
  const listRef = useRef<HTMLUListElement>(null);
  const addRef = useRef<HTMLButtonElement>(null);
  const returnRef = useRef<HTMLElement | null>(null);
  const [adding, setAdding] = useState(false);
  // The last contact whose removal was asked for: its dialog stays mounted while it closes.
  const [removing, setRemoving] = useState<Contact | null>(null);
  const [removeOpen, setRemoveOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const data = license.data;
  const contacts = useMemo(() => new Map(data?.contacts.map((c) => [c.email, c])), [data?.contacts]);
  const pendingEmails = useMemo(
    () => new Set(actions.pending.flatMap((m) => ('email' in m ? [m.email] : []))),
    [actions.pending],
  );

  // Row handlers keep their identity across renders (so unchanged rows skip rendering) and read the latest values.
  const latest = useRef({ actions, requestActions, messages, announce });
  latest.current = { actions, requestActions, messages, announce };

  const promote = useCallback(
    async (contact: Contact, asks = false) => {
      const { actions, requestActions, messages, announce } = latest.current;
      setError(null);
      if (asks) {
        // Across companies the core takes no promotion, only a request the other side decides (R13).
        try {
          await requestActions.requestTransfer(licenseId, role, contact.email);
          announce(messages.announceTransferRequested(contact.name, role));
        } catch (caught) {
          const failure = asKitError(caught);
          setError(messages.error(failure));
          announce(messages.announceFailed(failure));
        }
        return;
      }
      const done = actions.setMain(role, contact.email);
      // The row moves first and loses its ↑ button: keep focus on the row itself.
      rowOf(listRef.current, contact.email)?.focus();
      try {
        await done;
        announce(messages.announceMain(contact.name, role));
      } catch (caught) {
        const failure = asKitError(caught);
        setError(messages.error(failure));
        announce(messages.announceFailed(failure));
      }
    },
    [licenseId, role],
  );

  const cancelInvitation = useCallback(async (request: PendingRequest) => {
    const { requestActions, messages, announce } = latest.current;
    setError(null);
    try {
      announce(messages.announceRequestDecided(await requestActions.cancel(request.id)));
    } catch (caught) {
      const failure = asKitError(caught);
      setError(messages.error(failure));
      announce(messages.announceFailed(failure));
    }
  }, []);

  const openRemove = useCallback((contact: Contact, trigger: HTMLElement) => {
    returnRef.current = trigger;
    setError(null);
    setRemoving(contact);
    setRemoveOpen(true);
  }, []);

  // The list shows once the core has said what the person may do, so no action flips from enabled to refused.
  const decided = permissionsResource.data !== undefined || permissionsResource.status === 'error';
  const view = decided ? data : undefined;
  const state = view ? 'ready' : license.status === 'error' ? 'error' : 'loading';
  return (
    <div ref={ref} {...rest} className={cx('lc-contact-list', className)} data-role={role} data-state={state}>
      {!view && license.status === 'error' && license.error && (
        <p role="alert" className="lc-error">
          {messages.error(license.error)}
        </p>
      )}
      {!view && license.status !== 'error' && <p className="lc-loading">{messages.loadingLicense}</p>}
      {view && (
        <ul
          ref={listRef}
          className="lc-contact-list__items"
          aria-label={messages.contactsHeading(role)}
          tabIndex={-1}
        >
          {view[role].map((email, index) => {
            const contact = contacts.get(email);
            if (!contact) return null;
            const setMain = permissions ? permissions.setMain[role][email] : unknown;
            // The core allows a transfer request exactly where it refuses the promotion for want of consent.
            const asks =
              setMain?.allowed === false && permissions?.requestTransfer[role][email]?.allowed === true;
            return (
              <ContactRow
                key={email}
                contact={contact}
                role={role}
                main={index === 0}
                self={me?.email === email}
                pending={pendingEmails.has(email)}
                promoteDecision={refusal(setMain)}
                promoteAsks={asks}
                unreachable={unreachable.has(email)}
                transferPending={transfers.has(email)}
                removeDecision={refusal(permissions ? permissions.removeContact[role][email] : unknown)}
                onPromote={promote}
                onRemove={openRemove}
              />
            );
          })}
          {invitees.map((request) => (
            <InviteeRow
              key={request.id}
              request={request}
              role={role}
              cancelDecision={permissions?.requests[request.id]?.cancel ?? request.actions?.cancel}
              onCancel={cancelInvitation}
            />
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" className="lc-error">
          {error}
        </p>
      )}
      {view && (
        <ActionButton
          ref={addRef}
          className="lc-contact-list__add"
          decision={permissions ? permissions.addContact : unknown}
          aria-haspopup="dialog"
          onClick={() => setAdding(true)}
        >
          {messages.add(role)}
        </ActionButton>
      )}
      <AddContactDialog
        licenseId={licenseId}
        open={adding}
        onOpenChange={setAdding}
        defaultRoles={[role]}
        returnFocusRef={addRef}
      />
      {removing && (
        <RemoveContactDialog
          licenseId={licenseId}
          role={role}
          contact={removing}
          open={removeOpen}
          onOpenChange={setRemoveOpen}
          returnFocusRef={returnRef}
          removedFocusRef={listRef}
        />
      )}
    </div>
  );
});

/** Props of `ContactRow`. */
export interface ContactRowProps extends Omit<HTMLAttributes<HTMLLIElement>, 'role'> {
  contact: Contact;
  role: Role;
  main: boolean;
  /** The row is the signed-in person. */
  self?: boolean;
  /** A change to this contact is waiting for the server. */
  pending?: boolean;
  promoteDecision: Decision | undefined;
  /**
   * The ↑ asks the other side first (a transfer request, R13), as the core's permissions say: it stays
   * enabled, with `promoteDecision`'s reason (why it takes consent) as its description.
   */
  promoteAsks?: boolean;
  /** Mail to this contact bounces (`permissions.unreachable`). */
  unreachable?: boolean;
  /** A transfer of the role's main position to this contact is pending. */
  transferPending?: boolean;
  removeDecision: Decision | undefined;
  /** `asks`: open a transfer request instead of promoting. */
  onPromote: (contact: Contact, asks?: boolean) => void;
  onRemove: (contact: Contact, trigger: HTMLButtonElement) => void;
}

/** One contact in a role's list: name, email, the `Main` badge, and the ↑ and × buttons. */
export const ContactRow = /* @__PURE__ */ memo(
  forwardRef<HTMLLIElement, ContactRowProps>(function ContactRow(
    {
      contact,
      role,
      main,
      self = false,
      pending = false,
      promoteDecision,
      promoteAsks = false,
      unreachable = false,
      transferPending = false,
      removeDecision,
      onPromote,
      onRemove,
      className,
      ...rest
    },
    ref,
  ) {
    const messages = useMessages();
    const id = useId();
    const refused = (decision: Decision | undefined) =>
      decision === undefined || decision.allowed ? null : messages.reason(decision);
    return (
      <li
        ref={ref}
        tabIndex={-1}
        {...rest}
        className={cx('lc-contact', className)}
        data-role={role}
        data-main={main ? 'true' : 'false'}
        data-state={pending ? 'pending' : 'idle'}
        data-email={contact.email}
      >
        <span className="lc-contact__name">
          {contact.name}
          {self && <span className="lc-contact__you"> {messages.you}</span>}
        </span>{' '}
        <span className="lc-contact__email">{contact.email}</span>
        {main && (
          <>
            {' '}
            <span className="lc-badge">{messages.main}</span>
          </>
        )}
        {transferPending && (
          <>
            {' '}
            <span className="lc-badge lc-badge--request">{messages.transferPending}</span>
          </>
        )}
        {unreachable && (
          <>
            {' '}
            <span className="lc-bounce" data-unreachable="">
              <span aria-hidden="true">⚠ </span>
              {messages.bounces}
            </span>
          </>
        )}
        {/* The buttons are drawn here rather than by an ActionButton each: a long list mounts faster. */}
        <span className="lc-contact__actions">
          {!main &&
            actionMarkup({
              className: 'lc-contact__promote',
              refusal: promoteAsks ? null : refused(promoteDecision),
              reasonId: `${id}p`,
              'aria-label': messages.makeMain(contact.name, role),
              ...(promoteAsks ? { 'aria-describedby': `${id}a` } : {}),
              onClick: () => onPromote(contact, promoteAsks),
              children: <span aria-hidden="true">↑</span>,
            })}
          {!main && promoteAsks && (
            <span id={`${id}a`} hidden>
              {refused(promoteDecision)}
            </span>
          )}
          {actionMarkup({
            className: 'lc-contact__remove',
            refusal: refused(removeDecision),
            reasonId: `${id}r`,
            'aria-label': messages.remove(contact.name, role),
            'aria-haspopup': 'dialog',
            onClick: (event) => onRemove(contact, event.currentTarget),
            children: <span aria-hidden="true">×</span>,
          })}
        </span>
      </li>
    );
  }),
);

/** Props of `InviteeRow`. */
interface InviteeRowProps {
  request: PendingRequest;
  role: Role;
  cancelDecision: Decision | undefined;
  onCancel: (request: PendingRequest) => void;
}

/** A pending invitee in a role's list: not a contact yet (no access, never main), marked `Pending`. */
const InviteeRow = memo(function InviteeRow({ request, role, cancelDecision, onCancel }: InviteeRowProps) {
  const messages = useMessages();
  const id = useId();
  return (
    <li
      className="lc-contact lc-contact--invited"
      data-role={role}
      data-state="invited"
      data-email={request.email}
    >
      <span id={`${id}n`} className="lc-contact__name">
        {request.name}
      </span>{' '}
      <span className="lc-contact__email">{request.email}</span>{' '}
      <span className="lc-badge lc-badge--pending">{messages.pending}</span>
      <span className="lc-contact__actions">
        <ActionButton
          className="lc-contact__cancel"
          decision={cancelDecision}
          aria-describedby={`${id}n`}
          onClick={() => onCancel(request)}
        >
          {messages.cancelInvitation}
        </ActionButton>
      </span>
    </li>
  );
});

/**
 * A refusal, or `undefined` for an action that is offered: allowed and not yet decided look the same,
 * so a row keeps its props (and skips rendering) while its decisions are being asked again.
 */
function refusal(decision: Decision | undefined): Decision | undefined {
  return decision?.allowed === false ? decision : undefined;
}

/** The row of `email` in a contact list. */
function rowOf(list: HTMLUListElement | null, email: string): HTMLElement | undefined {
  return Array.from(list?.children ?? []).find(
    (li): li is HTMLElement => (li as HTMLElement).dataset.email === email,
  );
}
