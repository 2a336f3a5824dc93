import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, licenseRows, openPortal, screenshot, signInAs, signOut } from './helpers';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('sign-in and sessions', () => {
  it('shows an outsider No licenses', async () => {
    const page = await openPortal(browser);
    await signInAs(page, 'Mallory Outsider', 'mallory@initech.test');
    await page.getByRole('main').getByText('No licenses', { exact: true }).waitFor();
    expect(await licenseRows(page)).toEqual([]);
    await screenshot(page, 'session-outsider');
  });

  it('signs in any typed address, lower-cased, and reads the header as one text', async () => {
    const page = await openPortal(browser);
    await page.getByRole('textbox', { name: 'Email' }).fill('  New.Person@Example.test ');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const header = page
      .getByRole('banner')
      .getByText('Signed in as new.person@example.test', { exact: true });
    await header.waitFor();
    expect(await header.evaluate((el) => el.childNodes.length)).toBe(1);
    await page.getByText('No licenses', { exact: true }).waitFor();
  });

  it('refuses an invalid address on the sign-in page', async () => {
    const page = await openPortal(browser);
    const email = page.getByRole('textbox', { name: 'Email' });
    await email.fill('nobody');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await email.and(page.locator('[aria-invalid="true"]')).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  it('keeps the session in an HttpOnly, SameSite=Lax cookie the page cannot read', async () => {
    const page = await openPortal(browser);
    await signInAs(page, 'Bob Martinez', 'bob@acme.test');
    const cookies = await page.context().cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'lc_session', httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookies[0]?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    // The session survives a reload.
    await page.reload();
    await page.getByText('Signed in as bob@acme.test', { exact: true }).waitFor();
    expect((await licenseRows(page)).length).toBeGreaterThan(0);
  });

  it('ends the session on sign out: the API answers 401 again', async () => {
    const page = await openPortal(browser);
    await signInAs(page, 'Carol Nguyen', 'carol@acme.test');
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200);
    await signOut(page);
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  });

  it('takes the actor from the session, never from the request', async () => {
    const url = inject('portalUrl');
    expect((await fetch(`${url}/api/licenses`)).status).toBe(401);
    const forged = await fetch(`${url}/api/licenses`, {
      headers: {
        Cookie: 'lc_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'X-Actor': 'alice@acme.test',
      },
    });
    expect(forged.status).toBe(401);
    const crossSite = await fetch(`${url}/auth/sign-in`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
      body: JSON.stringify({ email: 'alice@acme.test' }),
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get('set-cookie')).toBeNull();
  });

  it('serves the app with content types and a fallback for client-side paths', async () => {
    const url = inject('portalUrl');
    const page = await fetch(`${url}/some/deep/link`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await fetch(`${url}${script}`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${url}${style}`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${url}/%2e%2e/package.json`)).status).toBe(404);
  });
});
