import type { Decision, LicenseContactsError, Role } from '@license-contacts/core';
import type { HistoryFacts, HistoryPerson } from './historyFacts';

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
  /** Title of `ReplaceContactDialog`, and the name of the button that opens it from `LicenseList`. */
  replaceTitle: string;
  replaceDescription: string;
  personWhoLeft: string;
  successor: string;
  preview: string;
  /** The confirm button of a preview that changes `count` licenses. */
  replaceSubmit: (count: number) => string;
  /** What the preview found, read out when it appears. */
  previewSummary: (changed: number, skipped: number) => string;
  /** The preview found no license to change. */
  nothingToReplace: (email: string) => string;
  changedCaption: string;
  skippedCaption: string;
  licenseColumn: string;
  rolesColumn: string;
  mainColumn: string;
  reasonColumn: string;
  /** Roles as a table cell reads them, e.g. `Technical, billing`. */
  roleList: (roles: readonly Role[]) => string;
  /** Main positions taken over, e.g. `Main technical contact`; `None` when there are none. */
  mainPositions: (roles: readonly Role[]) => string;
  /** Why `replaceContact` left a license alone; by default the core's message. */
  skipReason: (skipped: { reason: string; message: string }) => string;
  /** Said once a replacement is done. */
  announceReplaced: (oldName: string, newName: string, count: number) => string;
  historyHeading: string;
  loadingHistory: string;
  noHistory: string;
  showMore: string;
  /** Who acted, as a history sentence names them (`null`: a system-level change). */
  historyActor: (actor: HistoryPerson | null, staff: boolean) => string;
  /**
   * One sentence per audit action, e.g. `Alice Johnson made Carol Nguyen the main technical contact`.
   * Override some: the provider merges yours into the locale's.
   */
  historySentences: Readonly<Record<string, HistorySentence>>;
  /** The sentence of an action without its own, told from who joined, left, gained or lost what. */
  historyChanges: HistorySentence;
}

/** Builds one history sentence from an entry's facts, with the active messages. */
export type HistorySentence = (facts: HistoryFacts, messages: Messages) => string;

/** `a`, `a and b`, `a, b and c`. */
function joinWith(items: readonly string[], and: string): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} ${and} ${items.at(-1)}`;
}

const enRoles = (roles: readonly Role[]) => joinWith(roles, 'and');

const enSentences: Record<string, HistorySentence> = {
  createLicense: (f) => {
    const tech = f.becameMain.find((m) => m.role === 'technical')?.person;
    const bill = f.becameMain.find((m) => m.role === 'billing')?.person;
    if (!tech || !bill) return 'License created';
    return tech.email === bill.email
      ? `License created with ${tech.name} as main technical and billing contact`
      : `License created with ${tech.name} as main technical contact and ${bill.name} as main billing contact`;
  },
  addContact: (f, m) => {
    const fact = f.added[0] ?? f.gained[0];
    if (!fact) return m.historyChanges(f, m);
    const who = m.historyActor(f.actor, f.staff);
    return f.self
      ? `${who} became a ${enRoles(fact.roles)} contact`
      : `${who} added ${fact.person.name} as a ${enRoles(fact.roles)} contact`;
  },
  setMain: (f, m) => {
    const main = f.becameMain[0];
    if (!main) return m.historyChanges(f, m);
    const who = m.historyActor(f.actor, f.staff);
    return f.self
      ? `${who} became the main ${main.role} contact`
      : `${who} made ${main.person.name} the main ${main.role} contact`;
  },
  removeContact: (f, m) => {
    const fact = f.removed[0] ?? f.lost[0];
    if (!fact) return m.historyChanges(f, m);
    const who = m.historyActor(f.actor, f.staff);
    const base = f.self
      ? `${who} left the ${enRoles(fact.roles)} contacts`
      : `${who} removed ${fact.person.name} from the ${enRoles(fact.roles)} contacts`;
    const mains = f.becameMain.map((x) => `${x.person.name} became the main ${x.role} contact`);
    return [base, ...mains].join('; ');
  },
  replaceContact: (f, m) => {
    const old = f.removed[0]?.person ?? f.subject;
    const next = f.added[0]?.person ?? f.gained[0]?.person ?? f.successor;
    if (!old || !next) return m.historyChanges(f, m);
    const mains = f.becameMain.filter((x) => x.person.email === next.email).map((x) => x.role);
    return (
      `${m.historyActor(f.actor, f.staff)} replaced ${old.name} with ${next.name}` +
      (mains.length > 0 ? ` as main ${enRoles(mains)} contact` : '')
    );
  },
};

const enChanges: HistorySentence = (f, m) => {
  const clauses = [
    ...f.added.map((x) => `${x.person.name} joined as a ${enRoles(x.roles)} contact`),
    ...f.gained.map((x) => `${x.person.name} became a ${enRoles(x.roles)} contact`),
    ...f.lost.map((x) => `${x.person.name} is no longer a ${enRoles(x.roles)} contact`),
    ...f.removed.map((x) => `${x.person.name} left the ${enRoles(x.roles)} contacts`),
    ...f.becameMain.map((x) => `${x.person.name} became the main ${x.role} contact`),
  ];
  const who = m.historyActor(f.actor, f.staff);
  return clauses.length > 0 ? `${who}: ${clauses.join('; ')}` : `${who}: ${f.action}`;
};

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
  replaceTitle: 'Replace a person on every license',
  replaceDescription:
    'The successor takes over every role and main position of the person who left, on every license you may change, in one step.',
  personWhoLeft: 'Person who left',
  successor: 'Successor',
  preview: 'Preview',
  replaceSubmit: (count) => `Replace on ${count} ${count === 1 ? 'license' : 'licenses'}`,
  previewSummary: (changed, skipped) =>
    `${changed} ${changed === 1 ? 'license changes' : 'licenses change'}` +
    (skipped > 0 ? `, ${skipped} ${skipped === 1 ? 'is' : 'are'} skipped` : ''),
  nothingToReplace: (email) => `${email} is on no license you may change.`,
  changedCaption: 'Licenses changed',
  skippedCaption: 'Licenses skipped',
  licenseColumn: 'License',
  rolesColumn: 'Roles taken over',
  mainColumn: 'Main positions taken over',
  reasonColumn: 'Reason',
  roleList: (roles) =>
    roles.map((role, i) => (i === 0 ? (role === 'technical' ? 'Technical' : 'Billing') : role)).join(', '),
  mainPositions: (roles) =>
    roles.length === 0
      ? 'None'
      : `Main ${roles.join(' and ')} ${roles.length === 1 ? 'contact' : 'contacts'}`,
  skipReason: (skipped) => skipped.message,
  historyHeading: 'History',
  loadingHistory: 'Loading history…',
  noHistory: 'No changes recorded yet',
  showMore: 'Show more',
  historyActor: (actor, staff) =>
    actor === null ? 'The system' : staff ? `${actor.name} (staff)` : actor.name,
  historySentences: enSentences,
  historyChanges: enChanges,
  announceReplaced: (oldName, newName, count) =>
    `${newName} replaced ${oldName} on ${count} ${count === 1 ? 'license' : 'licenses'}`,
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
  NOT_ASSOCIATED: 'Nur Kontakte dieser Lizenz können sie ändern',
  ALREADY_MAIN: 'Diese Person ist bereits Hauptkontakt',
  DUPLICATE: 'Diese Person ist bereits Kontakt in dieser Rolle',
};

/** Why a replacement skips a license, in German; other reasons fall back to the core's message. */
const deSkipReasons: Record<string, string> = {
  DIFFERENT_DOMAIN:
    'Die Nachfolge gehört nicht zu Ihrer Firmendomain und kann keinen Hauptkontakt übernehmen',
  PUBLIC_DOMAIN: 'Die Nachfolge nutzt eine öffentliche Mail-Domain und kann keinen Hauptkontakt übernehmen',
  NOT_ASSOCIATED: 'Nur Kontakte dieser Lizenz können sie ändern',
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

const deAdjectives = (roles: readonly Role[]) => joinWith(roles.map(deAdjective), 'und');
/** `technischen und kaufmännischen` (after `den`, `zum`). */
const deRoles = (roles: readonly Role[]) => joinWith(roles.map(deRole), 'und');

const deSentences: Record<string, HistorySentence> = {
  createLicense: (f) => {
    const tech = f.becameMain.find((m) => m.role === 'technical')?.person;
    const bill = f.becameMain.find((m) => m.role === 'billing')?.person;
    if (!tech || !bill) return 'Lizenz angelegt';
    return tech.email === bill.email
      ? `Lizenz angelegt mit ${tech.name} als technischem und kaufmännischem Hauptkontakt`
      : `Lizenz angelegt mit ${tech.name} als technischem und ${bill.name} als kaufmännischem Hauptkontakt`;
  },
  addContact: (f, m) => {
    const fact = f.added[0] ?? f.gained[0];
    if (!fact) return m.historyChanges(f, m);
    const who = m.historyActor(f.actor, f.staff);
    return f.self
      ? `${who} ist jetzt ${deAdjectives(fact.roles)} Kontakt`
      : `${who} hat ${fact.person.name} als ${deRoles(fact.roles)} Kontakt hinzugefügt`;
  },
  setMain: (f, m) => {
    const main = f.becameMain[0];
    if (!main) return m.historyChanges(f, m);
    const who = m.historyActor(f.actor, f.staff);
    return f.self
      ? `${who} ist jetzt ${deAdjective(main.role)} Hauptkontakt`
      : `${who} hat ${main.person.name} zum ${deRole(main.role)} Hauptkontakt gemacht`;
  },
  removeContact: (f, m) => {
    const fact = f.removed[0] ?? f.lost[0];
    if (!fact) return m.historyChanges(f, m);
    const who = m.historyActor(f.actor, f.staff);
    const base = f.self
      ? `${who} hat die ${deRoles(fact.roles)} Kontakte verlassen`
      : `${who} hat ${fact.person.name} aus den ${deRoles(fact.roles)} Kontakten entfernt`;
    const mains = f.becameMain.map((x) => `${x.person.name} ist jetzt ${deAdjective(x.role)} Hauptkontakt`);
    return [base, ...mains].join('; ');
  },
  replaceContact: (f, m) => {
    const old = f.removed[0]?.person ?? f.subject;
    const next = f.added[0]?.person ?? f.gained[0]?.person ?? f.successor;
    if (!old || !next) return m.historyChanges(f, m);
    const mains = f.becameMain.filter((x) => x.person.email === next.email).map((x) => x.role);
    return (
      `${m.historyActor(f.actor, f.staff)} hat ${old.name} durch ${next.name} ersetzt` +
      (mains.length > 0 ? `, als ${joinWith(mains.map(deAdjective), 'und')} Hauptkontakt` : '')
    );
  },
};

const deChanges: HistorySentence = (f, m) => {
  const clauses = [
    ...f.added.map((x) => `${x.person.name} ist als ${deAdjectives(x.roles)} Kontakt hinzugekommen`),
    ...f.gained.map((x) => `${x.person.name} ist jetzt ${deAdjectives(x.roles)} Kontakt`),
    ...f.lost.map((x) => `${x.person.name} ist kein ${deAdjectives(x.roles)} Kontakt mehr`),
    ...f.removed.map((x) => `${x.person.name} hat die ${deRoles(x.roles)} Kontakte verlassen`),
    ...f.becameMain.map((x) => `${x.person.name} ist jetzt ${deAdjective(x.role)} Hauptkontakt`),
  ];
  const who = m.historyActor(f.actor, f.staff);
  return clauses.length > 0 ? `${who}: ${clauses.join('; ')}` : `${who}: ${f.action}`;
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
  replaceTitle: 'Eine Person auf allen Lizenzen ersetzen',
  replaceDescription:
    'Die Nachfolge übernimmt jede Rolle und jede Hauptkontakt-Position der ausgeschiedenen Person, auf allen Lizenzen, die Sie ändern dürfen, in einem Schritt.',
  personWhoLeft: 'Ausgeschiedene Person',
  successor: 'Nachfolge',
  preview: 'Vorschau',
  replaceSubmit: (count) => `Auf ${count} ${count === 1 ? 'Lizenz' : 'Lizenzen'} ersetzen`,
  previewSummary: (changed, skipped) =>
    `${changed} ${changed === 1 ? 'Lizenz ändert' : 'Lizenzen ändern'} sich` +
    (skipped > 0 ? `, ${skipped} ${skipped === 1 ? 'wird' : 'werden'} übersprungen` : ''),
  nothingToReplace: (email) => `${email} ist auf keiner Lizenz, die Sie ändern dürfen.`,
  changedCaption: 'Geänderte Lizenzen',
  skippedCaption: 'Übersprungene Lizenzen',
  licenseColumn: 'Lizenz',
  rolesColumn: 'Übernommene Rollen',
  mainColumn: 'Übernommene Hauptkontakte',
  reasonColumn: 'Grund',
  roleList: (roles) => roles.map((role) => (role === 'technical' ? 'Technisch' : 'Kaufmännisch')).join(', '),
  mainPositions: (roles) =>
    roles.length === 0
      ? 'Keine'
      : roles
          .map((role) => `${deAdjective(role).replace(/^./, (c) => c.toUpperCase())} Hauptkontakt`)
          .join(', '),
  skipReason: (skipped) => deSkipReasons[skipped.reason] ?? skipped.message,
  historyHeading: 'Verlauf',
  loadingHistory: 'Verlauf wird geladen …',
  noHistory: 'Noch keine Änderungen aufgezeichnet',
  showMore: 'Mehr anzeigen',
  historyActor: (actor, staff) =>
    actor === null ? 'Das System' : staff ? `${actor.name} (Support)` : actor.name,
  historySentences: deSentences,
  historyChanges: deChanges,
  announceReplaced: (oldName, newName, count) =>
    `${newName} hat ${oldName} auf ${count} ${count === 1 ? 'Lizenz' : 'Lizenzen'} ersetzt`,
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
  if (!overrides) return base;
  // Sentences are overridden one action at a time.
  const historySentences = overrides.historySentences
    ? { ...base.historySentences, ...overrides.historySentences }
    : base.historySentences;
  return { ...base, ...overrides, historySentences };
}
