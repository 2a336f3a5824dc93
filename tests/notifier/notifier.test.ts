// @vitest-environment node
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { createLicenseContacts, type LicenseContacts } from '@license-contacts/core';
import { createNotifier, type Notifier, smtpTransport } from '@license-contacts/core/notifier';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { postgresStorage } from '@license-contacts/postgres';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

// The notifier as a feed worker (§6, §7) over PGlite, whose idempotency keys remember the mails
// delivered, sending through smtpTransport to a real SMTP server on loopback.
const { alice, bob, carol } = demoPeople;
const JIRA = 'SEN-4821337'; // technical: alice, carol; billing: bob
const FROM = 'License Contacts <licenses@vendor.test>';

/** What the SMTP server took: each message's recipient and notification id. */
let received: { to: string; id: string }[];
/** Recipients refused for now (451) and for good (550). */
let later: Set<string>;
let gone: Set<string>;
let server: SMTPServer;
let port: number;
let db: PGlite;
let service: LicenseContacts;
const running: Notifier[] = [];

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const code = gone.has(address.address) ? 550 : later.has(address.address) ? 451 : 0;
      if (code === 0) return callback();
      callback(
        Object.assign(new Error(code === 550 ? '5.1.1 no such user' : '4.2.2 try later'), {
          responseCode: code,
        }),
      );
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks)
          .toString('utf8')
          .replace(/\r\n[ \t]+/g, ' ');
        const id = /^X-License-Contacts-Id: (.*)$/im.exec(raw)?.[1]?.trim() ?? '';
        for (const to of session.envelope.rcptTo) received.push({ to: to.address, id });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
  db = await PGlite.create();
  await postgresStorage({ pglite: db }).migrate();
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.close();
});

beforeEach(async () => {
  received = [];
  later = new Set();
  gone = new Set();
  await db.exec(
    'TRUNCATE license_contacts.licenses, license_contacts.license_contacts, license_contacts.audit_entries, license_contacts.license_memberships, license_contacts.requests, license_contacts.addresses, license_contacts.feed_cursors, license_contacts.idempotency_keys',
  );
  service = createLicenseContacts({ storage: postgresStorage({ pglite: db }) });
  for (const input of demoLicenseInputs) await service.createLicense(input);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
});

/** A notifier over SMTP; a new one is a restarted process (same storage, same name, nothing in memory). */
function notifier(): Notifier {
  const started = createNotifier({
    service,
    baseUrl: 'https://portal.test',
    send: smtpTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      from: FROM,
      bounces: service,
    }),
    pollMs: 20,
    leaseMs: 2_000,
    retry: { initialMs: 20, maxMs: 50 },
  });
  running.push(started);
  return started;
}

/** Waits until the notifier's cursor is at the last entry of the feed. */
async function caughtUp(n: Notifier): Promise<void> {
  const head = (await service.changes({ limit: 200 })).items.at(-1)?.seq;
  await vi.waitFor(async () => expect((await n.status()).cursor).toBe(head), {
    timeout: 10_000,
    interval: 20,
  });
}

describe('createNotifier: a feed worker over SMTP', () => {
  it('mails the people each new entry concerns, once each, in order, and starts from now', async () => {
    const n = notifier();
    await vi.waitFor(async () => expect((await n.status()).holding).toBe(true), { timeout: 5_000 });
    await service.as(alice).setMain(JIRA, 'technical', carol.email);
    await service.as(alice).addContact(JIRA, { email: 'dan@acme.test', name: 'Dan', roles: ['billing'] });
    await caughtUp(n);
    // The licenses created before it started are not mailed; both sides of the main change, then Dan.
    expect(received.map((r) => r.to)).toEqual([carol.email, alice.email, 'dan@acme.test']);
    expect(new Set(received.map((r) => r.id)).size).toBe(3);
  });

  it('turns a permanent refusal into a bounce and goes on; the address is then passed over', async () => {
    const n = notifier();
    await vi.waitFor(async () => expect((await n.status()).holding).toBe(true), { timeout: 5_000 });
    gone.add(bob.email);
    await service.as(alice).removeContact(JIRA, carol.email, { role: 'technical' });
    await service.as(alice).addContact(JIRA, { email: 'erin@acme.test', name: 'Erin', roles: ['billing'] });
    await caughtUp(n);
    expect(received.map((r) => r.to)).toEqual([carol.email, 'erin@acme.test']);
    // Bob was not concerned; now he is (his license's main billing changes hands) and his address refuses.
    await service.as(bob).setMain(JIRA, 'billing', 'erin@acme.test');
    await caughtUp(n);
    expect(await service.addressStatus(bob.email)).toMatchObject({ reachable: false, permanent: true });
    expect((await service.recipients(JIRA, 'invoice')).unreachable).toEqual([bob.email]);
    expect(received.map((r) => r.to)).toEqual([carol.email, 'erin@acme.test', 'erin@acme.test']);
    expect((await n.status()).skipped).toBe(0);
  });

  it('after a restart delivers nothing twice: an entry half sent goes on with the mails still owed', async () => {
    const first = notifier();
    await vi.waitFor(async () => expect((await first.status()).holding).toBe(true), { timeout: 5_000 });
    // Carol's mail goes through, Alice's is refused for now: the entry stays unfinished, the cursor waits.
    later.add(alice.email);
    await service.as(alice).setMain(JIRA, 'technical', carol.email);
    await vi.waitFor(() => expect(received.map((r) => r.to)).toEqual([carol.email]), { timeout: 5_000 });
    await vi.waitFor(
      async () => expect((await first.status()).lastError?.attempts).toBeGreaterThanOrEqual(2),
      {
        timeout: 5_000,
      },
    );
    const head = (await service.changes({ limit: 200 })).items.at(-1)?.seq;
    expect((await first.status()).cursor).not.toBe(head);
    await first.stop(); // the process ends

    later.clear();
    const second = notifier(); // a new process: nothing of the first in memory
    await caughtUp(second);
    expect(received.map((r) => r.to)).toEqual([carol.email, alice.email]);
    await second.stop();

    const third = notifier();
    await service.as(alice).addContact(JIRA, { email: 'dan@acme.test', name: 'Dan', roles: ['billing'] });
    await caughtUp(third);
    expect(received.map((r) => r.to)).toEqual([carol.email, alice.email, 'dan@acme.test']);
    expect(new Set(received.map((r) => r.id)).size).toBe(received.length);
  });

  it('refuses to start without a send', () => {
    expect(() => createNotifier({ service, baseUrl: 'https://portal.test' })).toThrow(
      /send must be a function/,
    );
  });
});
