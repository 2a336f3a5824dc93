import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enabled, launchChromium, licenseRow, licenseRows, openPortal, signInAs } from './helpers';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('two people at once', () => {
  it('a contact removed by a colleague loses access at once, while the rest of their licenses stay', async () => {
    // Erin (a contractor) is a technical contact of Bitbucket and a billing contact of Bamboo.
    const erin = await openPortal(browser);
    await signInAs(erin, 'Erin Schäfer', 'erin.contractor@gmail.com');
    const before = await licenseRows(erin);
    expect(before.some((row) => row.startsWith('Bitbucket SEN-3141592'))).toBe(true);
    expect(before.some((row) => row.startsWith('Bamboo SEN-1618033'))).toBe(true);

    const alice = await openPortal(browser);
    await signInAs(alice, 'Alice Johnson', 'alice@acme.test');
    await licenseRow(alice, 'Bitbucket', 'SEN-3141592').click();
    const panel = alice.getByRole('region', { name: 'Bitbucket' });
    await (
      await enabled(panel.getByRole('button', { name: 'Remove Erin Schäfer from technical contacts' }))
    ).click();
    const dialog = alice.getByRole('alertdialog', { name: 'Remove Erin Schäfer?' });
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await panel.getByRole('button', { name: 'Remove Erin Schäfer from technical contacts' }).waitFor({
      state: 'detached',
    });

    // The server answers Erin as if the license did not exist (her open page follows live: see live.test.ts).
    expect(await erin.evaluate(async () => (await fetch('/api/licenses/SEN-3141592')).status)).toBe(404);
    await erin.reload();
    await erin.getByText('Signed in as erin.contractor@gmail.com', { exact: true }).waitFor();
    const after = await licenseRows(erin);
    expect(after.some((row) => row.startsWith('Bitbucket'))).toBe(false);
    expect(after.some((row) => row.startsWith('Bamboo SEN-1618033'))).toBe(true);
  });
});
