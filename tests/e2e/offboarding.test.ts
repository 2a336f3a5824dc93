import { describe, expect, it } from 'vitest';
import {
  enabled,
  expectNoAxeViolations,
  licenseRow,
  licenseRows,
  portalPageForFile,
  screenshot,
  signInAs,
  signOut,
} from './helpers';

// Dan, the only technical contact of Jira Service Management (and on no other license), leaves Acme;
// Bob, its billing contact, hands Dan's place to Olivia with the offboarding wizard.
const BOB = { name: 'Bob Martinez', email: 'bob@acme.test' };
const DAN = { name: 'Dan Okafor', email: 'dan@acme.test' };
const OLIVIA = { name: 'Olivia Stone', email: 'olivia@acme.test' };
const GINA = { name: 'Gina Park', email: 'gina@partner.test' };
const TITLE = 'Replace a person on every license';

const portal = portalPageForFile();

/** The text of each cell of a preview table's body rows. */
async function rowsOf(name: string): Promise<string[][]> {
  const table = portal().getByRole('dialog', { name: TITLE }).getByRole('table', { name });
  await table.waitFor();
  return table
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((row) => Array.from(row.children, (cell) => cell.textContent ?? '')));
}

describe('offboarding: a person who left is replaced on every license in one step', () => {
  it('opens the wizard from the license list', async () => {
    const page = portal();
    await signInAs(page, BOB.name, BOB.email);
    await licenseRow(page, 'Jira Service Management', 'SEN-2718281').waitFor();
    await (await enabled(page.getByRole('button', { name: TITLE }))).click();
    const dialog = page.getByRole('dialog', { name: TITLE });
    await dialog.waitFor();
    await dialog.getByRole('combobox', { name: 'Person who left' }).fill(DAN.email);
    await dialog.getByRole('textbox', { name: 'Email' }).fill(GINA.email);
    await dialog.getByRole('textbox', { name: 'Name' }).fill(GINA.name);
    await dialog.getByRole('button', { name: 'Preview' }).click();
  });

  it('previews a successor of another company: Dan’s main position cannot go to her, the license is skipped', async () => {
    const page = portal();
    expect(await rowsOf('Licenses skipped')).toEqual([
      [
        'Jira Service Management SEN-2718281',
        `${GINA.email} is not on your company domain and cannot take over a main position`,
      ],
    ]);
    const dialog = page.getByRole('dialog', { name: TITLE });
    expect(await dialog.getByRole('button', { name: /^Replace on/ }).count()).toBe(0);
    await screenshot(page, 'e2e-offboarding-01-skipped');
  });

  it('previews a colleague: the license changes with its main technical position', async () => {
    const page = portal();
    const dialog = page.getByRole('dialog', { name: TITLE });
    await dialog.getByRole('textbox', { name: 'Email' }).fill(OLIVIA.email);
    await dialog.getByRole('textbox', { name: 'Name' }).fill(OLIVIA.name);
    // A changed field drops the old preview; Enter previews again.
    expect(await dialog.getByRole('table').count()).toBe(0);
    await dialog.getByRole('textbox', { name: 'Name' }).press('Enter');
    expect(await rowsOf('Licenses changed')).toEqual([
      ['Jira Service Management SEN-2718281', 'Technical', 'Main technical contact'],
    ]);
    await expectNoAxeViolations(page, 'the offboarding preview');
    await screenshot(page, 'e2e-offboarding-02-preview');
  });

  it('replaces on the previewed license and says so', async () => {
    const page = portal();
    const dialog = page.getByRole('dialog', { name: TITLE });
    await dialog.getByRole('button', { name: 'Replace on 1 license' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText(`${OLIVIA.name} replaced ${DAN.name} on 1 license`).waitFor();
    await licenseRow(page, 'Jira Service Management', 'SEN-2718281').click();
    const panel = page.getByRole('region', { name: 'Jira Service Management' });
    const technical = panel.getByRole('list', { name: 'Technical contacts' }).getByRole('listitem');
    await technical.first().getByText(OLIVIA.name, { exact: true }).waitFor();
    expect(await technical.count()).toBe(1);
    expect(await technical.first().getByText('Main', { exact: true }).count()).toBe(1);
  });

  it('records it in the license’s history', async () => {
    const page = portal();
    const history = page.getByRole('region', { name: 'History SEN-2718281' });
    await history
      .getByText(`${BOB.name} replaced ${DAN.name} with ${OLIVIA.name} as main technical contact`)
      .waitFor();
    const time = history.getByRole('listitem').first().locator('time');
    expect(await time.getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await screenshot(page, 'e2e-offboarding-03-history');
  });

  it('leaves Dan without the license and gives it to Olivia', async () => {
    const page = portal();
    await signOut(page);
    await signInAs(page, DAN.name, DAN.email);
    expect(await licenseRows(page)).toEqual([]);
    await signOut(page);
    await page.getByRole('textbox', { name: 'Email' }).fill(OLIVIA.email);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText(`Signed in as ${OLIVIA.email}`, { exact: true }).waitFor();
    expect(await licenseRows(page)).toEqual([expect.stringMatching(/^Jira Service Management SEN-2718281/)]);
  });
});
