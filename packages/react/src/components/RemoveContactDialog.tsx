import type { Contact, License, Role } from '@license-contacts/core';
import * as Dialog from '@radix-ui/react-dialog';
import { type FormEvent, type ReactNode, type RefObject, useId, useMemo, useRef, useState } from 'react';
import { asKitError } from '../asKitError';
import { useAnnounce } from '../hooks/useAnnounce';
import { useContactActions } from '../hooks/useContactActions';
import { useLicense } from '../hooks/useLicense';
import { useMessages } from '../hooks/useMessages';
import { usePermissions } from '../hooks/usePermissions';
import { DialogActions } from './DialogActions';
import { DialogTrigger } from './DialogTrigger';
import { KitDialog, type KitDialogProps } from './KitDialog';

/** Props of `RemoveContactDialog`. */
export interface RemoveContactDialogProps extends KitDialogProps {
  licenseId: string;
  role: Role;
  /** The contact to remove from `role`. */
  contact: Contact;
  /**
   * Who may become main when `contact` is the main contact of `role`, in order. Default: the contacts
   * the core's `permissions.successors` allow (all the others while the permissions are not known).
   */
  successors?: readonly Contact[];
  /** The removal takes the signed-in person's access away; default: the core's `permissions.losesAccess`. */
  losesAccess?: boolean;
  /** Called with the server's license after the removal. */
  onRemoved?: (license: License) => void;
  /** Where focus goes after the removal (e.g. the list); default `returnFocusRef` when still there. */
  removedFocusRef?: RefObject<HTMLElement | null>;
}

/**
 * The confirmation that removes a contact from a role, asking for the new main contact when they are
 * main and warning when the signed-in person loses access, both as the core's permissions say.
 * Controlled or uncontrolled with its `Trigger` part; it stays mounted while closing, so its content
 * carries `data-state="closed"` through an exit animation.
 * @example
 * <RemoveContactDialog licenseId="SEN-4821337" role="technical" contact={carol}>
 *   <RemoveContactDialog.Trigger>Remove Carol</RemoveContactDialog.Trigger>
 * </RemoveContactDialog>
 */
export const RemoveContactDialog = /* @__PURE__ */ Object.assign(
  function RemoveContactDialog(props: RemoveContactDialogProps): ReactNode {
    // A ref, not state: the dialog may unmount in the same update that closes it.
    const removed = useRef(false);
    return (
      <KitDialog
        {...props}
        kind="remove-contact"
        role="alertdialog"
        attributes={{ 'data-role': props.role }}
        focusTarget={() => {
          const after = removed.current ? props.removedFocusRef?.current : undefined;
          removed.current = false;
          return after?.isConnected ? after : props.returnFocusRef?.current;
        }}
        body={(close) => (
          <RemoveContactForm
            // Opened for someone else: a fresh form.
            key={`${props.contact.email}:${props.role}`}
            {...props}
            close={close}
            onDone={() => {
              removed.current = true;
            }}
          />
        )}
      />
    );
  },
  { Trigger: DialogTrigger },
);

function RemoveContactForm(
  props: RemoveContactDialogProps & { close: () => void; onDone: () => void },
): ReactNode {
  const { licenseId, role, contact, close, onRemoved, onDone } = props;
  const messages = useMessages();
  const announce = useAnnounce();
  const actions = useContactActions(licenseId);
  const license = useLicense(licenseId).data;
  const permissionsResource = usePermissions(licenseId);
  // Decisions from before a change may no longer hold: until they are asked again, the server decides.
  const permissions = permissionsResource.stale ? undefined : permissionsResource.data;
  const id = useId();
  const list = license?.[role];
  const isMain = list?.[0] === contact.email;
  // R2: the next in line becomes main when no one is named; naming them would only add a check.
  const nextInLine = isMain ? list?.[1] : props.successors?.[0]?.email;
  const successors = useMemo(() => {
    if (props.successors) return props.successors;
    if (!license || !isMain) return [];
    const decisions = permissions?.successors[role];
    return license[role]
      .slice(1)
      .filter((email) => decisions?.[email]?.allowed !== false)
      .map((email) => license.contacts.find((c) => c.email === email))
      .filter((c): c is Contact => c !== undefined);
  }, [props.successors, license, isMain, permissions, role]);
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const live = {
    successors,
    losesAccess: props.losesAccess ?? permissions?.losesAccess[role][contact.email] ?? false,
  };
  // While the removal is on its way the list already shows it done: keep showing what was confirmed.
  const shown = useRef(live);
  if (!busy) shown.current = live;
  const view = shown.current;
  const successor = view.successors.some((c) => c.email === chosen) ? chosen : view.successors[0]?.email;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const named = successor !== undefined && successor !== nextInLine ? { successor } : {};
      const result = await actions.removeContact(contact.email, { role, ...named });
      announce(messages.announceRemoved(contact.name, role));
      onDone();
      onRemoved?.(result);
      close();
    } catch (caught) {
      const failure = asKitError(caught);
      setError(messages.error(failure));
      setBusy(false);
    }
  }

  return (
    <form className="lc-form" onSubmit={submit} aria-busy={busy || undefined}>
      <Dialog.Title className="lc-dialog__title">{messages.removeTitle(contact.name)}</Dialog.Title>
      <Dialog.Description className="lc-dialog__description">
        {messages.removeDescription(contact.name, role)}
        {view.losesAccess && (
          <>
            {' '}
            <strong className="lc-dialog__warning">{messages.loseAccess}</strong>
          </>
        )}
      </Dialog.Description>
      {view.successors.length > 0 && (
        <div className="lc-field">
          <label htmlFor={`${id}-successor`}>{messages.newMain}</label>
          <select id={`${id}-successor`} value={successor} onChange={(e) => setChosen(e.target.value)}>
            {view.successors.map((c) => (
              <option key={c.email} value={c.email}>
                {/* The email only tells apart people of the same name. */}
                {view.successors.some((o) => o !== c && o.name === c.name)
                  ? `${c.name} (${c.email})`
                  : c.name}
              </option>
            ))}
          </select>
        </div>
      )}
      {error && (
        <p role="alert" className="lc-form__error">
          {error}
        </p>
      )}
      <DialogActions submit={messages.removeSubmit} cancel={messages.cancel} tone="danger" busy={busy} />
    </form>
  );
}
