import type { Decision, LicenseContactsError, PendingRequest, Role } from '@license-contacts/core';
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
  /** Said when a change made elsewhere (a colleague, another tab) reaches an open page: `sentence` is its history sentence. */
  announceRemoteChange: (license: { product: string; id: string }, sentence: string) => string;
  /** Said when changes made elsewhere to several licenses arrive at once. */
  announceRemoteChanges: (licenses: number) => string;
  /** Said when the signed-in person lost access to a license (it leaves their list). */
  announceLostAccess: (license: { product: string; id: string }) => string;
  historyHeading: string;
  loadingHistory: string;
  noHistory: string;
  showMore: string;
  /** Who acted, as a history sentence names them (`null`: a system-level change). */
  historyActor: (actor: HistoryPerson | null, staff: boolean) => string;
  /**
   * Sentences by audit action, over the locale's own (`Alice Johnson made Carol Nguyen the main technical
   * contact`); one answering `undefined` leaves the entry to `historyChanges`.
   */
  historySentences?: Readonly<Record<string, HistorySentence>>;
  /** The sentence of an action without its own, told from who joined, left, gained or lost what. */
  historyChanges?: (facts: HistoryFacts, messages: Messages) => string;
  /** Name of `RequestList`'s list. */
  requestsHeading: string;
  noRequests: string;
  loadingRequests: string;
  /** What a pending request asks, told to `self` (the signed-in person's email). */
  requestText: (request: PendingRequest, self: string | undefined) => string;
  /** When a pending request expires. */
  requestExpires: (date: string) => string;
  accept: string;
  decline: string;
  /** Withdraws a request one made (`RequestList`). */
  cancelRequest: string;
  /** Withdraws an invitation (a pending invitee's row in a role's list). */
  cancelInvitation: string;
  /** The marker of a pending invitee in a role's list. */
  pending: string;
  /** The marker of a contact whose mail bounces. */
  bounces: string;
  /** The marker of a contact for whom a transfer of the main position is pending. */
  transferPending: string;
  /** Under `Email` in the add dialog, when that address is invited rather than added. */
  inviteNote: (email: string) => string;
  announceInvited: (name: string) => string;
  announceTransferRequested: (name: string, role: Role) => string;
  announceRequestDecided: (request: PendingRequest) => string;
}

/** Builds one history sentence from an entry's facts, or `undefined` to leave it to `historyChanges`. */
export type HistorySentence = (facts: HistoryFacts, messages: Messages) => string | undefined;

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
  announceReplaced: (oldName, newName, count) =>
    `${newName} replaced ${oldName} on ${count} ${count === 1 ? 'license' : 'licenses'}`,
  requestsHeading: 'Pending requests',
  noRequests: 'No pending requests',
  loadingRequests: 'Loading requests…',
  requestText: (r, self) => {
    const license = `${r.product} ${r.licenseId}`;
    const who = r.email === self ? 'you' : `${r.name} (${r.email})`;
    const by = r.requestedBy === self ? 'You' : r.requestedBy;
    const [role = 'technical'] = r.roles;
    return r.kind === 'invitation'
      ? `${by} ${r.requestedBy === self ? 'invited' : 'invites'} ${who} to become a ${r.roles.join(' and ')} contact of ${license}`
      : `${by} ${r.requestedBy === self ? 'asked' : 'asks'}${r.requestedBy === r.email ? '' : ` for ${who}`} to become the main ${role} contact of ${license}`;
  },
  requestExpires: (date) => `Expires ${date}`,
  accept: 'Accept',
  decline: 'Decline',
  cancelRequest: 'Cancel request',
  cancelInvitation: 'Cancel invitation',
  pending: 'Pending',
  bounces: 'Mail to this address bounces',
  transferPending: 'Main position requested',
  inviteNote: (email) => `${email} will be invited and becomes a contact on accepting`,
  announceInvited: (name) => `Invitation sent to ${name}`,
  announceTransferRequested: (name, role) =>
    `Asked for ${name} to become the main ${role} contact; the other side decides`,
  announceRequestDecided: (r) =>
    r.state === 'accepted'
      ? r.kind === 'invitation'
        ? `You are now a contact of ${r.product} ${r.licenseId}`
        : `${r.name} is now the main ${r.roles[0] ?? 'technical'} contact`
      : r.state === 'declined'
        ? 'Request declined'
        : 'Request cancelled',
  announceRemoteChange: ({ product, id }, sentence) => `${product} ${id}: ${sentence}`,
  announceRemoteChanges: (licenses) => `${licenses} licenses were changed elsewhere`,
  announceLostAccess: ({ product, id }) => `You no longer have access to ${product} ${id}`,
};

/** `technischen` / `kaufmännischen`. */
export const deRole = (role: Role) => (role === 'technical' ? 'technischen' : 'kaufmännischen');
/** `technischer` / `kaufmännischer`. */
export const deAdjective = (role: Role) => (role === 'technical' ? 'technischer' : 'kaufmännischer');

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
  INVITATION_REQUIRED:
    'Diese Person muss eingeladen werden und wird Kontakt, sobald sie die Einladung annimmt',
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
  announceReplaced: (oldName, newName, count) =>
    `${newName} hat ${oldName} auf ${count} ${count === 1 ? 'Lizenz' : 'Lizenzen'} ersetzt`,
  requestsHeading: 'Offene Anfragen',
  noRequests: 'Keine offenen Anfragen',
  loadingRequests: 'Anfragen werden geladen …',
  requestText: (r, self) => {
    const license = `${r.product} ${r.licenseId}`;
    const by = r.requestedBy === self ? 'Sie haben' : `${r.requestedBy} hat`;
    const [role = 'technical'] = r.roles;
    const roles = r.roles.map(deAdjective).join(' und ');
    if (r.kind === 'invitation')
      return r.email === self
        ? `${by} Sie eingeladen, ${roles} Kontakt von ${license} zu werden`
        : `${by} ${r.name} (${r.email}) eingeladen, ${roles} Kontakt von ${license} zu werden`;
    if (r.requestedBy === r.email)
      return `${by} angefragt, ${deAdjective(role)} Hauptkontakt von ${license} zu werden`;
    const who = r.email === self ? 'Sie' : `${r.name} (${r.email})`;
    return `${by} angefragt, dass ${who} ${deAdjective(role)} Hauptkontakt von ${license} ${r.email === self ? 'werden' : 'wird'}`;
  },
  requestExpires: (date) => `Läuft ab am ${date}`,
  accept: 'Annehmen',
  decline: 'Ablehnen',
  cancelRequest: 'Anfrage zurückziehen',
  cancelInvitation: 'Einladung zurückziehen',
  pending: 'Ausstehend',
  bounces: 'Mails an diese Adresse kommen zurück',
  transferPending: 'Hauptkontakt angefragt',
  inviteNote: (email) => `${email} wird eingeladen und wird Kontakt, sobald die Einladung angenommen ist`,
  announceInvited: (name) => `Einladung an ${name} gesendet`,
  announceTransferRequested: (name, role) =>
    `Angefragt, dass ${name} ${deAdjective(role)} Hauptkontakt wird; die andere Seite entscheidet`,
  announceRequestDecided: (r) =>
    r.state === 'accepted'
      ? r.kind === 'invitation'
        ? `Sie sind jetzt Kontakt von ${r.product} ${r.licenseId}`
        : `${r.name} ist jetzt ${deAdjective(r.roles[0] ?? 'technical')} Hauptkontakt`
      : r.state === 'declined'
        ? 'Anfrage abgelehnt'
        : 'Anfrage zurückgezogen',
  announceRemoteChange: ({ product, id }, sentence) => `${product} ${id}: ${sentence}`,
  announceRemoteChanges: (licenses) => `${licenses} Lizenzen wurden anderswo geändert`,
  announceLostAccess: ({ product, id }) => `Sie haben keinen Zugriff mehr auf ${product} ${id}`,
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
