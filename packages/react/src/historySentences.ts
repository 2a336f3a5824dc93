import type { Role } from '@license-contacts/core';
import type { HistoryFacts } from './historyFacts';
import { deAdjective, deRole, type HistorySentence, type Messages } from './messages';

type ChangesSentence = (facts: HistoryFacts, messages: Messages) => string;

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
    if (!fact) return undefined;
    const who = m.historyActor(f.actor, f.staff);
    return f.self
      ? `${who} became a ${enRoles(fact.roles)} contact`
      : `${who} added ${fact.person.name} as a ${enRoles(fact.roles)} contact`;
  },
  setMain: (f, m) => {
    const main = f.becameMain[0];
    if (!main) return undefined;
    const who = m.historyActor(f.actor, f.staff);
    return f.self
      ? `${who} became the main ${main.role} contact`
      : `${who} made ${main.person.name} the main ${main.role} contact`;
  },
  removeContact: (f, m) => {
    const fact = f.removed[0] ?? f.lost[0];
    if (!fact) return undefined;
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
    if (!old || !next) return undefined;
    const mains = f.becameMain.filter((x) => x.person.email === next.email).map((x) => x.role);
    return (
      `${m.historyActor(f.actor, f.staff)} replaced ${old.name} with ${next.name}` +
      (mains.length > 0 ? ` as main ${enRoles(mains)} contact` : '')
    );
  },
};

const enChanges: ChangesSentence = (f, m) => {
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
    if (!fact) return undefined;
    const who = m.historyActor(f.actor, f.staff);
    return f.self
      ? `${who} ist jetzt ${deAdjectives(fact.roles)} Kontakt`
      : `${who} hat ${fact.person.name} als ${deRoles(fact.roles)} Kontakt hinzugefügt`;
  },
  setMain: (f, m) => {
    const main = f.becameMain[0];
    if (!main) return undefined;
    const who = m.historyActor(f.actor, f.staff);
    return f.self
      ? `${who} ist jetzt ${deAdjective(main.role)} Hauptkontakt`
      : `${who} hat ${main.person.name} zum ${deRole(main.role)} Hauptkontakt gemacht`;
  },
  removeContact: (f, m) => {
    const fact = f.removed[0] ?? f.lost[0];
    if (!fact) return undefined;
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
    if (!old || !next) return undefined;
    const mains = f.becameMain.filter((x) => x.person.email === next.email).map((x) => x.role);
    return (
      `${m.historyActor(f.actor, f.staff)} hat ${old.name} durch ${next.name} ersetzt` +
      (mains.length > 0 ? `, als ${joinWith(mains.map(deAdjective), 'und')} Hauptkontakt` : '')
    );
  },
};

const deChanges: ChangesSentence = (f, m) => {
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

/** The sentences of the shipped locales, by language; only `LicenseHistory` needs them. */
const historyLocales: Readonly<
  Record<string, { sentences: Record<string, HistorySentence>; changes: ChangesSentence }>
> = {
  en: { sentences: enSentences, changes: enChanges },
  de: { sentences: deSentences, changes: deChanges },
};

/** The sentence of an entry's facts: the messages' own for its action, the locale's, or from what changed. */
export function sentenceOf(facts: HistoryFacts, messages: Messages): string {
  const shipped =
    historyLocales[messages.locale.split('-')[0] ?? ''] ??
    (historyLocales.en as (typeof historyLocales)[string]);
  return (
    messages.historySentences?.[facts.action]?.(facts, messages) ??
    shipped.sentences[facts.action]?.(facts, messages) ??
    (messages.historyChanges ?? shipped.changes)(facts, messages)
  );
}
