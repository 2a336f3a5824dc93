import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { AddressStatus, BounceReport } from '../domain/types';
import type { Notification } from './notifications';

/** Options of `smtpTransport`: nodemailer's SMTP options, the sender, and where bounces go. */
export interface SmtpTransportOptions extends Omit<SMTPTransport.Options, 'from'> {
  /** The `From` of every mail, e.g. `License Contacts <licenses@vendor.example>`. */
  from: string;
  /** Told of a recipient the server refuses for good (SMTP 5xx on `RCPT TO`): the service. */
  bounces?: { reportBounce(email: string, report: BounceReport): Promise<AddressStatus> };
}

/** What one `send` did. */
export interface SmtpDelivery {
  id: string;
  /** The server took the mail. */
  delivered: boolean;
  /** The server refused the recipient for good; the bounce was reported. */
  bounced: boolean;
  /** The server's last answer. */
  response: string;
}

/** An error nodemailer raises for a refused command. */
interface SmtpError extends Error {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
}

/** A Message-ID of the notification's id: stable, so receivers and the transport's logs can see repeats. */
export function messageIdOf(id: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'license-contacts.invalid';
  const local = Array.from(new TextEncoder().encode(id), (b) => b.toString(16).padStart(2, '0')).join('');
  return `<${local}@${domain}>`;
}

/**
 * A `send` for the notifier over SMTP (nodemailer). A recipient the server refuses for good (5xx to
 * `RCPT TO`) is reported as a permanent bounce and the mail counts as handled; any other failure
 * (a temporary 4xx, a lost connection, a refused message) rejects, so the notifier tries again later.
 * @example createNotifier({ service, baseUrl, send: smtpTransport({ host: 'smtp.example.com', port: 587, from, bounces: service }) })
 */
export function smtpTransport(
  options: SmtpTransportOptions,
): (message: Notification) => Promise<SmtpDelivery> {
  const { from, bounces, ...smtp } = options;
  const transport = createTransport(smtp);
  return async (message) => {
    try {
      const info = await transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: messageIdOf(message.id, from),
        headers: { 'X-License-Contacts-Id': message.id, 'X-License-Contacts-Kind': message.kind },
      });
      return { id: message.id, delivered: info.accepted.length > 0, bounced: false, response: info.response };
    } catch (error) {
      const refused = error as SmtpError;
      const code = refused.responseCode ?? 0;
      if (refused.command === 'RCPT TO' && code >= 500 && code < 600) {
        const reason = refused.response ?? refused.message;
        await bounces?.reportBounce(message.to, { permanent: true, reason });
        return { id: message.id, delivered: false, bounced: true, response: reason };
      }
      throw error;
    }
  };
}
