import { nameOf } from '../domain/license';
import type { AuditEntry } from '../domain/types';
import type { LicenseContacts } from '../service/createLicenseContacts';
import type { NotifierMessages } from './messages';
import { NOTIFIER_MESSAGES } from './messages';
import type { Notification } from './notifications';
import { notificationsOf } from './notifications';

/** Options of `createNotificationBuilder` (and of the notifier). */
export interface NotificationBuilderOptions {
  service: Pick<LicenseContacts, 'findLicense' | 'addressStatus'>;
  /** Where the portal is, e.g. `https://portal.example.com`: links lead to `/requests/:id` and `/licenses/:id` under it. */
  baseUrl: string;
  /** Language of the mails; default `en`. */
  locale?: 'en' | 'de';
  /** Wording to use instead of the language's, per fact. */
  messages?: Partial<NotifierMessages>;
}

/**
 * Turns an audit entry into the mails of the people it concerns (§7), reading the license for its
 * product and names; addresses whose mail bounces are left out.
 * @example const mailsOf = createNotificationBuilder({ service, baseUrl: 'https://portal.example.com' });
 */
export function createNotificationBuilder(
  options: NotificationBuilderOptions,
): (entry: AuditEntry) => Promise<Notification[]> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const messages: NotifierMessages = { ...NOTIFIER_MESSAGES[options.locale ?? 'en'], ...options.messages };
  return async (entry) => {
    const license = await options.service.findLicense(entry.licenseId);
    const names = new Map(entry.changes.map((change) => [change.email, change.name]));
    for (const request of entry.requests ?? []) names.set(request.email, request.name);
    const mails = notificationsOf(entry, {
      product: license?.product ?? entry.licenseId,
      nameOf: (email) => names.get(email) ?? (license ? nameOf(license, email) : email),
      messages,
      requestLink: (request) => `${base}/requests/${encodeURIComponent(request.id)}`,
      licenseLink: (id) => `${base}/licenses/${encodeURIComponent(id)}`,
    });
    const reachable = await Promise.all(
      mails.map(async (mail) => (await options.service.addressStatus(mail.to)).reachable),
    );
    return mails.filter((_, i) => reachable[i]);
  };
}
