import type { AuditEntry, LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts, memoryStorage } from '@license-contacts/core';
import type { Notification } from '@license-contacts/core/notifier';
import { createNotificationBuilder, createNotifier, escapeHtml } from '@license-contacts/core/notifier';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const { alice, bob, carol, dan } = demoPeople;
const JIRA = 'SEN-4821337'; // technical: alice, carol; billing: bob
const gina = { email: 'gina@partner.test', name: 'Gina <b>Partner</b> & Co' };

let service: LicenseContacts;
let mailsOf: (entry: AuditEntry) => Promise<Notification[]>;

beforeEach(async () => {
  service = createLicenseContacts({
    storage: memoryStorage(),
    clock: () => Date.parse('2026-03-01T12:00:00Z'),
  });
  for (const input of demoLicenseInputs) await service.createLicense(input);
  mailsOf = createNotificationBuilder({ service, baseUrl: 'https://portal.test/' });
});

/** The mails of the latest entry of the license. */
async function latest(id = JIRA, build = mailsOf): Promise<Notification[]> {
  const [entry] = (await service.as({ email: 'ops@vendor.test', staff: true }).history(id, { limit: 1 }))
    .items;
  return build(entry as AuditEntry);
}

const summary = (mails: Notification[]) => mails.map((m) => [m.to, m.kind]);

describe('notifications of entries (§7)', () => {
  it('sends the invitee the invitation with the link to accept, and nobody else', async () => {
    const request = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    const mails = await latest();
    expect(summary(mails)).toEqual([[gina.email, 'invitation']]);
    const [mail] = mails as [Notification];
    expect(mail.id).toBe(`${JIRA}:2/${gina.email}`);
    expect(mail.subject).toBe('Alice Johnson invites you to be a contact of Jira Software');
    expect(mail.text).toContain(`https://portal.test/requests/${request.id}`);
    expect(mail.text).toContain('open until 2026-03-15');
    expect(mail.html).toContain(
      `<a href="https://portal.test/requests/${request.id}">Answer the request</a>`,
    );
    expect(mail.licenseId).toBe(JIRA);
    // building again gives the same mail: the id is stable per (entry, recipient)
    expect(await latest()).toEqual(mails);
  });

  it('tells the inviter of the answer, and the added invitee nothing of their own doing', async () => {
    const request = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    await service.as(gina).acceptRequest(request.id);
    const mails = await latest();
    expect(summary(mails)).toEqual([[alice.email, 'requestDecided']]);
    expect(mails[0]?.subject).toBe(`${gina.name} accepted your invitation (Jira Software)`);
  });

  it('asks the decider of a transfer, then tells both sides of the main change', async () => {
    await service.as(alice).addContact(JIRA, { ...gina, roles: ['technical'] });
    const request = await service.as(gina).requestTransfer(JIRA, 'technical', gina.email);
    const asked = await latest();
    expect(summary(asked)).toEqual([[alice.email, 'transferRequest']]);
    expect(asked[0]?.text).toContain(`/requests/${request.id}`);
    await service.as(alice).acceptRequest(request.id);
    const decided = await latest();
    expect(summary(decided)).toEqual([
      [gina.email, 'requestDecided'],
      [alice.email, 'mainChanged'],
    ]);
    // gina's one mail tells both facts; the link leads to the license
    expect(decided[0]?.text).toContain('You are now the main technical contact of Jira Software');
    expect(decided[0]?.text).toContain(`https://portal.test/licenses/${JIRA}`);
    expect(decided[1]?.subject).toContain('is now the main technical contact of Jira Software');
  });

  it('tells a person added, removed or replaced, never the actor of what they did', async () => {
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['billing'] });
    expect(summary(await latest())).toEqual([[dan.email, 'added']]);
    await service.as(alice).removeContact(JIRA, dan.email);
    expect(summary(await latest())).toEqual([[dan.email, 'removed']]);
    await service.as(carol).removeContact(JIRA, carol.email);
    expect(await latest()).toEqual([]);
    await service
      .as(alice)
      .replaceContact(bob.email, { email: 'bea@acme.test', name: 'Bea' }, { licenseIds: [JIRA] });
    const replaced = await latest();
    expect(summary(replaced)).toEqual([
      [bob.email, 'replaced'],
      ['bea@acme.test', 'added'],
    ]);
    expect(replaced[0]?.text).toContain('replaced you by Bea');
  });

  it('tells both sides of a promotion, the actor included', async () => {
    await service.as(carol).setMain(JIRA, 'technical', carol.email);
    expect(summary(await latest())).toEqual([
      [carol.email, 'mainChanged'],
      [alice.email, 'mainChanged'],
    ]);
  });

  it('escapes every value in the HTML', async () => {
    await service.as(alice).invite(JIRA, { ...gina, roles: ['billing'] });
    await service.as(gina).declineRequest((await service.as(gina).requests()).items[0]?.id as string);
    const [mail] = await latest();
    expect(mail?.text).toContain('Gina <b>Partner</b> & Co');
    expect(mail?.html).toContain('Gina &lt;b&gt;Partner&lt;/b&gt; &amp; Co');
    expect(mail?.html).not.toContain('<b>');
    expect(escapeHtml(`"'<>&`)).toBe('&quot;&#39;&lt;&gt;&amp;');
  });

  it('speaks German, and takes a portal’s own wording', async () => {
    const german = createNotificationBuilder({ service, baseUrl: 'https://portal.test', locale: 'de' });
    await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    const [mail] = await latest(JIRA, german);
    expect(mail?.subject).toBe('Alice Johnson lädt Sie als Kontakt für Jira Software ein');
    expect(mail?.html).toContain('Anfrage beantworten');
    const own = createNotificationBuilder({
      service,
      baseUrl: 'https://portal.test',
      messages: { invitation: (f) => ({ subject: `Join ${f.product}`, paragraphs: [`Hi from ${f.by}`] }) },
    });
    const [custom] = await latest(JIRA, own);
    expect(custom?.subject).toBe('Join Jira Software');
    expect(custom?.text.startsWith('Hi from Alice Johnson')).toBe(true);
  });

  it('sends nothing to an address whose mail bounces', async () => {
    await service.reportBounce(dan.email, { permanent: true });
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['billing'] });
    expect(await latest()).toEqual([]);
  });

  it('hands each mail of an entry to send once, even when the entry is handled again after a failure', async () => {
    const delivered: string[] = [];
    let failNext = true;
    const notifier = createNotifier({
      service,
      baseUrl: 'https://portal.test',
      pollMs: 10,
      retry: { initialMs: 10, maxMs: 20 },
      async send(mail) {
        if (failNext && mail.to === alice.email) {
          failNext = false;
          throw new Error('connection lost');
        }
        delivered.push(mail.id);
      },
    });
    try {
      await vi.waitFor(async () => expect((await notifier.status()).holding).toBe(true));
      await service.as(carol).setMain(JIRA, 'technical', carol.email);
      const [entry] = (await service.as(alice).history(JIRA, { limit: 1 })).items as [AuditEntry];
      await vi.waitFor(async () => expect((await notifier.status()).cursor).toBe(entry.seq));
      // Carol's mail went out before Alice's failed; the retry sent Alice's alone.
      expect(delivered).toEqual([`${entry.id}/${carol.email}`, `${entry.id}/${alice.email}`]);
      expect((await notifier.status()).lastError?.message).toBe('connection lost');
    } finally {
      await notifier.stop();
    }
  });
});
