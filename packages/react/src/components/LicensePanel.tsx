import { type License, ROLES, type Role } from '@license-contacts/core';
import { createContext, createElement, forwardRef, type HTMLAttributes, type ReactNode, useId } from 'react';
import { cx } from '../cx';
import { useLicense } from '../hooks/useLicense';
import { useMessages } from '../hooks/useMessages';
import type { Messages } from '../messages';
import { ContactList } from './ContactList';

/** Heading levels a panel may start at. */
export type HeadingLevel = 1 | 2 | 3 | 4 | 5;

/** The panel a part is shown in: parts inside it take their heading levels (and names) from it. */
export const PanelContext = /* @__PURE__ */ createContext<{ headingLevel: HeadingLevel } | null>(null);

/** Props of `LicensePanel`. */
export interface LicensePanelProps extends HTMLAttributes<HTMLElement> {
  licenseId: string;
  /** Level of the `{product}` heading; the role sections use the next level. Default 2. */
  headingLevel?: HeadingLevel;
  /**
   * Replaces what follows the heading (the details and both role sections), to arrange the exported
   * parts (`LicenseDetails`, `RoleSection`, `LicenseHistory`) your own way.
   */
  children?: ReactNode;
  /** Shown after the panel's body, e.g. `<LicenseHistory licenseId={id} />`. */
  footer?: ReactNode;
}

/**
 * A license's details (product, edition, seats, expiry, SEN) and its technical and billing contacts,
 * as a region labelled by the product heading.
 * @example <LicensePanel licenseId="SEN-4821337" />
 */
export const LicensePanel = /* @__PURE__ */ forwardRef<HTMLElement, LicensePanelProps>(function LicensePanel(
  { licenseId, headingLevel = 2, className, children, footer, ...rest },
  ref,
) {
  const messages = useMessages();
  const license = useLicense(licenseId);
  const headingId = useId();
  const data = license.data;
  const state = data ? 'ready' : license.status === 'error' ? 'error' : 'loading';
  if (!data) {
    return (
      <section
        ref={ref}
        {...rest}
        className={cx('lc-panel', className)}
        data-state={state}
        aria-busy={state === 'loading' || undefined}
      >
        {license.status === 'error' && license.error ? (
          <div role="alert" className="lc-error">
            {messages.error(license.error)}{' '}
            {license.error.code !== 'NOT_FOUND' && (
              <button type="button" className="lc-button" onClick={() => void license.refresh()}>
                {messages.retry}
              </button>
            )}
          </div>
        ) : (
          <p className="lc-loading">{messages.loadingLicense}</p>
        )}
      </section>
    );
  }
  return (
    <section
      ref={ref}
      {...rest}
      className={cx('lc-panel', className)}
      data-state={state}
      aria-labelledby={headingId}
    >
      {createElement(`h${headingLevel}`, { id: headingId, className: 'lc-panel__title' }, data.product)}
      {children ?? (
        <>
          <LicenseDetails license={data} />
          {ROLES.map((role) => (
            <RoleSection
              key={role}
              licenseId={licenseId}
              role={role}
              headingLevel={(headingLevel + 1) as HeadingLevel | 6}
            />
          ))}
        </>
      )}
      <PanelContext.Provider value={{ headingLevel }}>{footer}</PanelContext.Provider>
    </section>
  );
});

/** Props of `RoleSection`. */
export interface RoleSectionProps extends HTMLAttributes<HTMLElement> {
  licenseId: string;
  role: Role;
  /** Level of the `Technical contacts` / `Billing contacts` heading; default 3. */
  headingLevel?: HeadingLevel | 6;
}

/**
 * One role's part of a license panel: its heading (`Technical contacts`, `Billing contacts`) and its
 * `ContactList`. A part to arrange as you like inside `LicensePanel` or anywhere in a provider.
 * @example <RoleSection licenseId="SEN-4821337" role="billing" headingLevel={2} />
 */
export const RoleSection = /* @__PURE__ */ forwardRef<HTMLElement, RoleSectionProps>(function RoleSection(
  { licenseId, role, headingLevel = 3, className, ...rest },
  ref,
) {
  const messages = useMessages();
  return (
    // Not labelled: several expanded panels would otherwise repeat the same landmark names.
    <section ref={ref} {...rest} className={cx('lc-panel__section', className)} data-role={role}>
      {createElement(
        `h${headingLevel}`,
        { className: 'lc-panel__section-title' },
        messages.contactsHeading(role),
      )}
      <ContactList licenseId={licenseId} role={role} />
    </section>
  );
});

/** A day as the locale writes it, in UTC so the server and the browser render the same. */
export function formatDate(value: string, messages: Messages): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  // UTC, so the server and the browser render the same day.
  return new Intl.DateTimeFormat(messages.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/** Props of `LicenseDetails`. */
export interface LicenseDetailsProps extends HTMLAttributes<HTMLDListElement> {
  license: License;
}

/** A license's product, edition, seats, expiry and SEN as a description list. */
export const LicenseDetails = /* @__PURE__ */ forwardRef<HTMLDListElement, LicenseDetailsProps>(
  function LicenseDetails({ license, className, ...rest }, ref) {
    const messages = useMessages();
    const rows: [string, string, string][] = [['product', messages.product, license.product]];
    if (license.edition !== undefined) rows.push(['edition', messages.edition, license.edition]);
    if (license.seats !== undefined)
      rows.push(['seats', messages.seats, new Intl.NumberFormat(messages.locale).format(license.seats)]);
    if (license.expiresAt !== undefined)
      rows.push(['expires', messages.expires, formatDate(license.expiresAt, messages)]);
    rows.push(['sen', messages.sen, license.id]);
    return (
      <dl ref={ref} {...rest} className={cx('lc-details', className)}>
        {rows.map(([key, term, value]) => (
          <div key={key} className="lc-details__row" data-field={key}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    );
  },
);
