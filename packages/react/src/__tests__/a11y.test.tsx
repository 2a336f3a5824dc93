// @vitest-environment jsdom
import { LicenseContactsError } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import {
  LicenseHistory,
  LicenseList,
  LicensePanel,
  ReplaceContactDialog,
  RequestList,
} from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { axe } from 'vitest-axe';
import { enabledButton, refusedButton, renderKit } from './helpers';

const JIRA = 'SEN-4821337';
const { alice, carol, erin, outsider } = demoPeople;

// A portal places the kit inside its own landmarks, as <main> does here.

/** Axe over the whole document (dialogs are portalled to the body); no layout in jsdom, so no contrast. */
async function expectAxeClean() {
  const results = await axe(document.body, { rules: { 'color-contrast': { enabled: false } } });
  expect(results).toHaveNoViolations();
  // The matcher above must be able to fail: it saw the page.
  expect(results.passes.length).toBeGreaterThan(0);
}

describe('accessibility (axe)', () => {
  it('LicenseList loading, loaded, expanded and empty', async () => {
    const { user, unmount } = renderKit(
      <main>
        <LicenseList />
      </main>,
      { email: alice.email },
    );
    await expectAxeClean();
    const row = await screen.findByRole('button', { name: /^Jira Software/ });
    await expectAxeClean();
    await user.click(row);
    await enabledButton('Add technical contact');
    await expectAxeClean();
    unmount();
    renderKit(
      <main>
        <LicenseList />
      </main>,
      { email: outsider.email },
    );
    await screen.findByText('No licenses');
    await expectAxeClean();
  });

  it('LicenseList error state', async () => {
    renderKit(
      <main>
        <LicenseList />
      </main>,
      {
        wrapApi: (api) => ({
          ...api,
          listLicenses: async () => {
            throw new LicenseContactsError('NETWORK', 'The network is down');
          },
        }),
      },
    );
    await screen.findByRole('alert');
    await expectAxeClean();
  });

  it('LicensePanel with refused actions and their reasons', async () => {
    renderKit(<LicensePanel licenseId={JIRA} />, { email: carol.email });
    await refusedButton(`Remove ${alice.name} from technical contacts`);
    await expectAxeClean();
  });

  it('AddContactDialog open, and with a refused field', async () => {
    const { user } = renderKit(<LicensePanel licenseId={JIRA} />);
    await user.click(await enabledButton('Add billing contact'));
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await expectAxeClean();
    await user.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await waitFor(() =>
      expect(within(dialog).getByRole('textbox', { name: 'Email' })).toHaveAttribute('aria-invalid', 'true'),
    );
    await expectAxeClean();
  });

  it('RemoveContactDialog for a main contact with a successor choice', async () => {
    const { user } = renderKit(<LicensePanel licenseId={JIRA} />);
    await user.click(await enabledButton(`Remove ${alice.name} from technical contacts`));
    await screen.findByRole('combobox', { name: 'New main contact' });
    await expectAxeClean();
  });

  it('a promotion that failed, with its error shown', async () => {
    const { user } = renderKit(<LicensePanel licenseId={JIRA} />, {
      wrapApi: (api) => ({
        ...api,
        setMain: async () => {
          throw new LicenseContactsError('STORAGE', 'The storage is unavailable; nothing was changed');
        },
      }),
    });
    await user.click(await enabledButton(`Make ${carol.name} main technical contact`));
    await screen.findByRole('alert');
    await expectAxeClean();
  });
  it('LicenseList with two panels expanded under a page heading', async () => {
    renderKit(
      <main>
        <h1>My licenses</h1>
        <LicenseList defaultExpanded={[JIRA, 'SEN-3141592']} />
      </main>,
      { email: carol.email },
    );
    await screen.findByRole('region', { name: 'Bitbucket' });
    await enabledButton(`Make ${erin.name} main technical contact`);
    expect(screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent)).toEqual([
      'Bitbucket',
      'Jira Software',
    ]);
    await expectAxeClean();
  });

  it('LicenseHistory loaded, paged and empty; two panels with their histories', async () => {
    const service = createDemoService();
    for (let i = 0; i < 12; i++)
      await service.as({ email: alice.email }).setMain(JIRA, 'technical', i % 2 ? alice.email : carol.email);
    const first = renderKit(
      <main>
        <LicenseHistory licenseId={JIRA} />
      </main>,
      { service },
    );
    const region = await screen.findByRole('region', { name: 'History' });
    await waitFor(() => expect(within(region).getAllByRole('listitem')).toHaveLength(10));
    await expectAxeClean();
    await first.user.click(within(region).getByRole('button', { name: 'Show more' }));
    await waitFor(() => expect(within(region).getAllByRole('listitem')).toHaveLength(12));
    await expectAxeClean();
    first.unmount();
    renderKit(
      <main>
        <LicenseList
          defaultExpanded={[JIRA, 'SEN-5550142']}
          panelFooter={(license) => <LicenseHistory licenseId={license.id} />}
        />
      </main>,
    );
    await screen.findByRole('region', { name: `History ${JIRA}` });
    expect(await screen.findByRole('region', { name: 'History SEN-5550142' })).toBeInTheDocument();
    await enabledButton('Replace a person on every license');
    await expectAxeClean();
  });

  it('ReplaceContactDialog open, with a refused field, and with a preview of changed and skipped licenses', async () => {
    const { user } = renderKit(<ReplaceContactDialog defaultOpen email={carol.email} />);
    const dialog = await screen.findByRole('dialog', { name: 'Replace a person on every license' });
    await expectAxeClean();
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), 'gina.partner.test');
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Gina Park');
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await waitFor(() =>
      expect(within(dialog).getByRole('textbox', { name: 'Email' })).toHaveAttribute('aria-invalid', 'true'),
    );
    await expectAxeClean();
    await user.clear(within(dialog).getByRole('textbox', { name: 'Email' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), 'gina@partner.test');
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await within(dialog).findByRole('table', { name: 'Licenses skipped' });
    expect(within(dialog).getByRole('table', { name: 'Licenses changed' })).toBeInTheDocument();
    await expectAxeClean();
  });

  it('RequestList empty and with requests; a panel with a pending invitee, a bouncing address and a transfer asked', async () => {
    const empty = renderKit(
      <main>
        <RequestList />
      </main>,
    );
    await screen.findByText('No pending requests');
    await expectAxeClean();
    empty.unmount();

    const service = createDemoService({ invitations: 'otherDomains' });
    await service
      .as(alice)
      .invite(JIRA, { email: 'sam@gmail.com', name: 'Sam Rivera', roles: ['technical'] });
    await service.as(erin).requestTransfer('SEN-3141592', 'technical', erin.email);
    await service.reportBounce('bob@acme.test', { permanent: true });
    const invitee = renderKit(
      <main>
        <LicenseList />
      </main>,
      { service, email: 'sam@gmail.com' },
    );
    await screen.findByRole('button', { name: 'Accept' });
    await expectAxeClean();
    invitee.unmount();

    renderKit(
      <main>
        <h1>Licenses</h1>
        <RequestList />
        <LicensePanel licenseId={JIRA} />
        <LicensePanel licenseId="SEN-3141592" />
      </main>,
      { service },
    );
    await screen.findByRole('button', { name: 'Cancel invitation' });
    await screen.findAllByText('Mail to this address bounces');
    await screen.findByText('Main position requested');
    await expectAxeClean();
  });
});
