import { demoPeople } from '@license-contacts/core/fixtures';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enabled,
  launchChromium,
  licenseRow,
  licenseRows,
  namesIn,
  openPortal,
  screenshot,
  signInAs,
} from './helpers';
import { buildExample, startExample } from './nextjs-server';
import type { StartedServer } from './processes';

// The Next.js example (examples/nextjs), built with `next build` and served by `next start` on
// 127.0.0.1: the library's handler in a route handler, the portal's cookie sign-in, the kit on a
// client page and on a server-rendered page. Next.js reports every request.url as localhost, so the
// browser's changes pass only because the same-origin check compares Origin with the Host it addressed.

const ALICE = demoPeople.alice;
const PRIYA = { name: 'Priya Patel', email: 'priya@acme.test' };
const JIRA = { product: 'Jira Software', id: 'SEN-4821337' };
/** Another site whose pages may change contacts (ALLOWED_ORIGINS). */
const SHOP = 'https://shop.example.test';

/** Signs in over HTTP as `email` with these headers; answers the status and the session cookie. */
async function signInOverHttp(url: string, email: string, headers: Record<string, string>) {
  const response = await fetch(`${url}/auth/sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ email }),
  });
  return { status: response.status, cookie: response.headers.get('set-cookie')?.split(';')[0] ?? '' };
}

/** Asks for a dry-run replacement (a mutation that changes nothing) with these headers; answers the status. */
async function replaceOverHttp(url: string, cookie: string, headers: Record<string, string>) {
  const response = await fetch(`${url}/api/replacements`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie, ...headers },
    body: JSON.stringify({
      email: 'bob@acme.test',
      successor: { email: 'dan@acme.test', name: 'Dan' },
      dryRun: true,
    }),
  });
  return response.status;
}

let example: StartedServer;
let browser: Browser;
let page: Page;
/** Console errors and warnings, uncaught errors, and anything about hydration, from every page. */
const problems: string[] = [];

function watch(target: Page): void {
  target.on('console', (message: ConsoleMessage) => {
    const text = message.text();
    if (message.type() === 'error' || message.type() === 'warning' || /hydrat/i.test(text)) {
      problems.push(`${message.type()}: ${text}`);
    }
  });
  target.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
}

beforeAll(async () => {
  await buildExample();
  example = await startExample({ env: { ALLOWED_ORIGINS: SHOP } });
  browser = await launchChromium();
  page = await openPortal(browser, example.url);
  watch(page);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

describe('the Next.js example behind a proxy (TRUST_PROXY=1)', () => {
  it('compares Origin with X-Forwarded-Host and -Proto, and refuses what does not match them', async () => {
    const proxied = await startExample({ env: { TRUST_PROXY: '1' } });
    try {
      const forwarded = { 'X-Forwarded-Host': 'portal.example.test', 'X-Forwarded-Proto': 'https' };
      const signIn = await signInOverHttp(proxied.url, ALICE.email, {
        ...forwarded,
        Origin: 'https://portal.example.test',
      });
      expect(signIn.status).toBe(200);
      expect(
        await replaceOverHttp(proxied.url, signIn.cookie, {
          ...forwarded,
          Origin: 'https://portal.example.test',
        }),
      ).toBe(200);
      // The host the proxy reached is not the public origin any more.
      expect(await replaceOverHttp(proxied.url, signIn.cookie, { ...forwarded, Origin: proxied.url })).toBe(
        403,
      );
    } finally {
      await proxied.stop();
    }
  });
});

describe('the Next.js example', () => {
  it('signs Alice in at 127.0.0.1 with the cookie sign-in and lists her licenses on the client page', async () => {
    expect(new URL(page.url()).hostname).toBe('127.0.0.1');
    await signInAs(page, ALICE.name, ALICE.email);
    expect(new URL(page.url()).pathname).toBe('/licenses');
    expect(await licenseRows(page)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Jira Software SEN-4821337/)]),
    );
    await licenseRow(page, JIRA.product, JIRA.id).click();
    await page.getByRole('region', { name: JIRA.product }).waitFor();
    expect(await namesIn(page, 'Technical contacts')).toEqual(['Alice Johnson', 'Carol Nguyen']);
  });

  it('adds Priya as a technical contact through the route handler', async () => {
    await (await enabled(page.getByRole('button', { name: 'Add technical contact' }))).click();
    const dialog = page.getByRole('dialog', { name: 'Add contact' });
    await dialog.getByRole('textbox', { name: 'Email' }).fill(PRIYA.email);
    await dialog.getByRole('textbox', { name: 'Name' }).fill(PRIYA.name);
    await dialog.getByRole('button', { name: 'Add contact' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText(`${PRIYA.name} was added as a technical contact`).waitFor();
    expect(await namesIn(page, 'Technical contacts')).toEqual([
      'Alice Johnson',
      'Carol Nguyen',
      'Priya Patel',
    ]);
  });

  it('server-renders the license with the contacts in its HTML', async () => {
    const response = await page.request.get(`${example.url}/licenses/${JIRA.id}`);
    expect(response.status()).toBe(200);
    const html = await response.text();
    for (const text of ['Technical contacts', 'Billing contacts', 'Carol Nguyen', 'Priya Patel']) {
      expect(html).toContain(text);
    }
  });

  it('hydrates the server-rendered page, promotes Priya and removes Carol there', async () => {
    await page.goto(`${example.url}/licenses/${JIRA.id}`);
    await page.getByRole('heading', { name: JIRA.product, level: 1 }).waitFor();
    await (
      await enabled(page.getByRole('button', { name: 'Make Priya Patel main technical contact' }))
    ).click();
    await page.getByRole('status').getByText('Priya Patel is now the main technical contact').waitFor();
    expect(await namesIn(page, 'Technical contacts')).toEqual([
      'Priya Patel',
      'Alice Johnson',
      'Carol Nguyen',
    ]);

    await (
      await enabled(page.getByRole('button', { name: 'Remove Carol Nguyen from technical contacts' }))
    ).click();
    const dialog = page
      .getByRole('alertdialog', { name: 'Remove Carol Nguyen?' })
      .or(page.getByRole('dialog', { name: 'Remove Carol Nguyen?' }));
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await namesIn(page, 'Technical contacts')).toEqual(['Priya Patel', 'Alice Johnson']);
    await screenshot(page, 'nextjs-server-rendered');
  });

  it('keeps the changes: a new server render shows them', async () => {
    await page.reload();
    await page.getByRole('heading', { name: JIRA.product, level: 1 }).waitFor();
    expect(await namesIn(page, 'Technical contacts')).toEqual(['Priya Patel', 'Alice Johnson']);
  });

  it('accepts changes from ALLOWED_ORIGINS, refuses other origins, and ignores X-Forwarded-Host without TRUST_PROXY', async () => {
    const host = new URL(example.url).host;
    const { cookie } = await signInOverHttp(example.url, ALICE.email, { Origin: example.url });
    expect(await replaceOverHttp(example.url, cookie, { Origin: SHOP })).toBe(200);
    expect((await signInOverHttp(example.url, ALICE.email, { Origin: SHOP })).status).toBe(200);
    expect(await replaceOverHttp(example.url, cookie, { Origin: 'https://evil.test' })).toBe(403);
    const forwarded = {
      Origin: 'https://portal.example.test',
      'X-Forwarded-Host': 'portal.example.test',
      'X-Forwarded-Proto': 'https',
    };
    expect(await replaceOverHttp(example.url, cookie, forwarded)).toBe(403);
    expect((await signInOverHttp(example.url, ALICE.email, forwarded)).status).toBe(403);
    expect(host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('logged no console error, no warning and no hydration mismatch', () => {
    expect(problems).toEqual([]);
    expect(example.log()).not.toMatch(/error/i);
  });
});
