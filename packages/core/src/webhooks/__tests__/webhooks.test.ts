// @vitest-environment node
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts, LicenseContactsError, memoryStorage } from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import type { WebhookPayload, WebhookSender } from '@license-contacts/core/webhooks';
import { createWebhookSender, WEBHOOK_TYPES, webhookType } from '@license-contacts/core/webhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SECRET = `whsec_${Buffer.from('a secret of thirty-two bytes!!!!').toString('base64')}`;
const JIRA = 'SEN-4821337';
const { alice, dan } = demoPeople;

/** A delivery as the receiver saw it, verified twice: by svix and by the specification's own recipe. */
interface Received {
  id: string;
  payload: WebhookPayload;
  status: number;
}

/**
 * A webhook receiver on loopback that verifies every request with an independent Standard Webhooks
 * implementation (svix) and with node:crypto from the specification, refuses the first `failFirst`
 * attempts, and records how many requests ran at once.
 */
async function receiver(failFirst = 0) {
  const received: Received[] = [];
  let attempts = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  const svix = new SvixWebhook(SECRET);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      };
      let status = 204;
      try {
        const verified = svix.verify(body, headers) as WebhookPayload;
        const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
        const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
        const expected = createHmac('sha256', key).update(signed).digest();
        const given = Buffer.from(headers['webhook-signature'].split(',')[1] ?? '', 'base64');
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          throw new Error('bad signature');
        attempts++;
        if (attempts <= failFirst) status = 503;
        received.push({ id: headers['webhook-id'], payload: verified, status });
      } catch {
        status = 401;
      }
      setTimeout(() => {
        inFlight--;
        res.writeHead(status).end();
      }, 2);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return {
    url,
    received,
    delivered: () => received.filter((r) => r.status === 204),
    mostInFlight: () => mostInFlight,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function eventually(predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let service: LicenseContacts;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  service = createLicenseContacts({ storage: memoryStorage() });
  for (const input of demoLicenseInputs.slice(0, 2)) await service.createLicense(input);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function sender(options: Omit<Parameters<typeof createWebhookSender>[0], 'service'>): WebhookSender {
  const created = createWebhookSender({ service, retry: { initialMs: 10, maxMs: 40 }, ...options });
  cleanups.push(() => created.stop());
  return created;
}

describe('createWebhookSender', () => {
  it('delivers every entry, in order, signed per Standard Webhooks, even to a receiver failing its first attempts', async () => {
    const hooks = await receiver(3);
    cleanups.push(hooks.close);
    const webhooks = sender({ endpoints: [{ id: 'crm', url: hooks.url, secret: SECRET }] });
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    await service.as(alice).setMain(JIRA, 'technical', dan.email);
    const entries = (await service.changes()).items;
    await eventually(() => hooks.delivered().length === entries.length);
    expect(hooks.delivered().map((r) => r.id)).toEqual(entries.map((e) => e.id));
    // The three refused attempts were the first entry, sent again with the same webhook-id.
    expect(hooks.received.slice(0, 4).map((r) => [r.id, r.status])).toEqual([
      [entries[0]?.id, 503],
      [entries[0]?.id, 503],
      [entries[0]?.id, 503],
      [entries[0]?.id, 204],
    ]);
    const last = hooks.delivered().at(-1)?.payload;
    expect(last).toEqual({ type: 'main.changed', timestamp: entries.at(-1)?.at, data: entries.at(-1) });
    expect(hooks.mostInFlight()).toBe(1);
    // The cursor moves once the receiver's answer is in: a moment after the receiver saw the request.
    let status = (await webhooks.status())[0];
    for (let i = 0; i < 100 && status?.lag !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      status = (await webhooks.status())[0];
    }
    expect(status).toMatchObject({ id: 'crm', url: hooks.url, lag: 0, cursor: entries.at(-1)?.seq });
    expect(status?.lastError?.message).toContain('HTTP 503');
  });

  it('sends only the types an endpoint asked for, and each endpoint at its own pace', async () => {
    const all = await receiver();
    const some = await receiver();
    cleanups.push(all.close, some.close);
    sender({
      endpoints: [
        { id: 'all', url: all.url, secret: SECRET },
        { id: 'some', url: some.url, secret: SECRET, actions: ['contact.added'] },
      ],
    });
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    await service.as(alice).setMain(JIRA, 'technical', dan.email);
    await eventually(() => all.delivered().length === 4 && some.delivered().length === 1);
    expect(all.delivered().map((r) => r.payload.type)).toEqual([
      'license.created',
      'license.created',
      'contact.added',
      'main.changed',
    ]);
    expect(some.delivered().map((r) => r.payload.data.email)).toEqual([dan.email]);
  });

  it('gives up on a receiver that does not answer within timeoutMs, retries, and delivers once it answers', async () => {
    let silent = true;
    const seen: string[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (silent) return; // no answer at all: the sender's timeout has to end the attempt
        seen.push(String(req.headers['webhook-id']));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve()).closeAllConnections()));
    const errors: string[] = [];
    sender({
      endpoints: [
        { id: 'slow', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, secret: SECRET },
      ],
      timeoutMs: 100,
      onError: (error) => errors.push((error as Error).message),
    });
    await eventually(() => errors.length >= 2);
    expect(errors[0]).toMatch(/did not complete: no answer within 100 ms/);
    silent = false;
    const entries = (await service.changes()).items;
    await eventually(() => seen.length >= entries.length);
    expect([...new Set(seen)]).toEqual(entries.map((e) => e.id));
  });

  it('posts through the fetch it is given, with the same signed request', async () => {
    const hooks = await receiver();
    cleanups.push(hooks.close);
    let calls = 0;
    sender({
      endpoints: [{ id: 'viaFetch', url: hooks.url, secret: SECRET }],
      fetch: (input, init) => {
        calls++;
        return globalThis.fetch(input, init);
      },
    });
    const entries = (await service.changes()).items;
    await eventually(() => hooks.delivered().length === entries.length);
    expect(hooks.delivered().map((r) => r.id)).toEqual(entries.map((e) => e.id));
    expect(calls).toBe(entries.length);
  });

  it('names each entry type', () => {
    expect(
      ['createLicense', 'addContact', 'removeContact', 'setMain', 'replaceContact', 'invite'].map((action) =>
        webhookType({ action: action as never }),
      ),
    ).toEqual([
      'license.created',
      'contact.added',
      'contact.removed',
      'main.changed',
      'contact.replaced',
      'license.invite',
    ]);
  });

  it('names an accepted invitation contact.added and an accepted transfer main.changed, as an endpoint filters them', async () => {
    const gina = { email: 'gina@partner.test', name: 'Gina Partner' };
    const invitation = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    await service.as(gina).acceptRequest(invitation.id);
    const transfer = await service.as(gina).requestTransfer(JIRA, 'technical', gina.email);
    await service.as(alice).acceptRequest(transfer.id);
    const entries = (await service.changes()).items.slice(-4);
    expect(entries.map((entry) => [entry.action, webhookType(entry)])).toEqual([
      ['invite', 'license.invite'],
      ['acceptRequest', 'contact.added'],
      ['requestTransfer', 'license.requestTransfer'],
      ['acceptRequest', 'main.changed'],
    ]);
    for (const type of entries.map(webhookType)) expect(WEBHOOK_TYPES).toContain(type);

    const hooks = await receiver();
    cleanups.push(hooks.close);
    sender({
      endpoints: [{ id: 'crm', url: hooks.url, secret: SECRET, actions: ['contact.added', 'main.changed'] }],
    });
    await eventually(() => hooks.delivered().some((r) => r.id === entries[3]?.id));
    const told = hooks.delivered().map((r) => r.id);
    expect(told).toContain(entries[1]?.id);
    expect(told).not.toContain(entries[0]?.id);
    expect(told).not.toContain(entries[2]?.id);
  });

  it('refuses an actions list naming a type no entry has (a misspelt one would never match)', () => {
    const endpoint = {
      id: 'crm',
      url: 'https://crm.example/hooks',
      secret: SECRET,
      actions: ['contact.addded'],
    };
    expect(() => createWebhookSender({ service, endpoints: [endpoint] })).toThrow(
      expect.objectContaining({ code: 'VALIDATION', field: 'endpoints.0.actions' }),
    );
    sender({ endpoints: [{ ...endpoint, actions: [...WEBHOOK_TYPES] }] });
  });

  it('refuses an endpoint that is not http(s), a secret that is not whsec_, and other bad input, with VALIDATION', () => {
    const ok = { id: 'crm', url: 'https://crm.example/hooks', secret: SECRET };
    const cases: [object, string][] = [
      [{ ...ok, url: 'ftp://crm.example/hooks' }, 'endpoints.0.url'],
      [{ ...ok, url: 'javascript:alert(1)' }, 'endpoints.0.url'],
      [{ ...ok, url: 'not a url' }, 'endpoints.0.url'],
      [{ ...ok, secret: 'sk_live_123' }, 'endpoints.0.secret'],
      [{ ...ok, secret: 'whsec_not base64!' }, 'endpoints.0.secret'],
      [{ ...ok, id: '' }, 'endpoints.0.id'],
      [{ ...ok, actions: ['DROP TABLE'] }, 'endpoints.0.actions'],
    ];
    for (const [endpoint, field] of cases) {
      let error: unknown;
      try {
        createWebhookSender({ service, endpoints: [endpoint as never] });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LicenseContactsError);
      expect(error).toMatchObject({ code: 'VALIDATION', field });
    }
    expect(() => createWebhookSender({ service, endpoints: [ok, ok] })).toThrow(/twice/);
  });
});
