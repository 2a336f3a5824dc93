import type { AuditEntry } from '../domain/types';
import type { NotificationBuilderOptions } from './createNotificationBuilder';
import { createNotificationBuilder } from './createNotificationBuilder';
import type { Notification } from './notifications';

/** Options of `createNotifier`. */
export interface NotifierOptions extends NotificationBuilderOptions {
  /** Delivers one mail; rejecting makes the entry's remaining mails wait for the next try. */
  send: (message: Notification) => Promise<unknown>;
  /** Ids of delivered mails remembered in this process, so a retried entry sends nobody twice; default 10,000. */
  remember?: number;
}

/** The notifier: `handle(entry)` mails the people an entry concerns. */
export interface Notifier {
  /** Sends the mails of one audit entry, each once: the `handle` of a feed worker. */
  handle(entry: AuditEntry): Promise<void>;
}

/**
 * Turns audit entries into mail (§7) and hands each to `send`, in order; a mail already delivered by
 * this notifier (same id) is not sent again when its entry is handled again after a failure. Run its
 * `handle` as a feed worker so every entry is handled at least once, in `seq` order.
 * @example const notifier = createNotifier({ service, baseUrl, send: smtpTransport({ ...smtp, from, bounces: service }) });
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const mailsOf = createNotificationBuilder(options);
  const capacity = options.remember ?? 10_000;
  const sent = new Set<string>();
  return {
    async handle(entry) {
      for (const mail of await mailsOf(entry)) {
        if (sent.has(mail.id)) continue;
        await options.send(mail);
        sent.add(mail.id);
        if (sent.size > capacity) sent.delete(sent.values().next().value as string);
      }
    },
  };
}
