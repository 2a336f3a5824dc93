import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enabled,
  expectNoAxeViolations,
  launchChromium,
  licenseRow,
  licenseRows,
  namesIn,
  openPortal,
  screenshot,
  signInAs,
} from './helpers';
import { type StartedServer, startPortal } from './processes';

// Consent (§7) on the example portal, which runs with invitations: 'otherDomains' and a development
// mailbox. A portal of its own (fresh PGlite data), so the other files' changes to the seed never meet these.
const ALICE = { name: 'Alice Johnson', email: 'alice@acme.test' };
const CONTRACTOR = { name: 'Sam Rivera', email: 'sam.contractor@gmail.com' };
const PARTNER = { name: 'Gina Park', email: 'gina@partner.test' };
const JIRA = { product: 'Jira Software', id: 'SEN-4821337' };

let portal: StartedServer;
let browser: Browser;
let alice: Page;
let contractor: Page;
let partner: Page;

beforeAll(async () => {
  portal = await startPortal({ INVITATIONS: 'otherDomains' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

/** Signs in with any address through the `Email` textbox. */
async function signInWithEmail(page: Page, email: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText(`Signed in as ${email}`, { exact: true }).waitFor();
}

/** Jira Software's panel, expanded. */
async function jiraPanel(page: Page): Promise<Locator> {
  await licenseRows(page);
  const row = licenseRow(page, JIRA.product, JIRA.id);
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  const panel = page.getByRole('region', { name: JIRA.product });
  await panel.getByRole('list', { name: 'Technical contacts' }).waitFor();
  return panel;
}

/** The technical list's item of `name`. */
function technicalItem(page: Page, name: string): Locator {
  return page
    .getByRole('list', { name: 'Technical contacts' })
    .getByRole('listitem')
    .filter({ hasText: name });
}

/** Opens the mailbox and waits (checking for new mail) until a mail with this subject is there. */
async function mailWithSubject(page: Page, subject: RegExp): Promise<Locator> {
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Mailbox' }).click();
  await page.getByRole('heading', { name: 'Mailbox', level: 1 }).waitFor();
  const mail = page.getByRole('article', { name: subject });
  for (let attempt = 0; attempt < 40 && (await mail.count()) === 0; attempt++) {
    await page.getByRole('button', { name: 'Check for new mail' }).click();
    await page.waitForTimeout(250);
  }
  await mail.first().waitFor();
  return mail.first();
}

describe('invitations across companies and a transfer of the main position (§7, R13)', () => {
  it('alice invites a gmail contractor and a partner: both are Pending, neither is a contact yet', async () => {
    alice = await openPortal(browser, portal.url);
    await signInAs(alice, ALICE.name, ALICE.email);
    await jiraPanel(alice);
    for (const person of [CONTRACTOR, PARTNER]) {
      await (await enabled(alice.getByRole('button', { name: 'Add technical contact' }))).click();
      const dialog = alice.getByRole('dialog', { name: 'Add contact' });
      await dialog.getByRole('textbox', { name: 'Email' }).fill(person.email);
      // The core's directAdd: another company is invited, and the dialog says so before anything is sent.
      await dialog.getByText(`${person.email} will be invited and becomes a contact on accepting`).waitFor();
      await dialog.getByRole('textbox', { name: 'Name' }).fill(person.name);
      await dialog.getByRole('button', { name: 'Add contact' }).click();
      await dialog.waitFor({ state: 'detached' });
      const item = technicalItem(alice, person.name);
      await item.getByText('Pending', { exact: true }).waitFor();
      await item.getByRole('button', { name: 'Cancel invitation' }).waitFor();
    }
    expect(await namesIn(alice, 'Technical contacts')).toEqual([
      'Alice Johnson',
      'Carol Nguyen',
      CONTRACTOR.name,
      PARTNER.name,
    ]);
    // Pending invitees have no access yet.
    const license = await alice.evaluate(async (id) => (await fetch(`/api/licenses/${id}`)).json(), JIRA.id);
    expect(license.technical).toEqual(['alice@acme.test', 'carol@acme.test']);
    await expectNoAxeViolations(alice, 'a panel with pending invitees');
    await screenshot(alice, 'e2e-consent-01-pending-invitees');
  });

  it('the contractor signs in, reads the invitation in the mailbox, follows its link and accepts', async () => {
    contractor = await openPortal(browser, portal.url);
    await signInWithEmail(contractor, CONTRACTOR.email);
    expect(await licenseRows(contractor)).toEqual([]);
    const requests = contractor.getByRole('list', { name: 'Pending requests' });
    await requests
      .getByText(`${ALICE.email} invites you to become a technical contact of Jira Software ${JIRA.id}`)
      .waitFor();

    const mail = await mailWithSubject(contractor, /invites you to be a contact of Jira Software/);
    await expectNoAxeViolations(contractor, 'the development mailbox');
    await screenshot(contractor, 'e2e-consent-02-mailbox-invitation');
    const link = mail.getByRole('link', { name: /\/requests\// });
    expect(await link.getAttribute('href')).toMatch(new RegExp(`^${portal.url}/requests/`));
    await link.click();
    await contractor.waitForURL(/\/requests\//);

    await (await enabled(requests.getByRole('button', { name: 'Accept' }))).click();
    await licenseRow(contractor, JIRA.product, JIRA.id).waitFor();
    await requests.waitFor({ state: 'detached' });
    await jiraPanel(contractor);
    expect(await namesIn(contractor, 'Technical contacts')).toContain(CONTRACTOR.name);
  });

  it('the partner accepts too, then asks for the main position with the up arrow', async () => {
    partner = await openPortal(browser, portal.url);
    await signInWithEmail(partner, PARTNER.email);
    await (
      await enabled(
        partner.getByRole('list', { name: 'Pending requests' }).getByRole('button', { name: 'Accept' }),
      )
    ).click();
    await jiraPanel(partner);
    const up = await enabled(
      partner.getByRole('button', { name: `Make ${PARTNER.name} main technical contact` }),
    );
    // Enabled across companies only because the core allows a transfer request; its description says why.
    expect(await up.evaluate((el) => el.getAttribute('aria-describedby'))).toBeTruthy();
    await up.click();
    await technicalItem(partner, PARTNER.name).getByText('Main position requested').waitFor();
    expect(await namesIn(partner, 'Technical contacts')).toEqual([
      'Alice Johnson',
      'Carol Nguyen',
      CONTRACTOR.name,
      PARTNER.name,
    ]);
    await screenshot(partner, 'e2e-consent-03-transfer-requested');
  });

  it('alice reads the request in her mailbox and accepts it: the partner is main', async () => {
    // Whoever asked hears of the answer; the decider of a transfer hears of the request.
    await mailWithSubject(alice, /^Sam Rivera accepted your invitation \(Jira Software\)/);
    await mailWithSubject(alice, /^Gina Park asks to become the main technical contact of Jira Software/);
    await alice.goto(`${portal.url}/`);
    const requests = alice.getByRole('list', { name: 'Pending requests' });
    const item = requests.getByRole('listitem').filter({ hasText: 'to become the main technical contact' });
    await item
      .getByText(`${PARTNER.email} asks to become the main technical contact of Jira Software ${JIRA.id}`)
      .waitFor();
    await expectNoAxeViolations(alice, 'a transfer request to decide');
    await (await enabled(item.getByRole('button', { name: 'Accept' }))).click();
    await requests.waitFor({ state: 'detached' });
    await jiraPanel(alice);
    await expect
      .poll(() => namesIn(alice, 'Technical contacts'))
      .toEqual([PARTNER.name, 'Alice Johnson', 'Carol Nguyen', CONTRACTOR.name]);
    await mailWithSubject(alice, /^Gina Park is now the main technical contact of Jira Software/);
    await screenshot(alice, 'e2e-consent-04-alice-mailbox');
  });

  it('the partner reads in the mailbox that the request was accepted and they are main now', async () => {
    const mail = await mailWithSubject(
      partner,
      /^Alice Johnson accepted the request for Gina Park to become main contact \(Jira Software\)/,
    );
    await mail.getByText(/You are now the main technical contact of Jira Software \(SEN-4821337\)/).waitFor();
  });
});
