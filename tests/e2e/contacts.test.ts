import type { Browser, Page } from 'playwright-core';
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
  signOut,
} from './helpers';

// The seed gives Alice three licenses; on Jira Software she is the main technical contact, with Carol
// after her, and Bob is the only billing contact.
const ALICE = { name: 'Alice Johnson', email: 'alice@acme.test' };
const PRIYA = { name: 'Priya Patel', email: 'priya@acme.test' };

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  page = await openPortal(browser);
});
afterAll(async () => {
  await browser?.close();
});

describe('a technical contact hands a license over to a colleague', () => {
  it('signs in as Alice and expands Jira Software', async () => {
    await signInAs(page, ALICE.name, ALICE.email);
    expect(await licenseRows(page)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Jira Software SEN-4821337/)]),
    );
    const row = licenseRow(page, 'Jira Software', 'SEN-4821337');
    await row.click();
    expect(await row.getAttribute('aria-expanded')).toBe('true');
    const panel = page.getByRole('region', { name: 'Jira Software' });
    await panel.getByRole('heading', { name: 'Technical contacts' }).waitFor();
    await panel.getByRole('heading', { name: 'Billing contacts' }).waitFor();
    expect(await namesIn(page, 'Technical contacts')).toEqual(['Alice Johnson', 'Carol Nguyen']);
    await screenshot(page, 'e2e-01-alice-jira-expanded');
  });

  it('adds Priya as a technical and billing contact', async () => {
    await (await enabled(page.getByRole('button', { name: 'Add technical contact' }))).click();
    const dialog = page.getByRole('dialog', { name: 'Add contact' });
    await dialog.waitFor();
    await dialog.getByRole('textbox', { name: 'Email' }).fill(PRIYA.email);
    await dialog.getByRole('textbox', { name: 'Name' }).fill(PRIYA.name);
    expect(await dialog.getByRole('checkbox', { name: 'Technical contact' }).isChecked()).toBe(true);
    await dialog.getByRole('checkbox', { name: 'Billing contact' }).check();
    await screenshot(page, 'e2e-02-add-dialog');
    await dialog.getByRole('button', { name: 'Add contact' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .getByText(`${PRIYA.name} was added as a technical and billing contact`)
      .waitFor();
    expect(await namesIn(page, 'Technical contacts')).toEqual([
      'Alice Johnson',
      'Carol Nguyen',
      'Priya Patel',
    ]);
    expect(await namesIn(page, 'Billing contacts')).toEqual(['Bob Martinez', 'Priya Patel']);
  });

  it('promotes Priya to main billing contact', async () => {
    await (
      await enabled(page.getByRole('button', { name: 'Make Priya Patel main billing contact' }))
    ).click();
    await page.getByRole('status').getByText('Priya Patel is now the main billing contact').waitFor();
    expect(await namesIn(page, 'Billing contacts')).toEqual(['Priya Patel', 'Bob Martinez']);
    const main = page.getByRole('list', { name: 'Billing contacts' }).getByRole('listitem').first();
    expect(await main.getByText('Main', { exact: true }).count()).toBe(1);
  });

  it('removes Alice herself, naming Priya (not the next in line, Carol) as the new main technical contact', async () => {
    await (
      await enabled(page.getByRole('button', { name: 'Remove Alice Johnson from technical contacts' }))
    ).click();
    const dialog = page.getByRole('alertdialog', { name: 'Remove Alice Johnson?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('lose access');
    const successor = dialog.getByRole('combobox', { name: 'New main contact' });
    expect(await successor.locator('option').allTextContents()).toEqual([
      expect.stringContaining('Carol Nguyen'),
      expect.stringContaining('Priya Patel'),
    ]);
    await successor.selectOption(PRIYA.email);
    await screenshot(page, 'e2e-03-remove-self-successor');
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    // Alice held only the technical role here: the license leaves her list.
    await licenseRow(page, 'Jira Software', 'SEN-4821337').waitFor({ state: 'detached' });
    expect(await licenseRows(page)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^Jira Software/)]),
    );
  });

  it('shows the license to Priya as its main technical and billing contact', async () => {
    await signOut(page);
    await page.getByRole('textbox', { name: 'Email' }).fill(PRIYA.email);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText(`Signed in as ${PRIYA.email}`, { exact: true }).waitFor();
    expect(await licenseRows(page)).toEqual([expect.stringMatching(/^Jira Software SEN-4821337/)]);
    await licenseRow(page, 'Jira Software', 'SEN-4821337').click();
    await page.getByRole('region', { name: 'Jira Software' }).waitFor();
    expect(await namesIn(page, 'Technical contacts')).toEqual(['Priya Patel', 'Carol Nguyen']);
    expect(await namesIn(page, 'Billing contacts')).toEqual(['Priya Patel', 'Bob Martinez']);
    await screenshot(page, 'e2e-04-priya');
  });

  it('no longer shows it to Alice', async () => {
    await signOut(page);
    await signInAs(page, ALICE.name, ALICE.email);
    const rows = await licenseRows(page);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((row) => row.startsWith('Jira Software'))).toBe(false);
    // Asking for it directly answers as if it did not exist.
    const status = await page.evaluate(async () => (await fetch('/api/licenses/SEN-4821337')).status);
    expect(status).toBe(404);
  });
});
