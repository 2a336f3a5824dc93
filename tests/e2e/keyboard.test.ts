import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enabled, launchChromium, licenseRow, openPortal } from './helpers';

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  page = await openPortal(browser);
});
afterAll(async () => {
  await browser?.close();
});

/** The accessible name of the focused element, as the browser computes it. */
async function focusedName(): Promise<{ role: string; name: string }> {
  const snapshot = await page.locator('*:focus').ariaSnapshot();
  const match = /^- (\w+) "([^"]*)"/.exec(snapshot.trim());
  return { role: match?.[1] ?? snapshot, name: match?.[2] ?? '' };
}

describe('the add flow by keyboard alone', () => {
  it('signs in, expands Confluence and opens the add dialog with the keyboard', async () => {
    const signIn = page.getByRole('button', { name: 'Sign in as Alice Johnson', exact: true });
    await signIn.focus();
    await page.keyboard.press('Enter');
    await page.getByText('Signed in as alice@acme.test', { exact: true }).waitFor();
    const row = licenseRow(page, 'Confluence', 'SEN-5550142');
    await row.focus();
    await page.keyboard.press('Enter');
    expect(await row.getAttribute('aria-expanded')).toBe('true');
    const add = await enabled(
      page.getByRole('region', { name: 'Confluence' }).getByRole('button', { name: 'Add technical contact' }),
    );
    await add.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Add contact' }).waitFor();
  });

  it('starts in Email, moves to Name with Tab, and adds the contact with Enter', async () => {
    const dialog = page.getByRole('dialog', { name: 'Add contact' });
    expect(await focusedName()).toEqual({ role: 'textbox', name: 'Email' });
    await page.keyboard.type('sam.lee@acme.test');
    await page.keyboard.press('Tab');
    expect(await focusedName()).toEqual({ role: 'textbox', name: 'Name' });
    await page.keyboard.type('Sam Lee');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('Sam Lee was added as a technical contact').waitFor();
    const technical = page.getByRole('list', { name: 'Technical contacts' });
    expect(await technical.getByRole('listitem').last().textContent()).toContain('sam.lee@acme.test');
    // Focus returns to the button that opened the dialog.
    expect(await focusedName()).toEqual({ role: 'button', name: 'Add technical contact' });
  });

  it('keeps the dialog open and marks Email invalid when the address is refused', async () => {
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add contact' });
    await dialog.waitFor();
    await page.keyboard.type('not an address');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Nobody');
    await page.keyboard.press('Enter');
    const email = dialog.getByRole('textbox', { name: 'Email' });
    await email.and(page.locator('[aria-invalid="true"]')).waitFor();
    expect(await dialog.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});
