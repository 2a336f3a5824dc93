import type { RequestKind, Role } from '../domain/types';

/** What one mail tells its recipient; a mail may tell several (one entry, one mail per person). */
export type NotificationFact =
  | { kind: 'invitation'; by: string; product: string; licenseId: string; roles: Role[]; expiresAt: string }
  | { kind: 'transferRequest'; by: string; product: string; licenseId: string; role: Role; newMain: string }
  | {
      kind: 'requestDecided';
      decision: 'accepted' | 'declined' | 'cancelled';
      request: RequestKind;
      by: string;
      product: string;
      licenseId: string;
      /** Who was invited, or who would have become main. */
      subject: string;
    }
  | { kind: 'added'; by: string; product: string; licenseId: string; roles: Role[] }
  | { kind: 'removed'; by: string; product: string; licenseId: string; roles: Role[] }
  | { kind: 'replaced'; by: string; product: string; licenseId: string; successor: string }
  | {
      kind: 'mainChanged';
      by: string;
      product: string;
      licenseId: string;
      role: Role;
      newMain: string;
      formerMain: string;
      /** Which side the recipient is on. */
      you: 'new' | 'former';
    };

/** The kinds of facts, one message function each. */
export type NotificationKind = NotificationFact['kind'];

/** A fact said in words: a subject line and paragraphs of plain text. */
export interface Wording {
  subject: string;
  paragraphs: string[];
}

/** Every fact's wording, and the label of the mail's link; override any of them per language. */
export type NotifierMessages = {
  [K in NotificationKind]: (fact: Extract<NotificationFact, { kind: K }>) => Wording;
} & {
  /** The label of the link a mail ends with. */
  link: (kind: NotificationKind) => string;
  /** A line under every mail. */
  footer: string;
};

const enRole = (role: Role) => role;
const enRoles = (roles: Role[]) => roles.map(enRole).join(' and ');
const day = (iso: string) => iso.slice(0, 10);

/** English wording. */
export const enNotifierMessages: NotifierMessages = {
  invitation: (f) => ({
    subject: `${f.by} invites you to be a contact of ${f.product}`,
    paragraphs: [
      `${f.by} invites you to be a ${enRoles(f.roles)} contact of ${f.product} (${f.licenseId}).`,
      `Sign in to accept or decline; the invitation is open until ${day(f.expiresAt)}.`,
    ],
  }),
  transferRequest: (f) => {
    const asks = f.by === f.newMain ? 'asks to become' : `asks for ${f.newMain} to become`;
    return {
      subject: `${f.by} ${asks} the main ${enRole(f.role)} contact of ${f.product}`,
      paragraphs: [
        `${f.by} ${asks} the main ${enRole(f.role)} contact of ${f.product} (${f.licenseId}).`,
        'Nothing changes unless you accept.',
      ],
    };
  },
  requestDecided: (f) => {
    // Whoever answers their own invitation answers the inviter's: "your invitation".
    const self = f.by === f.subject;
    const what =
      f.request === 'invitation'
        ? self
          ? 'your invitation'
          : `the invitation of ${f.subject}`
        : self
          ? 'the request to become main contact'
          : `the request for ${f.subject} to become main contact`;
    return {
      subject: `${f.by} ${f.decision} ${what} (${f.product})`,
      paragraphs: [`${f.by} ${f.decision} ${what} on ${f.product} (${f.licenseId}).`],
    };
  },
  added: (f) => ({
    subject: `You are now a contact of ${f.product}`,
    paragraphs: [`${f.by} made you a ${enRoles(f.roles)} contact of ${f.product} (${f.licenseId}).`],
  }),
  removed: (f) => ({
    subject: `You are no longer a ${enRoles(f.roles)} contact of ${f.product}`,
    paragraphs: [
      `${f.by} removed you from the ${enRoles(f.roles)} contacts of ${f.product} (${f.licenseId}).`,
    ],
  }),
  replaced: (f) => ({
    subject: `${f.successor} takes over from you on ${f.product}`,
    paragraphs: [
      `${f.by} replaced you by ${f.successor} on ${f.product} (${f.licenseId}); you are no longer a contact of it.`,
    ],
  }),
  mainChanged: (f) =>
    f.you === 'new'
      ? {
          subject: `You are now the main ${enRole(f.role)} contact of ${f.product}`,
          paragraphs: [
            `You are now the main ${enRole(f.role)} contact of ${f.product} (${f.licenseId}), in place of ${f.formerMain} (by ${f.by}).`,
          ],
        }
      : {
          subject: `${f.newMain} is now the main ${enRole(f.role)} contact of ${f.product}`,
          paragraphs: [
            `${f.newMain} is now the main ${enRole(f.role)} contact of ${f.product} (${f.licenseId}) in your place (by ${f.by}).`,
          ],
        },
  link: (kind) =>
    kind === 'invitation' || kind === 'transferRequest' ? 'Answer the request' : 'Open the license',
  footer: 'You receive this mail because you are, were or are asked to be a contact of this license.',
};

const deRole = (role: Role) => (role === 'technical' ? 'technischer' : 'kaufmännischer');
const deRoles = (roles: Role[]) => roles.map(deRole).join(' und ');
const deRoleDative = (role: Role) => (role === 'technical' ? 'technischen' : 'kaufmännischen');
const deDecision = { accepted: 'angenommen', declined: 'abgelehnt', cancelled: 'zurückgezogen' } as const;

/** German wording. */
export const deNotifierMessages: NotifierMessages = {
  invitation: (f) => ({
    subject: `${f.by} lädt Sie als Kontakt für ${f.product} ein`,
    paragraphs: [
      `${f.by} lädt Sie ein, ${deRoles(f.roles)} Kontakt für ${f.product} (${f.licenseId}) zu werden.`,
      `Melden Sie sich an, um anzunehmen oder abzulehnen; die Einladung gilt bis ${day(f.expiresAt)}.`,
    ],
  }),
  transferRequest: (f) => {
    const self = f.by === f.newMain;
    const asks = (where: string) =>
      self
        ? `${f.by} bittet darum, ${deRoleDative(f.role)} Hauptkontakt für ${where} zu werden`
        : `${f.by} bittet darum, ${f.newMain} zum ${deRoleDative(f.role)} Hauptkontakt für ${where} zu machen`;
    return {
      subject: asks(f.product),
      paragraphs: [
        `${asks(`${f.product} (${f.licenseId})`)}.`,
        'Es ändert sich nichts, solange Sie nicht zustimmen.',
      ],
    };
  },
  requestDecided: (f) => {
    const self = f.by === f.subject;
    const what =
      f.request === 'invitation'
        ? self
          ? 'Ihre Einladung'
          : `die Einladung von ${f.subject}`
        : self
          ? 'die Anfrage, Hauptkontakt zu werden'
          : `die Anfrage, ${f.subject} zum Hauptkontakt zu machen`;
    return {
      subject: `${f.by} hat ${what} ${deDecision[f.decision]} (${f.product})`,
      paragraphs: [`${f.by} hat ${what} für ${f.product} (${f.licenseId}) ${deDecision[f.decision]}.`],
    };
  },
  added: (f) => ({
    subject: `Sie sind jetzt Kontakt für ${f.product}`,
    paragraphs: [
      `${f.by} hat Sie als ${deRoles(f.roles)} Kontakt für ${f.product} (${f.licenseId}) eingetragen.`,
    ],
  }),
  removed: (f) => ({
    subject: `Sie sind nicht mehr ${deRoles(f.roles)} Kontakt für ${f.product}`,
    paragraphs: [
      `${f.by} hat Sie als ${deRoles(f.roles)} Kontakt für ${f.product} (${f.licenseId}) entfernt.`,
    ],
  }),
  replaced: (f) => ({
    subject: `${f.successor} übernimmt Ihre Rollen für ${f.product}`,
    paragraphs: [
      `${f.by} hat Sie für ${f.product} (${f.licenseId}) durch ${f.successor} ersetzt; Sie sind kein Kontakt mehr.`,
    ],
  }),
  mainChanged: (f) =>
    f.you === 'new'
      ? {
          subject: `Sie sind jetzt ${deRole(f.role)} Hauptkontakt für ${f.product}`,
          paragraphs: [
            `Sie sind jetzt ${deRole(f.role)} Hauptkontakt für ${f.product} (${f.licenseId}) an Stelle von ${f.formerMain} (durch ${f.by}).`,
          ],
        }
      : {
          subject: `${f.newMain} ist jetzt ${deRole(f.role)} Hauptkontakt für ${f.product}`,
          paragraphs: [
            `${f.newMain} ist jetzt ${deRole(f.role)} Hauptkontakt für ${f.product} (${f.licenseId}) an Ihrer Stelle (durch ${f.by}).`,
          ],
        },
  link: (kind) =>
    kind === 'invitation' || kind === 'transferRequest' ? 'Anfrage beantworten' : 'Lizenz öffnen',
  footer: 'Sie erhalten diese Mail, weil Sie Kontakt dieser Lizenz sind, waren oder werden sollen.',
};

/** The wording of each language the notifier speaks. */
export const NOTIFIER_MESSAGES: Readonly<Record<'en' | 'de', NotifierMessages>> = Object.freeze({
  en: enNotifierMessages,
  de: deNotifierMessages,
});
