export type { NotificationBuilderOptions } from './createNotificationBuilder';
export { createNotificationBuilder } from './createNotificationBuilder';
export type { NotificationFact, NotificationKind, NotifierMessages, Wording } from './messages';
export { deNotifierMessages, enNotifierMessages, NOTIFIER_MESSAGES } from './messages';
export type { Notification, NotificationContext } from './notifications';
export { escapeHtml, factsOf, notificationsOf } from './notifications';
export type { SmtpDelivery, SmtpTransportOptions } from './smtpTransport';
export { messageIdOf, smtpTransport } from './smtpTransport';
