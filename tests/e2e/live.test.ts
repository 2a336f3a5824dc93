import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enabled, launchChromium, licenseRow, licenseRows, namesIn, openPortal, signInAs } from './helpers';

// Two browser contexts (two people, each with their own session cookie) on the same portal: what one
// changes reaches the other's open page over GET /api/events, without a reload.
const QUINN = { email: 'quinn.park@acme.test', name: 'Quinn Park' };
const ROSA = { email: 'rosa.diaz@acme.test', name: 'Rosa Diaz' };

let browser: Browser;
let alice: Page;
let quinn: Page;

/** Marks the page's document, so a test can tell it was never reloaded. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { liveMark: string }).liveMark = 'still the same document';
  });
}

async function stillMarked(page: Page): Promise<boolean> {
  return page.evaluate(
    () => (window as unknown as { liveMark?: string }).liveMark === 'still the same document',
  );
}

/** Adds a person to the open Confluence panel of `page` through the add dialog. */
async function addContact(page: Page, role: 'technical' | 'billing', person: typeof QUINN): Promise<void> {
  const panel = page.getByRole('region', { name: 'Confluence' });
  await (await enabled(panel.getByRole('button', { name: `Add ${role} contact` }))).click();
  const dialog = page.getByRole('dialog', { name: 'Add contact' });
  await dialog.getByRole('textbox', { name: 'Email' }).fill(person.email);
  await dialog.getByRole('textbox', { name: 'Name' }).fill(person.name);
  await dialog.getByRole('button', { name: 'Add contact' }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** Removes a person's role through the remove dialog of the open Confluence panel of `page`. */
async function removeContact(page: Page, role: 'technical' | 'billing', name: string): Promise<void> {
  const panel = page.getByRole('region', { name: 'Confluence' });
  await (await enabled(panel.getByRole('button', { name: `Remove ${name} from ${role} contacts` }))).click();
  const dialog = page.getByRole('alertdialog', { name: `Remove ${name}?` });
  await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('live screens: two people on the portal at once', () => {
  it('shows Quinn the license Alice adds them to, on the open page', async () => {
    alice = await openPortal(browser);
    await signInAs(alice, 'Alice Johnson', 'alice@acme.test');
    await licenseRow(alice, 'Confluence', 'SEN-5550142').click();
    await alice.getByRole('region', { name: 'Confluence' }).waitFor();

    quinn = await openPortal(browser);
    await quinn.getByRole('textbox', { name: 'Email' }).fill(QUINN.email);
    await quinn.getByRole('button', { name: 'Sign in', exact: true }).click();
    await quinn.getByText(`Signed in as ${QUINN.email}`, { exact: true }).waitFor();
    expect(await licenseRows(quinn)).toEqual([]);
    await mark(quinn);

    await addContact(alice, 'technical', QUINN);

    await licenseRow(quinn, 'Confluence', 'SEN-5550142').waitFor();
    expect(await stillMarked(quinn)).toBe(true);
  });

  it("shows each one's change on the other's open panel, and announces it politely", async () => {
    await licenseRow(quinn, 'Confluence', 'SEN-5550142').click();
    await quinn.getByRole('region', { name: 'Confluence' }).waitFor();
    await mark(alice);

    await addContact(alice, 'billing', ROSA);

    await quinn
      .getByRole('list', { name: 'Billing contacts' })
      .getByRole('listitem')
      .filter({ hasText: ROSA.name })
      .waitFor();
    await quinn
      .getByRole('status')
      .getByText('Confluence SEN-5550142: Alice Johnson added Rosa Diaz as a billing contact', {
        exact: true,
      })
      .waitFor();
    expect(await quinn.getByRole('status').getAttribute('aria-live')).toBe('polite');

    await removeContact(quinn, 'billing', ROSA.name);

    await alice
      .getByRole('list', { name: 'Billing contacts' })
      .getByRole('listitem')
      .filter({ hasText: ROSA.name })
      .waitFor({ state: 'detached' });
    expect(await namesIn(alice, 'Billing contacts')).not.toContain(ROSA.name);
    await alice
      .getByRole('status')
      .getByText('Confluence SEN-5550142: Quinn Park removed Rosa Diaz from the billing contacts', {
        exact: true,
      })
      .waitFor();
    expect(await stillMarked(alice)).toBe(true);
    expect(await stillMarked(quinn)).toBe(true);
  });

  it('takes the license out of Quinn’s list at once when Alice removes them, and says so', async () => {
    await removeContact(alice, 'technical', QUINN.name);

    await licenseRow(quinn, 'Confluence', 'SEN-5550142').waitFor({ state: 'detached' });
    await quinn.getByRole('region', { name: 'Confluence' }).waitFor({ state: 'detached' });
    await quinn
      .getByRole('status')
      .getByText('You no longer have access to Confluence SEN-5550142', { exact: true })
      .waitFor();
    expect(await licenseRows(quinn)).toEqual([]);
    expect(await stillMarked(quinn)).toBe(true);
  });
});
