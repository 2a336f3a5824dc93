import { type Contact, type License, LicenseContactsError, type Role } from '@license-contacts/core';
import * as Dialog from '@radix-ui/react-dialog';
import { type FormEvent, type ReactNode, type RefObject, useId, useRef, useState } from 'react';
import { cx } from '../cx';
import { useAnnounce } from '../hooks/useAnnounce';
import { useContactActions } from '../hooks/useContactActions';
import { useMessages } from '../hooks/useMessages';
import { DialogActions } from './DialogActions';

/** Props of `RemoveContactDialog`. */
export interface RemoveContactDialogProps {
  licenseId: string;
  role: Role;
  /** The contact to remove from `role`. */
  contact: Contact;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The other contacts of `role`, in order, when `contact` is its main contact: who may succeed them. */
  successors?: readonly Contact[];
  /** The signed-in person removes their own last role on this license (and so loses access). */
  losesAccess?: boolean;
  /** Called with the server's license after the removal. */
  onRemoved?: (license: License) => void;
  /** Where focus goes when the dialog is cancelled (usually the button that opened it). */
  returnFocusRef?: RefObject<HTMLElement | null>;
  /** Where focus goes after the removal (e.g. the list); default `returnFocusRef` when still there. */
  removedFocusRef?: RefObject<HTMLElement | null>;
  className?: string;
  container?: HTMLElement | null;
}

/** The confirmation that removes a contact from a role, asking for the new main contact when they are main. */
export function RemoveContactDialog(props: RemoveContactDialogProps): ReactNode {
  const {
    licenseId,
    role,
    contact,
    open,
    onOpenChange,
    successors = [],
    losesAccess = false,
    onRemoved,
  } = props;
  const messages = useMessages();
  const announce = useAnnounce();
  const actions = useContactActions(licenseId);
  const id = useId();
  const [successor, setSuccessor] = useState(successors[0]?.email ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A ref, not state: the dialog may unmount in the same update that closes it.
  const removed = useRef(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      // The next in line succeeds by default; naming them anyway would only add a check.
      const named = successors.length > 0 && successor !== successors[0]?.email ? { successor } : {};
      const license = await actions.removeContact(contact.email, { role, ...named });
      announce(messages.announceRemoved(contact.name, role));
      removed.current = true;
      onRemoved?.(license);
      onOpenChange(false);
    } catch (caught) {
      const failure =
        caught instanceof LicenseContactsError ? caught : new LicenseContactsError('NETWORK', String(caught));
      setError(messages.error(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal {...(props.container === undefined ? {} : { container: props.container })}>
        <Dialog.Overlay className="lc-dialog-overlay" />
        <Dialog.Content
          role="alertdialog"
          className={cx('lc-dialog', props.className)}
          data-dialog="remove-contact"
          data-role={role}
          onCloseAutoFocus={(event) => {
            const target = [removed.current ? props.removedFocusRef : undefined, props.returnFocusRef]
              .map((ref) => ref?.current)
              .find((element) => element?.isConnected);
            if (target) {
              event.preventDefault();
              target.focus();
            }
          }}
        >
          <form className="lc-form" onSubmit={submit} aria-busy={busy || undefined}>
            <Dialog.Title className="lc-dialog__title">{messages.removeTitle(contact.name)}</Dialog.Title>
            <Dialog.Description className="lc-dialog__description">
              {messages.removeDescription(contact.name, role)}
              {losesAccess && (
                <>
                  {' '}
                  <strong className="lc-dialog__warning">{messages.loseAccess}</strong>
                </>
              )}
            </Dialog.Description>
            {successors.length > 0 && (
              <div className="lc-field">
                <label htmlFor={`${id}-successor`}>{messages.newMain}</label>
                <select
                  id={`${id}-successor`}
                  value={successor}
                  onChange={(e) => setSuccessor(e.target.value)}
                >
                  {successors.map((c) => (
                    <option key={c.email} value={c.email}>
                      {/* The email only tells apart people of the same name. */}
                      {successors.some((o) => o !== c && o.name === c.name)
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
            <DialogActions
              submit={messages.removeSubmit}
              cancel={messages.cancel}
              tone="danger"
              busy={busy}
            />
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
