import {
  addContactDecision,
  type License,
  type PendingRequest,
  parseEmail,
  ROLES,
  type Role,
} from '@license-contacts/core';
import * as Dialog from '@radix-ui/react-dialog';
import { type FormEvent, type ReactNode, useId, useRef, useState } from 'react';
import { asKitError } from '../asKitError';
import { useAnnounce } from '../hooks/useAnnounce';
import { useContactActions } from '../hooks/useContactActions';
import { useLicense } from '../hooks/useLicense';
import { useMessages } from '../hooks/useMessages';
import { usePermissions } from '../hooks/usePermissions';
import { useRequestActions } from '../hooks/useRequestActions';
import { DialogActions } from './DialogActions';
import { DialogTrigger } from './DialogTrigger';
import { KitDialog, type KitDialogProps } from './KitDialog';

/** Props of `AddContactDialog`. */
export interface AddContactDialogProps extends KitDialogProps {
  licenseId: string;
  /** Roles checked when the dialog opens. */
  defaultRoles?: readonly Role[];
  /** Called with the server's license after the contact was added. */
  onAdded?: (license: License) => void;
  /** Called with the invitation when the person was invited instead (the core's `directAdd` says who). */
  onInvited?: (request: PendingRequest) => void;
}

type FieldErrors = Partial<Record<'email' | 'name' | 'roles' | 'form', string>>;

/**
 * The dialog that adds a person as a technical and/or billing contact (or adds a role to an existing
 * one). A person the core takes only by invitation (`permissions.directAdd`, e.g. another company under
 * `invitations: 'otherDomains'`) is invited instead, and the dialog says so under `Email` first. Controlled (`open`, `onOpenChange`) or uncontrolled with its `Trigger` part.
 * @example
 * <AddContactDialog licenseId="SEN-4821337" defaultRoles={['billing']}>
 *   <AddContactDialog.Trigger>Add a billing contact</AddContactDialog.Trigger>
 * </AddContactDialog>
 */
export const AddContactDialog = /* @__PURE__ */ Object.assign(
  function AddContactDialog(props: AddContactDialogProps): ReactNode {
    return (
      <KitDialog
        {...props}
        kind="add-contact"
        body={(close) => <AddContactForm {...props} close={close} />}
      />
    );
  },
  { Trigger: DialogTrigger },
);

function AddContactForm({
  licenseId,
  defaultRoles = [],
  close,
  onAdded,
  onInvited,
}: AddContactDialogProps & { close: () => void }): ReactNode {
  const messages = useMessages();
  const announce = useAnnounce();
  const actions = useContactActions(licenseId);
  const requestActions = useRequestActions();
  const permissions = usePermissions(licenseId).data;
  const license = useLicense(licenseId).data;
  const id = useId();
  const [typed, setTyped] = useState('');
  /** Whether the core takes this address only by invitation (and the actor may invite). */
  const invites = (raw: string): boolean => {
    if (!permissions || !license) return false;
    let email: string;
    try {
      email = parseEmail(raw);
    } catch {
      return false; // the server says what is wrong with it
    }
    const decision = addContactDecision(permissions, license, email);
    return !decision.allowed && decision.reason === 'INVITATION_REQUIRED' && permissions.invite.allowed;
  };
  const inviting = invites(typed);
  const emailRef = useRef<HTMLInputElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const technicalRef = useRef<HTMLInputElement>(null);
  const [roles, setRoles] = useState<Role[]>(() => ROLES.filter((r) => defaultRoles.includes(r)));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const email = emailRef.current?.value ?? '';
    const name = nameRef.current?.value ?? '';
    setBusy(true);
    setErrors({});
    try {
      if (invites(email)) {
        const request = await requestActions.invite(licenseId, { email, name, roles });
        announce(messages.announceInvited(request.name));
        onInvited?.(request);
        close();
        return;
      }
      const license = await actions.addContact({ email, name, roles });
      // The server took the address, so the core reads it the same way here.
      const added = license.contacts.find((c) => c.email === parseEmail(email));
      announce(messages.announceAdded(added?.name ?? name.trim(), roles));
      onAdded?.(license);
      close();
    } catch (error) {
      const failure = asKitError(error);
      const text = messages.error(failure);
      const field =
        failure.code === 'DUPLICATE'
          ? 'email'
          : failure.code === 'VALIDATION'
            ? (failure.field ?? 'form')
            : 'form';
      const key = field === 'email' || field === 'name' || field === 'roles' ? field : 'form';
      setErrors({ [key]: text });
      setBusy(false);
      // Focus the refused field, so its error is read with it.
      const target =
        key === 'email' ? emailRef : key === 'name' ? nameRef : key === 'roles' ? technicalRef : null;
      queueMicrotask(() => target?.current?.focus());
    }
  }

  const describe = (key: keyof FieldErrors) => (errors[key] ? `${id}-${key}-error` : undefined);
  const emailDescription = describe('email') ?? (inviting ? `${id}-email-note` : undefined);

  return (
    <form className="lc-form" noValidate onSubmit={submit} aria-busy={busy || undefined}>
      <Dialog.Title className="lc-dialog__title">{messages.addDialogTitle}</Dialog.Title>
      <Dialog.Description className="lc-dialog__description">
        {messages.addDialogDescription}
      </Dialog.Description>
      <div className="lc-field" data-invalid={errors.email ? '' : undefined}>
        <label htmlFor={`${id}-email`}>{messages.email}</label>
        <input
          ref={emailRef}
          id={`${id}-email`}
          name="email"
          type="text"
          inputMode="email"
          autoComplete="email"
          spellCheck={false}
          aria-invalid={errors.email ? 'true' : undefined}
          aria-describedby={emailDescription}
          onChange={(e) => setTyped(e.target.value)}
        />
        {inviting && !errors.email && (
          <p id={`${id}-email-note`} className="lc-field__note">
            {messages.inviteNote(parseEmail(typed))}
          </p>
        )}
        {errors.email && (
          <p id={`${id}-email-error`} className="lc-field__error">
            {errors.email}
          </p>
        )}
      </div>
      <div className="lc-field" data-invalid={errors.name ? '' : undefined}>
        <label htmlFor={`${id}-name`}>{messages.name}</label>
        <input
          ref={nameRef}
          id={`${id}-name`}
          name="name"
          type="text"
          autoComplete="name"
          aria-invalid={errors.name ? 'true' : undefined}
          aria-describedby={describe('name')}
        />
        {errors.name && (
          <p id={`${id}-name-error`} className="lc-field__error">
            {errors.name}
          </p>
        )}
      </div>
      <fieldset className="lc-fieldset" data-invalid={errors.roles ? '' : undefined}>
        <legend>{messages.roles}</legend>
        {ROLES.map((role) => (
          <label key={role} className="lc-checkbox" data-role={role}>
            <input
              ref={role === 'technical' ? technicalRef : undefined}
              type="checkbox"
              name="roles"
              value={role}
              checked={roles.includes(role)}
              onChange={(e) =>
                setRoles((current) =>
                  e.target.checked
                    ? ROLES.filter((r) => r === role || current.includes(r))
                    : current.filter((r) => r !== role),
                )
              }
              aria-invalid={errors.roles ? 'true' : undefined}
              aria-describedby={describe('roles')}
            />{' '}
            {messages.roleContact(role)}
          </label>
        ))}
        {errors.roles && (
          <p id={`${id}-roles-error`} className="lc-field__error">
            {errors.roles}
          </p>
        )}
      </fieldset>
      {errors.form && (
        <p role="alert" className="lc-form__error">
          {errors.form}
        </p>
      )}
      <DialogActions submit={messages.addSubmit} cancel={messages.cancel} tone="primary" busy={busy} />
    </form>
  );
}
