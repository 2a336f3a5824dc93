import type { AuditEntry, ContactPosition, RequestSummary, Role } from '../domain/types';
import { ROLES } from '../domain/types';
import type { NotificationFact, NotificationKind, NotifierMessages } from './messages';

/** One mail the notifier hands to `send`. */
export interface Notification {
  /** Stable per (entry, recipient): a transport may drop a repeat of an id it delivered. */
  id: string;
  to: string;
  subject: string;
  text: string;
  /** The same as `text`, as HTML; every value in it escaped. */
  html: string;
  licenseId: string;
  /** What the mail is first about. */
  kind: NotificationKind;
}

/** What building the mails of an entry needs besides the entry. */
export interface NotificationContext {
  /** The product of the entry's license. */
  product: string;
  /** A person's display name, or the email when unknown. */
  nameOf: (email: string) => string;
  messages: NotifierMessages;
  /** The link a mail about a request leads to (where it is answered). */
  requestLink: (request: RequestSummary, licenseId: string) => string;
  /** The link any other mail leads to. */
  licenseLink: (licenseId: string) => string;
}

const rolesOf = (position: ContactPosition | null) => position?.roles ?? [];

/**
 * The facts an audit entry tells each person concerned (§7): the invitee (with the link to accept),
 * the decider of a request, whoever asked when it is decided, a person added, removed or replaced, and
 * both sides of a main change. Nobody is told of what they did themselves, except of a main change.
 * Pure: the same entry always gives the same facts in the same order.
 */
export function factsOf(
  entry: AuditEntry,
  context: Pick<NotificationContext, 'product' | 'nameOf'>,
): Map<string, NotificationFact[]> {
  const facts = new Map<string, NotificationFact[]>();
  const actor = entry.actor;
  const by = actor === null ? 'The vendor' : context.nameOf(actor);
  const base = { by, product: context.product, licenseId: entry.licenseId };
  const tell = (email: string, fact: NotificationFact, evenTheActor = false) => {
    if (email === actor && !evenTheActor) return;
    const list = facts.get(email) ?? [];
    list.push(fact);
    facts.set(email, list);
  };
  const request = entry.requests?.[0];

  switch (entry.action) {
    case 'invite':
      if (request)
        tell(request.email, {
          ...base,
          kind: 'invitation',
          roles: request.roles,
          expiresAt: request.expiresAt,
        });
      break;
    case 'requestTransfer':
      if (request) {
        for (const decider of request.decidedBy) {
          tell(decider, {
            ...base,
            kind: 'transferRequest',
            role: request.roles[0] as Role,
            newMain: context.nameOf(request.email),
          });
        }
      }
      break;
    case 'acceptRequest':
    case 'declineRequest':
    case 'cancelRequest':
      if (request) {
        const decided = {
          ...base,
          kind: 'requestDecided' as const,
          decision:
            entry.action === 'acceptRequest'
              ? ('accepted' as const)
              : entry.action === 'declineRequest'
                ? ('declined' as const)
                : ('cancelled' as const),
          request: request.kind,
          subject: context.nameOf(request.email),
        };
        // Whoever asked hears of the answer; whoever was asked hears that it was withdrawn.
        tell(request.requestedBy, decided);
        if (entry.action === 'cancelRequest') for (const decider of request.decidedBy) tell(decider, decided);
      }
      break;
  }

  for (const change of entry.changes) {
    const before = rolesOf(change.before);
    const after = rolesOf(change.after);
    const gained = after.filter((role) => !before.includes(role));
    const lost = before.filter((role) => !after.includes(role));
    if (entry.action === 'replaceContact' && change.email === entry.email && change.after === null) {
      tell(change.email, { ...base, kind: 'replaced', successor: context.nameOf(entry.successor ?? '') });
      continue;
    }
    if (entry.action === 'createLicense') continue;
    if (gained.length > 0) tell(change.email, { ...base, kind: 'added', roles: gained });
    if (lost.length > 0) tell(change.email, { ...base, kind: 'removed', roles: lost });
  }

  // Both sides of each main change.
  for (const role of ROLES) {
    const formerMain = entry.changes.find((c) => c.before?.[role] === 0 && c.after?.[role] !== 0)?.email;
    const newMain = entry.changes.find((c) => c.after?.[role] === 0 && c.before?.[role] !== 0)?.email;
    if (formerMain === undefined || newMain === undefined || entry.action === 'createLicense') continue;
    const main = {
      ...base,
      kind: 'mainChanged' as const,
      role,
      newMain: context.nameOf(newMain),
      formerMain: context.nameOf(formerMain),
    };
    tell(newMain, { ...main, you: 'new' }, true);
    tell(formerMain, { ...main, you: 'former' }, true);
  }
  return facts;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** The mails of an audit entry: one per person concerned, in a stable order, each with its stable id. */
export function notificationsOf(entry: AuditEntry, context: NotificationContext): Notification[] {
  const mails: Notification[] = [];
  for (const [to, facts] of factsOf(entry, context)) {
    const first = facts[0] as NotificationFact;
    const wordings = facts.map((fact) =>
      (context.messages[fact.kind] as (f: NotificationFact) => { subject: string; paragraphs: string[] })(
        fact,
      ),
    );
    const request = entry.requests?.[0];
    const link =
      (first.kind === 'invitation' || first.kind === 'transferRequest') && request
        ? context.requestLink(request, entry.licenseId)
        : context.licenseLink(entry.licenseId);
    const label = context.messages.link(first.kind);
    const paragraphs = wordings.flatMap((w) => w.paragraphs);
    const text = [...paragraphs, `${label}: ${link}`, '--', context.messages.footer].join('\n\n');
    const html = [
      ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
      `<p><a href="${escapeHtml(link)}">${escapeHtml(label)}</a></p>`,
      `<p style="color:#666">${escapeHtml(context.messages.footer)}</p>`,
    ].join('\n');
    mails.push({
      id: `${entry.id}/${to}`,
      to,
      subject: (wordings[0] as { subject: string }).subject,
      text,
      html,
      licenseId: entry.licenseId,
      kind: first.kind,
    });
  }
  return mails;
}
