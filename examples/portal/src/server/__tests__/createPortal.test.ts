// @vitest-environment node
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLicenseContacts, memoryStorage } from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/fixtures';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPortal } from '../createPortal';
import { createSessions, readCookie, SESSION_COOKIE } from '../sessions';
import { seed } from '../storage';

const ORIGIN = 'http://portal.test';
let appDir: string;
let portal: (request: Request) => Promise<Response>;
let now = 0;

beforeAll(async () => {
  appDir = await mkdtemp(join(tmpdir(), 'lc-portal-app-'));
  await mkdir(join(appDir, 'assets'));
  await writeFile(join(appDir, 'index.html'), '<!doctype html><title>Portal</title>');
  await writeFile(join(appDir, 'assets', 'app-1234.js'), 'console.log(1)');
  await writeFile(join(appDir, 'assets', 'app-1234.css'), 'body{}');
  await writeFile(join(appDir, 'assets', 'app-1234.js.map'), '{"version":3,"sources":["../src/secret.ts"]}');
});
afterAll(async () => {
  await rm(appDir, { recursive: true, force: true });
});
beforeEach(async () => {
  const service = createLicenseContacts({ storage: memoryStorage() });
  await seed(service, demoLicenseInputs);
  now = 1_000_000;
  portal = createPortal({
    service,
    appDir,
    demoPeople: Object.values(demoPeople),
    sessions: createSessions({ ttlMs: 60_000, now: () => now }),
  });
});

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return portal(new Request(`${ORIGIN}${path}`, init));
}

function signIn(email: string, headers: Record<string, string> = {}): Promise<Response> {
  return call('/auth/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: ORIGIN, ...headers },
    body: JSON.stringify({ email }),
  });
}

/** The `Cookie` header a browser would send back after `response`. */
function cookieOf(response: Response): string {
  const value = readCookie(response.headers.get('set-cookie')?.split(';')[0], SESSION_COOKIE);
  return `${SESSION_COOKIE}=${value}`;
}

describe('createPortal sessions', () => {
  it('answers who is signed in (nobody) and the demo people', async () => {
    const response = await call('/auth/session');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(body.email).toBeNull();
    expect(body.people[0]).toEqual(demoPeople.alice);
    expect(body.people).toHaveLength(Object.keys(demoPeople).length);
  });

  it('signs in with an HttpOnly, SameSite=Lax cookie holding a random id, and the API acts for that person', async () => {
    const response = await signIn('  Alice@ACME.test ');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ email: 'alice@acme.test' });
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^lc_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=60$/);
    const cookie = cookieOf(response);
    expect(await (await call('/auth/session', { headers: { cookie } })).json()).toMatchObject({
      email: 'alice@acme.test',
    });
    const me = await call('/api/me', { headers: { cookie } });
    expect(await me.json()).toMatchObject({ email: 'alice@acme.test', staff: false });
    const list = await (await call('/api/licenses', { headers: { cookie } })).json();
    expect(list.items.map((l: { id: string }) => l.id)).toEqual([
      'SEN-3141592',
      'SEN-4821337',
      'SEN-5550142',
    ]);
  });

  it("signs in with the core's parser: compatibility characters folded (R14), invisible ones refused", async () => {
    const kelvin = await signIn('\u212Aelly@ａｃｍｅ.test');
    expect(await kelvin.json()).toEqual({ email: 'kelly@acme.test' });
    const wide = await signIn('ａｌｉｃｅ@ａｃｍｅ.test');
    expect(await wide.json()).toEqual({ email: 'alice@acme.test' });
    const list = await (await call('/api/licenses', { headers: { cookie: cookieOf(wide) } })).json();
    expect(list.items.length).toBeGreaterThan(0);
    const hidden = await signIn('alice\u200B@acme.test');
    expect(hidden.status).toBe(422);
    expect(hidden.headers.get('set-cookie')).toBeNull();
  });

  it('gives two sign-ins of the same person different session ids', async () => {
    expect(cookieOf(await signIn('bob@acme.test'))).not.toBe(cookieOf(await signIn('bob@acme.test')));
  });

  it('answers 401 without a session, with an unknown one, and after it expired', async () => {
    expect((await call('/api/me')).status).toBe(401);
    const forged = `${SESSION_COOKIE}=${'A'.repeat(43)}`;
    expect((await call('/api/me', { headers: { cookie: forged } })).status).toBe(401);
    const cookie = cookieOf(await signIn('carol@acme.test'));
    now += 60_001;
    expect((await call('/api/me', { headers: { cookie } })).status).toBe(401);
  });

  it('refuses an invalid address with VALIDATION and sets no cookie', async () => {
    const response = await signIn('not an address');
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION', field: 'email' });
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('refuses cross-site sign-ins, bodies that are not JSON, and other methods', async () => {
    expect((await signIn('alice@acme.test', { Origin: 'https://evil.test' })).status).toBe(403);
    expect((await signIn('alice@acme.test', { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    const form = await call('/auth/sign-in', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'email=alice%40acme.test',
    });
    expect(form.status).toBe(415);
    const broken = await call('/auth/sign-in', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    });
    expect(broken.status).toBe(400);
    const huge = await call('/auth/sign-in', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'alice@acme.test', padding: 'x'.repeat(10_000) }),
    });
    expect(huge.status).toBe(413);
    expect(huge.headers.get('set-cookie')).toBeNull();
    const get = await call('/auth/sign-in');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('compares Origin with the Host the browser addressed, not with a rewritten request URL', async () => {
    const signInAt = (url: string, headers: Record<string, string>) =>
      portal(
        new Request(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...headers },
          body: JSON.stringify({ email: 'alice@acme.test' }),
        }),
      );
    const browser = { Host: 'portal.example.com', Origin: 'https://portal.example.com' };
    expect((await signInAt('http://localhost:3000/auth/sign-in', browser)).status).toBe(200);
    const absolute = { Host: 'portal.example.com', Origin: 'http://evil.test' };
    expect((await signInAt('http://evil.test/auth/sign-in', absolute)).status).toBe(403);
    const proxied = { ...browser, Host: '127.0.0.1:3000', 'X-Forwarded-Host': 'portal.example.com' };
    expect((await signInAt('http://127.0.0.1:3000/auth/sign-in', proxied)).status).toBe(403);
    portal = createPortal({ service: createLicenseContacts(), appDir, trustProxy: true });
    expect((await signInAt('http://127.0.0.1:3000/auth/sign-in', proxied)).status).toBe(200);
  });

  it('ends the previous session of a browser that signs in again', async () => {
    const first = cookieOf(await signIn('alice@acme.test'));
    const again = await signIn('bob@acme.test', { cookie: first });
    expect(again.status).toBe(200);
    const second = cookieOf(again);
    expect((await call('/api/me', { headers: { cookie: first } })).status).toBe(401);
    expect(await (await call('/api/me', { headers: { cookie: second } })).json()).toMatchObject({
      email: 'bob@acme.test',
    });
    // A refused sign-in changes nothing: the session in place stays.
    expect((await signIn('not an address', { cookie: second })).status).toBe(422);
    expect((await call('/api/me', { headers: { cookie: second } })).status).toBe(200);
  });

  it('reads the sign-in body with the core reader: UTF-8 JSON only, bad bytes refused', async () => {
    const send = (type: string, body: BodyInit) =>
      call('/auth/sign-in', { method: 'POST', headers: { 'Content-Type': type, Origin: ORIGIN }, body });
    const utf16 = await send(
      'application/json; charset=utf-16',
      JSON.stringify({ email: 'alice@acme.test' }),
    );
    expect(utf16.status).toBe(415);
    const badBytes = new Uint8Array([
      ...new TextEncoder().encode('{"email":"'),
      0xff,
      ...new TextEncoder().encode('@acme.test"}'),
    ]);
    const bad = await send('application/json', badBytes);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('set-cookie')).toBeNull();
  });

  it('reads and guards a body exactly as the API does: one reader, one same-origin check', async () => {
    const cookie = cookieOf(await signIn('alice@acme.test'));
    const bytes = (text: string) => new TextEncoder().encode(text);
    const cases: [Record<string, string>, BodyInit][] = [
      [{ 'Content-Type': 'text/plain' }, '{"email":"x@acme.test"}'],
      [{ 'Content-Type': 'application/json; charset=latin1' }, '{"email":"x@acme.test"}'],
      [
        { 'Content-Type': 'application/json' },
        new Uint8Array([...bytes('{"email":"'), 0xc3, 0x28, ...bytes('"}')]),
      ],
      [{ 'Content-Type': 'application/json' }, ''],
      [{ 'Content-Type': 'application/json' }, '{"email":'],
      [{ 'Content-Type': 'application/json', Origin: 'https://evil.test' }, '{"email":"x@acme.test"}'],
      [{ 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' }, '{"email":"x@acme.test"}'],
      [{ 'Content-Type': 'application/json', Host: 'portal.test', Origin: 'http://portal.test:1' }, '{}'],
    ];
    for (const [headers, body] of cases) {
      const portalAnswer = await call('/auth/sign-in', {
        method: 'POST',
        headers: { cookie, ...headers },
        body,
      });
      const apiAnswer = await call('/api/replacements', {
        method: 'POST',
        headers: { cookie, ...headers },
        body,
      });
      const code = async (response: Response) => ((await response.json()) as { code: string }).code;
      expect({ headers, portal: await code(portalAnswer) }).toEqual({
        headers,
        portal: await code(apiAnswer),
      });
    }
  });

  it('sends X-Content-Type-Options: nosniff on every answer, /auth included', async () => {
    const cookie = cookieOf(await signIn('dan@acme.test'));
    const answers = [
      await call('/auth/session'),
      await call('/auth/session', { method: 'POST' }),
      await signIn('erin@acme.test'),
      await signIn('nobody'),
      await signIn('alice@acme.test', { Origin: 'https://evil.test' }),
      await call('/auth/sign-in'),
      await call('/auth/sign-out', { method: 'POST', headers: { cookie, Origin: ORIGIN } }),
      await call('/api/me'),
      await call('/'),
      await call('/assets/app-1234.js'),
      await call('/assets/missing.js'),
    ];
    for (const answer of answers) expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('signs out: the cookie is cleared and the session forgotten', async () => {
    const cookie = cookieOf(await signIn('dan@acme.test'));
    const out = await call('/auth/sign-out', { method: 'POST', headers: { cookie, Origin: ORIGIN } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^lc_session=; .*Max-Age=0/);
    expect((await call('/api/me', { headers: { cookie } })).status).toBe(401);
  });

  it('refuses a cross-site sign-out and keeps the session', async () => {
    const cookie = cookieOf(await signIn('dan@acme.test'));
    const out = await call('/auth/sign-out', {
      method: 'POST',
      headers: { cookie, Origin: 'https://evil.test' },
    });
    expect(out.status).toBe(403);
    expect((await call('/api/me', { headers: { cookie } })).status).toBe(200);
  });
});

describe('createPortal static files', () => {
  it('serves files with their content types, hashed assets cached for good', async () => {
    const js = await call('/assets/app-1234.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1)');
    expect((await call('/assets/app-1234.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers app paths with index.html, with a Content-Security-Policy', async () => {
    for (const path of ['/', '/licenses/SEN-4821337', '/deep/link/']) {
      const page = await call(path);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await page.text()).toContain('<title>Portal</title>');
    }
  });

  it('never serves source maps', async () => {
    const map = await call('/assets/app-1234.js.map');
    expect(map.status).toBe(404);
    expect(await map.text()).not.toContain('secret');
  });

  it('answers 404 for missing files and paths outside the app folder', async () => {
    expect((await call('/assets/missing.js')).status).toBe(404);
    expect((await call('/%2e%2e/%2e%2e/etc/passwd.txt')).status).toBe(404);
    expect((await call('/..%2f..%2fpackage.json')).status).toBe(404);
  });

  it('answers HEAD without a body and other methods with 405', async () => {
    const head = await call('/assets/app-1234.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await call('/', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
  });
});

describe('seed', () => {
  it('creates the demo licenses once and leaves later changes alone', async () => {
    const service = createLicenseContacts({ storage: memoryStorage() });
    expect(await seed(service, demoLicenseInputs)).toBe(demoLicenseInputs.length);
    await service.as(demoPeople.alice).addContact('SEN-4821337', { ...demoPeople.dan, roles: ['technical'] });
    expect(await seed(service, demoLicenseInputs)).toBe(0);
    expect((await service.findLicense('SEN-4821337'))?.technical).toContain(demoPeople.dan.email);
  });
});
