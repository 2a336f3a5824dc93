import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  enabled,
  expectNoAxeViolations,
  launchChromium,
  licenseRow,
  openPortal,
  screenshot,
  signInAs,
} from './helpers';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('axe-core finds no violations', () => {
  let page: Page;

  it('on the sign-in page', async () => {
    page = await openPortal(browser);
    await expectNoAxeViolations(page, 'the sign-in page');
    await screenshot(page, 'a11y-sign-in');
  });

  it('on the licenses page with a license expanded', async () => {
    await signInAs(page, 'Alice Johnson', 'alice@acme.test');
    await licenseRow(page, 'Bitbucket', 'SEN-3141592').click();
    const panel = page.getByRole('region', { name: 'Bitbucket' });
    await enabled(panel.getByRole('button', { name: 'Add technical contact' }));
    await expectNoAxeViolations(page, 'the licenses page');
    await screenshot(page, 'a11y-licenses');
  });

  it('in the add dialog', async () => {
    const panel = page.getByRole('region', { name: 'Bitbucket' });
    await panel.getByRole('button', { name: 'Add billing contact' }).click();
    await page.getByRole('dialog', { name: 'Add contact' }).waitFor();
    await expectNoAxeViolations(page, 'the add dialog');
    await screenshot(page, 'a11y-add-dialog');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog', { name: 'Add contact' }).waitFor({ state: 'detached' });
  });

  it('in the remove dialog', async () => {
    const panel = page.getByRole('region', { name: 'Bitbucket' });
    await (
      await enabled(panel.getByRole('button', { name: 'Remove Alice Johnson from billing contacts' }))
    ).click();
    const dialog = page.getByRole('alertdialog', { name: 'Remove Alice Johnson?' });
    await dialog.waitFor();
    await expectNoAxeViolations(page, 'the remove dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('on the page of someone without licenses', async () => {
    const outsider = await openPortal(browser);
    await signInAs(outsider, 'Mallory Outsider', 'mallory@initech.test');
    await outsider.getByText('No licenses', { exact: true }).waitFor();
    await expectNoAxeViolations(outsider, 'the empty licenses page');
  });

  it('in dark mode', async () => {
    const context = await browser.newContext({ colorScheme: 'dark' });
    const dark = await context.newPage();
    await dark.goto(inject('portalUrl'));
    await signInAs(dark, 'Alice Johnson', 'alice@acme.test');
    await licenseRow(dark, 'Bitbucket', 'SEN-3141592').click();
    await enabled(
      dark.getByRole('region', { name: 'Bitbucket' }).getByRole('button', { name: 'Add technical contact' }),
    );
    await expectNoAxeViolations(dark, 'the licenses page in dark mode');
    await screenshot(dark, 'a11y-licenses-dark');
  });

  it('on a phone-sized screen, without horizontal scrolling', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
    const phone = await context.newPage();
    await phone.goto(inject('portalUrl'));
    await signInAs(phone, 'Alice Johnson', 'alice@acme.test');
    await licenseRow(phone, 'Bitbucket', 'SEN-3141592').click();
    await enabled(
      phone.getByRole('region', { name: 'Bitbucket' }).getByRole('button', { name: 'Add technical contact' }),
    );
    const overflow = await phone.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
    await expectNoAxeViolations(phone, 'the licenses page on a phone');
    await screenshot(phone, 'a11y-licenses-phone');
  });
});
