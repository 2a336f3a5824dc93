// @vitest-environment node
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLicenseContacts, memoryStorage } from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/fixtures';
import { createNotifier } from '@license-contacts/core/notifier';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPortal } from '../createPortal';
import { type CaughtMail, createMailbox } from '../mailbox';
import { createSessions, readCookie, SESSION_COOKIE } from '../sessions';
import { seed } from '../storage';

const ORIGIN = 'http://portal.test';
const { alice } = demoPeople;
const sam = { email: 'sam.contractor@gmail.com', name: 'Sam Rivera' };
let appDir: string;

beforeAll(async () => {
  appDir = await mkdtemp(join(tmpdir(), 'lc-portal-mailbox-'));
  await writeFile(join(appDir, 'index.html'), '<!doctype html><title>Portal</title>');
});
afterAll(async () => {
  await rm(appDir, { recursive: true, force: true });
});

async function setup() {
  const service = createLicenseContacts({ storage: memoryStorage(), invitations: 'otherDomains' });
  await seed(service, demoLicenseInputs);
  const mailbox = createMailbox();
  const notifier = createNotifier({ service, baseUrl: ORIGIN, send: mailbox.send, pollMs: 10 });
  const portal = createPortal({ service, appDir, mailbox, sessions: createSessions() });
  const call = (path: string, init: RequestInit = {}) => portal(new Request(`${ORIGIN}${path}`, init));
  const signIn = async (email: string) => {
    const response = await call('/auth/sign-in', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: ORIGIN },
      body: JSON.stringify({ email }),
    });
    const value = readCookie(response.headers.get('set-cookie')?.split(';')[0], SESSION_COOKIE);
    return `${SESSION_COOKIE}=${value}`;
  };
  return { service, mailbox, notifier, call, signIn };
}

describe('the development mailbox', () => {
  it('answers the signed-in person their own mail only, newest first, with links back into the portal', async () => {
    const { service, mailbox, notifier, call, signIn } = await setup();
    await vi.waitFor(async () => expect((await notifier.status()).holding).toBe(true));
    const invited = await service.as(alice).invite('SEN-4821337', { ...sam, roles: ['technical'] });
    // The notifier, a feed worker, mails the invitee.
    await vi.waitFor(() => expect(mailbox.of(sam.email)).toHaveLength(1));
    await notifier.stop();

    const samCookie = await signIn(sam.email);
    const response = await call('/dev/mailbox', { headers: { Cookie: samCookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { email: string; mails: CaughtMail[] };
    expect(body.email).toBe(sam.email);
    expect(body.mails).toHaveLength(1);
    expect(body.mails[0]).toMatchObject({ to: sam.email, kind: 'invitation', licenseId: 'SEN-4821337' });
    expect(body.mails[0]?.text).toContain(`${ORIGIN}/requests/${encodeURIComponent(invited.id)}`);

    // Alice was told nothing of her own invitation.
    const aliceCookie = await signIn(alice.email);
    const hers = (await (await call('/dev/mailbox', { headers: { Cookie: aliceCookie } })).json()) as {
      mails: CaughtMail[];
    };
    expect(hers.mails).toEqual([]);
  });

  it('keeps a mail once when its id comes again, and drops the oldest beyond its limit', async () => {
    const mailbox = createMailbox(2);
    const mail = (n: number) => ({
      id: `e${n}/sam@x.test`,
      to: 'sam@x.test',
      subject: `Mail ${n}`,
      text: '',
      html: '',
      licenseId: 'SEN-1',
      kind: 'added' as const,
    });
    await mailbox.send(mail(1));
    await mailbox.send(mail(1));
    expect(mailbox.of('sam@x.test').map((m) => m.subject)).toEqual(['Mail 1']);
    await mailbox.send(mail(2));
    await mailbox.send(mail(3));
    expect(mailbox.of('SAM@x.test').map((m) => m.subject)).toEqual(['Mail 3', 'Mail 2']);
  });

  it('answers 401 without a session and 405 to other methods; off without a mailbox', async () => {
    const { call, notifier } = await setup();
    await notifier.stop();
    expect((await call('/dev/mailbox')).status).toBe(401);
    const post = await call('/dev/mailbox', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const service = createLicenseContacts({ storage: memoryStorage() });
    const without = createPortal({ service, appDir });
    // Without a mailbox the path is only an app path (index.html), never mail.
    const answer = await without(new Request(`${ORIGIN}/dev/mailbox`));
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
