import { LicenseContactsError } from '@license-contacts/core';
import { problemResponse, SECURITY_HEADERS } from '@license-contacts/core/http';
import type { Notification } from '@license-contacts/core/notifier';
import { sessionActor } from './auth';
import type { Sessions } from './sessions';

/** A mail the development mailbox caught, with when it arrived. */
export interface CaughtMail extends Notification {
  receivedAt: string;
}

/** The development mailbox: the notifier's `send` keeps every mail here instead of delivering it. */
export interface Mailbox {
  /** The notifier's `send`: keeps the mail (a repeat of an id it holds is dropped, as a transport would). */
  send(mail: Notification): Promise<void>;
  /** The mails to `email`, newest first. */
  of(email: string): CaughtMail[];
}

/** A development mailbox in memory, holding at most `limit` mails (the oldest go first); default 500. */
export function createMailbox(limit = 500): Mailbox {
  const mails: CaughtMail[] = [];
  const ids = new Set<string>();
  return {
    async send(mail) {
      if (ids.has(mail.id)) return;
      ids.add(mail.id);
      mails.push({ ...mail, receivedAt: new Date().toISOString() });
      while (mails.length > limit) ids.delete(mails.shift()?.id ?? '');
    },
    of(email) {
      const who = email.toLowerCase();
      return mails.filter((mail) => mail.to === who).reverse();
    },
  };
}

/** Where the development mailbox answers: the signed-in person's mail as JSON. */
export const MAILBOX_PATH = '/dev/mailbox';

/** `GET /dev/mailbox`: the mail the portal sent to the signed-in person (development only). */
export function createMailboxRoute(
  mailbox: Mailbox,
  sessions: Sessions,
): (request: Request) => Response | null {
  const actorOf = sessionActor(sessions);
  return (request) => {
    if (new URL(request.url).pathname !== MAILBOX_PATH) return null;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return problemResponse(new LicenseContactsError('METHOD_NOT_ALLOWED', 'The mailbox is read with GET'), {
        headers: { Allow: 'GET, HEAD' },
      });
    }
    const actor = actorOf(request);
    if (!actor)
      return problemResponse(new LicenseContactsError('UNAUTHENTICATED', 'Sign in to read your mail'));
    return new Response(JSON.stringify({ email: actor.email, mails: mailbox.of(actor.email) }), {
      headers: {
        ...SECURITY_HEADERS,
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
      },
    });
  };
}
