import {
  type Contact,
  type LicenseContactsError,
  type Person,
  parseEmail,
  type ReplaceResult,
  ROLES,
  type Role,
} from '@license-contacts/core';
import * as Dialog from '@radix-ui/react-dialog';
import { type FormEvent, type ReactNode, useEffect, useId, useMemo, useRef, useState } from 'react';
import { asKitError } from '../asKitError';
import { cx } from '../cx';
import { useAnnounce } from '../hooks/useAnnounce';
import { useMessages } from '../hooks/useMessages';
import { useReplaceContact } from '../hooks/useReplaceContact';
import { useStoreState } from '../hooks/useStoreState';
import { DialogTrigger } from './DialogTrigger';
import { KitDialog, type KitDialogProps } from './KitDialog';

/** Props of `ReplaceContactDialog`. */
export interface ReplaceContactDialogProps extends KitDialogProps {
  /** The person who left, filled in when the dialog opens. */
  email?: string;
  /** Called with the core's result once the replacement is done. */
  onReplaced?: (result: ReplaceResult) => void;
}

/**
 * The offboarding wizard: the person who left and their successor, a `Preview` of the licenses that
 * change (the roles and main positions taken over) and those skipped (with the core's reason), then
 * one atomic `Replace on N licenses`. Controlled or uncontrolled with its `Trigger` part.
 * @example
 * <ReplaceContactDialog email="bob@acme.test">
 *   <ReplaceContactDialog.Trigger>Bob left…</ReplaceContactDialog.Trigger>
 * </ReplaceContactDialog>
 */
export const ReplaceContactDialog = /* @__PURE__ */ Object.assign(
  function ReplaceContactDialog(props: ReplaceContactDialogProps): ReactNode {
    return (
      <KitDialog
        {...props}
        className={cx('lc-dialog--wide', props.className)}
        kind="replace-contact"
        body={(close) => <ReplaceForm {...props} close={close} />}
      />
    );
  },
  { Trigger: DialogTrigger },
);

type Field = 'oldEmail' | 'email' | 'name' | 'form';

/** Which of the wizard's fields a refused input names. */
function fieldOf(error: LicenseContactsError): Field {
  if (error.code !== 'VALIDATION') return 'form';
  switch (error.field) {
    case 'email':
      return 'oldEmail';
    case 'successor':
    case 'successor.email':
      return 'email';
    case 'successor.name':
      return 'name';
    default:
      return 'form';
  }
}

/** Every person on the licenses the store holds, once, by name: suggestions for `Person who left`. */
function useKnownPeople(): Contact[] {
  const licenses = useStoreState((state) => state.licenses);
  return useMemo(() => {
    const people = new Map<string, Contact>();
    for (const resource of Object.values(licenses)) {
      for (const contact of resource.data?.contacts ?? []) people.set(contact.email, contact);
    }
    return [...people.values()].sort((a, b) => a.name.localeCompare(b.name));
  }, [licenses]);
}

function ReplaceForm({
  email: initialEmail = '',
  close,
  onReplaced,
}: ReplaceContactDialogProps & { close: () => void }): ReactNode {
  const messages = useMessages();
  const announce = useAnnounce();
  const replace = useReplaceContact();
  const people = useKnownPeople();
  const cached = useStoreState((state) => state.licenses);
  // React 18's ids hold colons, which some DOMs choke on when resolving `list` as a selector.
  const id = useId().replace(/:/g, '');
  const [oldEmail, setOldEmail] = useState(initialEmail);
  const [successor, setSuccessor] = useState<Person>({ email: '', name: '' });
  const [preview, setPreview] = useState<ReplaceResult | null>(null);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [busy, setBusy] = useState(false);
  const refs = {
    oldEmail: useRef<HTMLInputElement>(null),
    email: useRef<HTMLInputElement>(null),
    name: useRef<HTMLInputElement>(null),
  };
  const summaryRef = useRef<HTMLParagraphElement>(null);
  // What the preview found is read out first: focus moves to its summary when it appears.
  useEffect(() => {
    if (preview) summaryRef.current?.focus();
  }, [preview]);

  /** A changed field makes the preview out of date. */
  const edit = (apply: () => void) => {
    apply();
    setPreview(null);
    setErrors({});
  };

  function fail(caught: unknown) {
    const failure = asKitError(caught);
    const field = fieldOf(failure);
    setErrors({ [field]: messages.error(failure) });
    if (field !== 'form') queueMicrotask(() => refs[field].current?.focus());
  }

  async function runPreview(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors({});
    try {
      const result = await replace(oldEmail, successor, { dryRun: true });
      setPreview(result);
    } catch (caught) {
      setPreview(null);
      fail(caught);
    } finally {
      setBusy(false);
    }
  }

  async function confirm() {
    if (busy || !preview) return;
    setBusy(true);
    setErrors({});
    try {
      // Exactly the licenses previewed: if one of them may no longer be changed, nothing changes.
      const result = await replace(oldEmail, successor, {
        licenseIds: preview.changed.map((change) => change.licenseId),
      });
      const left = result.changed[0]?.before.contacts.find((c) => c.email === parseEmail(oldEmail));
      announce(
        messages.announceReplaced(
          left?.name ?? oldEmail.trim(),
          successor.name.trim(),
          result.changed.length,
        ),
      );
      onReplaced?.(result);
      close();
    } catch (caught) {
      setPreview(null);
      fail(caught);
      setBusy(false);
    }
  }

  const describe = (field: Field) => (errors[field] ? `${id}-${field}-error` : undefined);
  const productOf = (licenseId: string) => cached[licenseId]?.data?.product;
  const input = (
    field: 'oldEmail' | 'email' | 'name',
    label: string,
    value: string,
    set: (v: string) => void,
    extra = {},
  ) => (
    <div className="lc-field" data-invalid={errors[field] ? '' : undefined}>
      <label htmlFor={`${id}-${field}`}>{label}</label>
      <input
        ref={refs[field]}
        id={`${id}-${field}`}
        type="text"
        spellCheck={false}
        value={value}
        onChange={(e) => edit(() => set(e.target.value))}
        aria-invalid={errors[field] ? 'true' : undefined}
        aria-describedby={describe(field)}
        {...extra}
      />
      {errors[field] && (
        <p id={`${id}-${field}-error`} className="lc-field__error">
          {errors[field]}
        </p>
      )}
    </div>
  );

  return (
    <form className="lc-form" noValidate onSubmit={runPreview} aria-busy={busy || undefined}>
      <Dialog.Title className="lc-dialog__title">{messages.replaceTitle}</Dialog.Title>
      <Dialog.Description className="lc-dialog__description">
        {messages.replaceDescription}
      </Dialog.Description>
      {input('oldEmail', messages.personWhoLeft, oldEmail, setOldEmail, {
        list: `${id}-people`,
        inputMode: 'email',
        autoComplete: 'off',
      })}
      <datalist id={`${id}-people`}>
        {people.map((person) => (
          <option key={person.email} value={person.email}>
            {person.name}
          </option>
        ))}
      </datalist>
      <fieldset className="lc-fieldset">
        <legend>{messages.successor}</legend>
        {input('email', messages.email, successor.email, (email) => setSuccessor((s) => ({ ...s, email })), {
          inputMode: 'email',
          autoComplete: 'email',
        })}
        {input('name', messages.name, successor.name, (name) => setSuccessor((s) => ({ ...s, name })), {
          autoComplete: 'name',
        })}
      </fieldset>
      {errors.form && (
        <p role="alert" className="lc-form__error">
          {errors.form}
        </p>
      )}
      {preview && (
        <div className="lc-replace__preview" data-state="previewed">
          <p ref={summaryRef} tabIndex={-1} className="lc-replace__summary">
            {preview.changed.length === 0
              ? messages.nothingToReplace(oldEmail.trim())
              : messages.previewSummary(preview.changed.length, preview.skipped.length)}
          </p>
          <PreviewTable
            kind="changed"
            caption={messages.changedCaption}
            columns={[messages.licenseColumn, messages.rolesColumn, messages.mainColumn]}
            rows={preview.changed.map(({ licenseId, before, after }) => {
              // The core took the address: it reads it the same way here.
              const left = parseEmail(oldEmail);
              const roles = before.contacts.find((c) => c.email === left)?.roles ?? [];
              const mains = ROLES.filter((role: Role) => before[role][0] === left && after[role][0] !== left);
              return [
                licenseId,
                messages.licenseRow(before),
                messages.roleList(roles),
                messages.mainPositions(mains),
              ];
            })}
          />
          <PreviewTable
            kind="skipped"
            caption={messages.skippedCaption}
            columns={[messages.licenseColumn, messages.reasonColumn]}
            rows={preview.skipped.map((skipped) => {
              const product = productOf(skipped.licenseId);
              const name =
                product === undefined
                  ? skipped.licenseId
                  : messages.licenseRow({ product, id: skipped.licenseId });
              return [skipped.licenseId, name, messages.skipReason(skipped)];
            })}
          />
        </div>
      )}
      <div className="lc-dialog__actions">
        {preview && preview.changed.length > 0 ? (
          <button
            type="button"
            className="lc-button lc-button--danger"
            data-state={busy ? 'pending' : 'idle'}
            onClick={() => void confirm()}
          >
            {messages.replaceSubmit(preview.changed.length)}
          </button>
        ) : null}
        <button
          type="submit"
          className={cx('lc-button', !preview && 'lc-button--primary')}
          data-state={busy && !preview ? 'pending' : 'idle'}
        >
          {messages.preview}
        </button>
        <Dialog.Close asChild>
          <button type="button" className="lc-button">
            {messages.cancel}
          </button>
        </Dialog.Close>
      </div>
    </form>
  );
}

/** One table of the preview, left out when it has no rows: each row's first cell heads it. */
function PreviewTable(props: {
  kind: string;
  caption: string;
  columns: string[];
  /** Per row: its key, then the text of each cell. */
  rows: string[][];
}): ReactNode {
  if (props.rows.length === 0) return null;
  return (
    <table className="lc-table" data-table={props.kind}>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          {props.columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map(([key, head, ...cells]) => (
          <tr key={key}>
            <th scope="row">{head}</th>
            {cells.map((cell, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the cells of a row are its columns, in order
              <td key={i}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
