import type { Role } from '@license-contacts/core';
import type { HistoryFacts, HistoryPerson, MainFact, RoleFact } from './historyFacts';
import { deAdjective, deRole, type HistorySentence, type Messages } from './messages';

/** How one language says each kind of change; `self` phrases are for an actor acting on themselves. */
interface Phrases {
  created: (technical: HistoryPerson, billing: HistoryPerson) => string;
  createdPlain: string;
  added: (who: string, fact: RoleFact, self: boolean) => string;
  madeMain: (who: string, main: MainFact, self: boolean) => string;
  removed: (who: string, fact: RoleFact, self: boolean) => string;
  replaced: (who: string, old: HistoryPerson, next: HistoryPerson, mains: Role[]) => string;
  /** Clauses of the sentence told from what changed. */
  joined: (fact: RoleFact) => string;
  gained: (fact: RoleFact) => string;
  lost: (fact: RoleFact) => string;
  left: (fact: RoleFact) => string;
  becameMain: (main: MainFact) => string;
  /** Request entries (§7): `request` names who it is about and the roles (a transfer: its one role). */
  requested: (who: string, request: RequestFact) => string;
  decided: (
    who: string,
    request: RequestFact,
    decision: 'accepted' | 'declined' | 'cancelled',
    self: boolean,
  ) => string;
}

type RequestFact = NonNullable<HistoryFacts['request']>;

/** `a`, `a and b`, `a, b and c`. */
function joinWith(items: readonly string[], and: string): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} ${and} ${items.at(-1)}`;
}

const enRoles = (roles: readonly Role[]) => joinWith(roles, 'and');

const en: Phrases = {
  created: (tech, bill) =>
    tech.email === bill.email
      ? `License created with ${tech.name} as main technical and billing contact`
      : `License created with ${tech.name} as main technical contact and ${bill.name} as main billing contact`,
  createdPlain: 'License created',
  added: (who, fact, self) =>
    self
      ? `${who} became a ${enRoles(fact.roles)} contact`
      : `${who} added ${fact.person.name} as a ${enRoles(fact.roles)} contact`,
  madeMain: (who, main, self) =>
    self
      ? `${who} became the main ${main.role} contact`
      : `${who} made ${main.person.name} the main ${main.role} contact`,
  removed: (who, fact, self) =>
    self
      ? `${who} left the ${enRoles(fact.roles)} contacts`
      : `${who} removed ${fact.person.name} from the ${enRoles(fact.roles)} contacts`,
  replaced: (who, old, next, mains) =>
    `${who} replaced ${old.name} with ${next.name}` +
    (mains.length > 0 ? ` as main ${enRoles(mains)} contact` : ''),
  joined: (x) => `${x.person.name} joined as a ${enRoles(x.roles)} contact`,
  gained: (x) => `${x.person.name} became a ${enRoles(x.roles)} contact`,
  lost: (x) => `${x.person.name} is no longer a ${enRoles(x.roles)} contact`,
  left: (x) => `${x.person.name} left the ${enRoles(x.roles)} contacts`,
  becameMain: (x) => `${x.person.name} became the main ${x.role} contact`,
  requested: (who, r) =>
    r.kind === 'invitation'
      ? `${who} invited ${r.person.name} to become a ${enRoles(r.roles)} contact`
      : `${who} asked for ${r.person.name} to become the main ${r.roles[0]} contact`,
  decided: (who, r, decision, self) => {
    const what =
      r.kind === 'invitation'
        ? self
          ? 'the invitation'
          : `the invitation of ${r.person.name}`
        : `the request for ${r.person.name} to become the main ${r.roles[0]} contact`;
    const verb = { accepted: 'accepted', declined: 'declined', cancelled: 'withdrew' }[decision];
    return `${who} ${verb} ${what}`;
  },
};

/** `technischer und kaufmännischer` (nominative). */
const deAdjectives = (roles: readonly Role[]) => joinWith(roles.map(deAdjective), 'und');
/** `technischen und kaufmännischen` (after `den`, `zum`, `als` of an object). */
const deRoles = (roles: readonly Role[]) => joinWith(roles.map(deRole), 'und');

const de: Phrases = {
  created: (tech, bill) =>
    tech.email === bill.email
      ? `Lizenz angelegt mit ${tech.name} als technischem und kaufmännischem Hauptkontakt`
      : `Lizenz angelegt mit ${tech.name} als technischem und ${bill.name} als kaufmännischem Hauptkontakt`,
  createdPlain: 'Lizenz angelegt',
  added: (who, fact, self) =>
    self
      ? `${who} ist jetzt ${deAdjectives(fact.roles)} Kontakt`
      : `${who} hat ${fact.person.name} als ${deRoles(fact.roles)} Kontakt hinzugefügt`,
  madeMain: (who, main, self) =>
    self
      ? `${who} ist jetzt ${deAdjective(main.role)} Hauptkontakt`
      : `${who} hat ${main.person.name} zum ${deRole(main.role)} Hauptkontakt gemacht`,
  removed: (who, fact, self) =>
    self
      ? `${who} hat die ${deRoles(fact.roles)} Kontakte verlassen`
      : `${who} hat ${fact.person.name} aus den ${deRoles(fact.roles)} Kontakten entfernt`,
  replaced: (who, old, next, mains) =>
    `${who} hat ${old.name} durch ${next.name} ersetzt` +
    (mains.length > 0 ? `, als ${deAdjectives(mains)} Hauptkontakt` : ''),
  joined: (x) => `${x.person.name} ist als ${deAdjectives(x.roles)} Kontakt hinzugekommen`,
  gained: (x) => `${x.person.name} ist jetzt ${deAdjectives(x.roles)} Kontakt`,
  lost: (x) => `${x.person.name} ist kein ${deAdjectives(x.roles)} Kontakt mehr`,
  left: (x) => `${x.person.name} hat die ${deRoles(x.roles)} Kontakte verlassen`,
  becameMain: (x) => `${x.person.name} ist jetzt ${deAdjective(x.role)} Hauptkontakt`,
  requested: (who, r) =>
    r.kind === 'invitation'
      ? `${who} hat ${r.person.name} als ${deRoles(r.roles)} Kontakt eingeladen`
      : `${who} hat angefragt, dass ${r.person.name} ${deAdjective(r.roles[0] ?? 'technical')} Hauptkontakt wird`,
  decided: (who, r, decision, self) => {
    const what =
      r.kind === 'invitation'
        ? self
          ? 'die Einladung'
          : `die Einladung von ${r.person.name}`
        : `die Anfrage, ${r.person.name} zum ${deRole(r.roles[0] ?? 'technical')} Hauptkontakt zu machen`;
    const verb = { accepted: 'angenommen', declined: 'abgelehnt', cancelled: 'zurückgezogen' }[decision];
    return `${who} hat ${what} ${verb}`;
  },
};

/** What each action's sentence tells, in any language: which facts it picks; `undefined` when they are missing. */
function sentences(p: Phrases): Record<string, HistorySentence> {
  const who = (f: HistoryFacts, m: Messages) => m.historyActor(f.actor, f.staff);
  const decidedSentence = (f: HistoryFacts, m: Messages, decision: 'accepted' | 'declined' | 'cancelled') =>
    f.request &&
    [
      p.decided(who(f, m), f.request, decision, f.actor?.email === f.request.person.email),
      // An accepted transfer moves a main position (accepting an invitation only adds the invitee).
      ...(f.request.kind === 'transfer' ? f.becameMain.map(p.becameMain) : []),
    ].join('; ');
  return {
    createLicense: (f) => {
      const tech = f.becameMain.find((x) => x.role === 'technical')?.person;
      const bill = f.becameMain.find((x) => x.role === 'billing')?.person;
      return tech && bill ? p.created(tech, bill) : p.createdPlain;
    },
    addContact: (f, m) => {
      const fact = f.added[0] ?? f.gained[0];
      return fact && p.added(who(f, m), fact, f.self);
    },
    setMain: (f, m) => {
      const main = f.becameMain[0];
      return main && p.madeMain(who(f, m), main, f.self);
    },
    removeContact: (f, m) => {
      const fact = f.removed[0] ?? f.lost[0];
      return fact && [p.removed(who(f, m), fact, f.self), ...f.becameMain.map(p.becameMain)].join('; ');
    },
    invite: (f, m) => f.request && p.requested(who(f, m), f.request),
    requestTransfer: (f, m) => f.request && p.requested(who(f, m), f.request),
    acceptRequest: (f, m) => decidedSentence(f, m, 'accepted'),
    declineRequest: (f, m) => decidedSentence(f, m, 'declined'),
    cancelRequest: (f, m) => decidedSentence(f, m, 'cancelled'),
    replaceContact: (f, m) => {
      const old = f.removed[0]?.person ?? f.subject;
      const next = f.added[0]?.person ?? f.gained[0]?.person ?? f.successor;
      if (!old || !next) return undefined;
      const mains = f.becameMain.filter((x) => x.person.email === next.email).map((x) => x.role);
      return p.replaced(who(f, m), old, next, mains);
    },
  };
}

/** The sentence told from what changed: who joined, gained, lost, left, or became main. */
function changes(p: Phrases): (facts: HistoryFacts, messages: Messages) => string {
  return (f, m) => {
    const clauses = [
      ...f.added.map(p.joined),
      ...f.gained.map(p.gained),
      ...f.lost.map(p.lost),
      ...f.removed.map(p.left),
      ...f.becameMain.map(p.becameMain),
    ];
    return `${m.historyActor(f.actor, f.staff)}: ${clauses.length > 0 ? clauses.join('; ') : f.action}`;
  };
}

/** The sentences of the shipped locales, by language; only `LicenseHistory` needs them. */
const historyLocales = {
  en: { sentences: sentences(en), changes: changes(en) },
  de: { sentences: sentences(de), changes: changes(de) },
};

/** The sentence of an entry's facts: the messages' own for its action, the locale's, or from what changed. */
export function sentenceOf(facts: HistoryFacts, messages: Messages): string {
  const shipped = messages.locale.split('-')[0] === 'de' ? historyLocales.de : historyLocales.en;
  return (
    messages.historySentences?.[facts.action]?.(facts, messages) ??
    shipped.sentences[facts.action]?.(facts, messages) ??
    (messages.historyChanges ?? shipped.changes)(facts, messages)
  );
}
