import type { Decision, LicenseContactsError, Role } from '@license-contacts/core';

/** Every string the kit shows; interpolated ones are functions. Override any of them through the provider. */
export interface Messages {
  /** BCP 47 tag of these messages, used for dates and numbers. */
  locale: string;
  searchLicenses: string;
  noLicenses: string;
  noLicensesMatching: (query: string) => string;
  loadingLicenses: string;
  loadingLicense: string;
  loadMore: string;
  retry: string;
  licenseRow: (license: { product: string; id: string; edition?: string }) => string;
  product: string;
  edition: string;
  seats: string;
  expires: string;
  sen: string;
  /** Section heading of a role's list, e.g. `Technical contacts`. */
  contactsHeading: (role: Role) => string;
  main: string;
  you: string;
  makeMain: (name: string, role: Role) => string;
  remove: (name: string, role: Role) => string;
  add: (role: Role) => string;
  /** The reason an action is refused; by default the core's message. */
  reason: (decision: Extract<Decision, { allowed: false }>) => string;
  /** A failed request; by default the core's message. */
  error: (error: LicenseContactsError) => string;
  addDialogTitle: string;
  addDialogDescription: string;
  email: string;
  name: string;
  roles: string;
  roleContact: (role: Role) => string;
  addSubmit: string;
  cancel: string;
  removeTitle: (name: string) => string;
  removeDescription: (name: string, role: Role) => string;
  loseAccess: string;
  newMain: string;
  removeSubmit: string;
  announceMain: (name: string, role: Role) => string;
  announceAdded: (name: string, roles: readonly Role[]) => string;
  announceRemoved: (name: string, role: Role) => string;
  announceFailed: (error: LicenseContactsError) => string;
}

/** English messages (the default). */
export const en: Messages = {
  locale: 'en',
  searchLicenses: 'Search licenses',
  noLicenses: 'No licenses',
  noLicensesMatching: (query) => `No licenses match “${query}”`,
  loadingLicenses: 'Loading licenses…',
  loadingLicense: 'Loading license…',
  loadMore: 'Load more',
  retry: 'Try again',
  licenseRow: ({ product, id }) => `${product} ${id}`,
  product: 'Product',
  edition: 'Edition',
  seats: 'Seats',
  expires: 'Expires',
  sen: 'SEN',
  contactsHeading: (role) => (role === 'technical' ? 'Technical contacts' : 'Billing contacts'),
  main: 'Main',
  you: '(you)',
  makeMain: (name, role) => `Make ${name} main ${role} contact`,
  remove: (name, role) => `Remove ${name} from ${role} contacts`,
  add: (role) => `Add ${role} contact`,
  reason: (decision) => decision.message,
  error: (error) => error.message,
  addDialogTitle: 'Add contact',
  addDialogDescription: 'Contacts can see and manage this license.',
  email: 'Email',
  name: 'Name',
  roles: 'Roles',
  roleContact: (role) => (role === 'technical' ? 'Technical contact' : 'Billing contact'),
  addSubmit: 'Add contact',
  cancel: 'Cancel',
  removeTitle: (name) => `Remove ${name}?`,
  removeDescription: (name, role) => `${name} will no longer be a ${role} contact of this license.`,
  loseAccess: 'This is your last role on this license: you will lose access to it.',
  newMain: 'New main contact',
  removeSubmit: 'Remove',
  announceMain: (name, role) => `${name} is now the main ${role} contact`,
  announceAdded: (name, roles) => `${name} was added as a ${roles.join(' and ')} contact`,
  announceRemoved: (name, role) => `${name} was removed from ${role} contacts`,
  announceFailed: (error) => `The change failed: ${error.message}`,
};

const deRole = (role: Role) => (role === 'technical' ? 'technischen' : 'kaufmännischen');
const deAdjective = (role: Role) => (role === 'technical' ? 'technischer' : 'kaufmännischer');

/** Reasons the default policy and rules give, in German; other reasons fall back to the core's message. */
const deReasons: Record<string, string> = {
  NOT_MAIN: 'Nur der Hauptkontakt dieser Rolle kann den Hauptkontakt entfernen',
  DIFFERENT_DOMAIN:
    'Diese Person gehört nicht zu Ihrer Firmendomain und muss sich selbst zum Hauptkontakt machen',
  PUBLIC_DOMAIN:
    'Diese Person nutzt eine öffentliche Mail-Domain und muss sich selbst zum Hauptkontakt machen',
  LAST_CONTACT:
    'Der letzte Kontakt einer Rolle kann nicht entfernt werden; fügen Sie zuerst einen weiteren hinzu',
  NEEDS_CONSENT:
    'Diese Person gehört zu einer anderen Firma als der Hauptkontakt: dafür braucht es eine Übergabeanfrage, der die andere Seite zustimmt',
  NOT_ASSOCIATED: 'Nur Kontakte dieser Lizenz können sie ändern',
  ALREADY_MAIN: 'Diese Person ist bereits Hauptkontakt',
  DUPLICATE: 'Diese Person ist bereits Kontakt in dieser Rolle',
};

/** Error codes in German; other codes fall back to the core's message. */
const deErrors: Partial<Record<LicenseContactsError['code'], string>> = {
  NETWORK: 'Die Verbindung ist fehlgeschlagen',
  STORAGE: 'Der Speicher ist nicht erreichbar; es wurde nichts geändert',
  CONFLICT: 'Die Lizenz wurde inzwischen geändert; bitte versuchen Sie es erneut',
  NOT_FOUND: 'Nicht gefunden',
  DUPLICATE: 'Diese Person ist bereits Kontakt in dieser Rolle',
  LAST_CONTACT: 'Der letzte Kontakt einer Rolle kann nicht entfernt werden',
};

/** German messages. */
export const de: Messages = {
  locale: 'de',
  searchLicenses: 'Lizenzen durchsuchen',
  noLicenses: 'Keine Lizenzen',
  noLicensesMatching: (query) => `Keine Lizenzen passen zu „${query}“`,
  loadingLicenses: 'Lizenzen werden geladen …',
  loadingLicense: 'Lizenz wird geladen …',
  loadMore: 'Mehr laden',
  retry: 'Erneut versuchen',
  licenseRow: ({ product, id }) => `${product} ${id}`,
  product: 'Produkt',
  edition: 'Edition',
  seats: 'Plätze',
  expires: 'Läuft ab',
  sen: 'SEN',
  contactsHeading: (role) => (role === 'technical' ? 'Technische Kontakte' : 'Kaufmännische Kontakte'),
  main: 'Haupt',
  you: '(Sie)',
  makeMain: (name, role) => `${name} zum ${deRole(role)} Hauptkontakt machen`,
  remove: (name, role) => `${name} aus den ${deRole(role)} Kontakten entfernen`,
  add: (role) =>
    role === 'technical' ? 'Technischen Kontakt hinzufügen' : 'Kaufmännischen Kontakt hinzufügen',
  reason: (decision) => deReasons[decision.reason] ?? decision.message,
  error: (error) =>
    (error.code === 'VALIDATION' && error.field !== undefined ? deFields[error.field] : undefined) ??
    deErrors[error.code] ??
    error.message,
  addDialogTitle: 'Kontakt hinzufügen',
  addDialogDescription: 'Kontakte können diese Lizenz sehen und verwalten.',
  email: 'E-Mail',
  name: 'Name',
  roles: 'Rollen',
  roleContact: (role) => (role === 'technical' ? 'Technischer Kontakt' : 'Kaufmännischer Kontakt'),
  addSubmit: 'Kontakt hinzufügen',
  cancel: 'Abbrechen',
  removeTitle: (name) => `${name} entfernen?`,
  removeDescription: (name, role) =>
    `${name} ist danach kein ${deAdjective(role)} Kontakt dieser Lizenz mehr.`,
  loseAccess: 'Das ist Ihre letzte Rolle auf dieser Lizenz: Sie verlieren den Zugriff darauf.',
  newMain: 'Neuer Hauptkontakt',
  removeSubmit: 'Entfernen',
  announceMain: (name, role) => `${name} ist jetzt ${deAdjective(role)} Hauptkontakt`,
  announceAdded: (name, roles) =>
    `${name} wurde als ${roles.map(deAdjective).join(' und ')} Kontakt hinzugefügt`,
  announceRemoved: (name, role) => `${name} wurde aus den ${deRole(role)} Kontakten entfernt`,
  announceFailed: (error) => `Die Änderung ist fehlgeschlagen: ${de.error(error)}`,
};

const deFields: Record<string, string> = {
  email: 'Bitte geben Sie eine gültige E-Mail-Adresse ein',
  name: 'Bitte geben Sie einen Namen mit 1 bis 200 Zeichen ein',
  roles: 'Bitte wählen Sie mindestens eine Rolle',
};

/** The shipped locales. */
export const locales: Readonly<Record<string, Messages>> = Object.freeze({ en, de });

/** Messages for a locale (its language part, e.g. `de-AT` → `de`), English when not shipped, with overrides applied. */
export function resolveMessages(locale?: string, overrides?: Partial<Messages>): Messages {
  const base = (locale && (locales[locale] ?? locales[locale.split('-')[0] ?? ''])) || en;
  return overrides ? { ...base, ...overrides } : base;
}
