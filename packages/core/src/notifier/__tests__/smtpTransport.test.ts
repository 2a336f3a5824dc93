// @vitest-environment node
import type { AddressInfo } from 'node:net';
import type { AuditEntry, LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts, memoryStorage } from '@license-contacts/core';
import type { Notification } from '@license-contacts/core/notifier';
import { createNotificationBuilder, messageIdOf, smtpTransport } from '@license-contacts/core/notifier';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const { alice } = demoPeople;
const JIRA = 'SEN-4821337';
const FROM = 'License Contacts <licenses@vendor.test>';

/** What the SMTP server received: the envelope and the raw message. */
interface Received {
  to: string[];
  raw: string;
}

let server: SMTPServer;
let port: number;
let received: Received[];

beforeAll(async () => {
  // A real SMTP server on loopback: refuses bounce@… for good (550) and later@… for now (451).
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('bounce@')) {
        const error = Object.assign(new Error('5.1.1 <bounce@acme.test>: no such user'), {
          responseCode: 550,
        });
        return callback(error);
      }
      if (address.address.startsWith('later@')) {
        const error = Object.assign(new Error('4.2.2 mailbox full, try later'), { responseCode: 451 });
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let service: LicenseContacts;

beforeEach(async () => {
  received = [];
  service = createLicenseContacts({ storage: memoryStorage() });
  for (const input of demoLicenseInputs) await service.createLicense(input);
});

const send = () =>
  smtpTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, from: FROM, bounces: service });

function mail(to: string, id = `${JIRA}:9/${to}`): Notification {
  return {
    id,
    to,
    subject: 'Ünïcode subject for you',
    text: 'Hello\n\nOpen: https://portal.test/licenses/SEN-4821337',
    html: '<p>Hello &amp; welcome</p>',
    licenseId: JIRA,
    kind: 'added',
  };
}

const header = (raw: string, name: string) =>
  new RegExp(`^${name}: (.*)$`, 'im').exec(raw.replace(/\r\n[ \t]+/g, ' '))?.[1]?.trim();

describe('smtpTransport against a real SMTP server', () => {
  it('delivers a notification with its stable id as Message-ID, text and HTML', async () => {
    const delivery = await send()(mail('dan@acme.test'));
    expect(delivery).toMatchObject({ id: `${JIRA}:9/dan@acme.test`, delivered: true, bounced: false });
    expect(received).toHaveLength(1);
    const [{ to, raw }] = received as [Received];
    expect(to).toEqual(['dan@acme.test']);
    expect(header(raw, 'Message-ID')).toBe(messageIdOf(`${JIRA}:9/dan@acme.test`, FROM));
    expect(header(raw, 'X-License-Contacts-Id')).toBe(`${JIRA}:9/dan@acme.test`);
    expect(header(raw, 'From')).toContain('licenses@vendor.test');
    expect(raw).toContain('text/plain');
    expect(raw).toContain('text/html');
    expect(messageIdOf('a', FROM)).toBe('<61@vendor.test>');
  });

  it('reports a permanent refusal of the recipient as a bounce, which recipients then pass over', async () => {
    const license = await service.as(alice).addContact(JIRA, {
      email: 'bounce@acme.test',
      name: 'Bounce',
      roles: ['billing'],
    });
    expect(license.billing).toContain('bounce@acme.test');
    const delivery = await send()(mail('bounce@acme.test'));
    expect(delivery).toMatchObject({ delivered: false, bounced: true });
    expect(delivery.response).toContain('550');
    expect(received).toEqual([]);
    const status = await service.addressStatus('bounce@acme.test');
    expect(status).toMatchObject({ reachable: false, permanent: true });
    expect(status.reason).toContain('no such user');
    expect((await service.recipients(JIRA, 'invoice')).unreachable).toEqual(['bounce@acme.test']);
  });

  it('rejects on a temporary refusal, reporting nothing, so the mail is tried again', async () => {
    await expect(send()(mail('later@acme.test'))).rejects.toMatchObject({ responseCode: 451 });
    expect(await service.addressStatus('later@acme.test')).toMatchObject({ reachable: true, bounces: 0 });
  });

  it('rejects when the server cannot be reached at all', async () => {
    const nowhere = smtpTransport({ host: '127.0.0.1', port: 1, secure: false, ignoreTLS: true, from: FROM });
    await expect(nowhere(mail('dan@acme.test'))).rejects.toThrow();
  });

  it('carries the notifier’s mails: an invitation reaches the invitee with the link to accept', async () => {
    const request = await service
      .as(alice)
      .invite(JIRA, { email: 'gina@partner.test', name: 'Gina', roles: ['technical'] });
    const [entry] = (await service.changes({ limit: 200 })).items.slice(-1) as [AuditEntry];
    const mails = await createNotificationBuilder({ service, baseUrl: 'https://portal.test' })(entry);
    const transport = send();
    for (const m of mails) await transport(m);
    expect(received.map((r) => r.to)).toEqual([['gina@partner.test']]);
    // quoted-printable bodies break long lines with a trailing `=`
    const body = (received[0] as Received).raw.replace(/=\r?\n/g, '');
    expect(body).toContain(`Answer the request: https://portal.test/requests/${request.id}`);
  });
});
