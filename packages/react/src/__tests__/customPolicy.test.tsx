import { defaultPolicy, deny, openPolicy, type Policy } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { LicensePanel } from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { enabledButton, refusedButton, renderKit } from './helpers';

const JIRA = 'SEN-4821337';
const BITBUCKET = 'SEN-3141592';
const { alice, carol, erin } = demoPeople;

/** The options of the `New main contact` combobox. */
function successorOptions(dialog: HTMLElement): string[] {
  const combobox = within(dialog).queryByRole('combobox', { name: 'New main contact' });
  return combobox
    ? within(combobox)
        .getAllByRole('option')
        .map((o) => o.textContent ?? '')
    : [];
}

/** Company admins of acme.test see every acme license without being contacts; the rest as by default. */
const adminPolicy: Policy = {
  ...defaultPolicy,
  canView: ({ license, actor }) =>
    actor.email.endsWith('@acme.test') || license.contacts.some((c) => c.email === actor.email),
};

/** No one may name a successor of a main contact; the next in line always takes over. */
const noNamingPolicy: Policy = {
  ...defaultPolicy,
  removeContact: (context) =>
    context.successor === undefined
      ? defaultPolicy.removeContact(context)
      : deny('NO_NAMING', 'The next in line always takes over'),
};

describe('a portal’s own policy on screen', () => {
  it('warns of losing access by the policy: the default takes it away, an admin policy keeps it', async () => {
    const first = renderKit(<LicensePanel licenseId={JIRA} />, { email: carol.email });
    await first.user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    expect(await screen.findByRole('alertdialog', { name: `Remove ${carol.name}?` })).toHaveTextContent(
      'lose access',
    );
    first.unmount();

    const { user } = renderKit(<LicensePanel licenseId={JIRA} />, {
      email: carol.email,
      service: createDemoService({ policy: adminPolicy }),
    });
    await user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    const dialog = await screen.findByRole('alertdialog', { name: `Remove ${carol.name}?` });
    expect(dialog).not.toHaveTextContent('lose access');
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    // The policy lets her keep seeing it: it stays on screen, without her.
    const list = await screen.findByRole('list', { name: 'Technical contacts' });
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(1));
    expect(screen.getByRole('region', { name: 'Jira Software' })).toBeInTheDocument();
  });

  it('offers as successors whom the policy lets take over', async () => {
    // Default: Erin (a public mail domain) is not offered to Carol; the open policy offers her.
    const first = renderKit(<LicensePanel licenseId={BITBUCKET} />, { email: carol.email });
    await first.user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    expect(successorOptions(await screen.findByRole('alertdialog'))).toEqual([alice.name]);
    first.unmount();

    const open = renderKit(<LicensePanel licenseId={BITBUCKET} />, {
      email: carol.email,
      service: createDemoService({ policy: openPolicy }),
    });
    await open.user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    const dialog = await screen.findByRole('alertdialog');
    expect(successorOptions(dialog)).toEqual([alice.name, erin.name]);
    await open.user.selectOptions(
      within(dialog).getByRole('combobox', { name: 'New main contact' }),
      erin.email,
    );
    await open.user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect((await open.service.findLicense(BITBUCKET))?.technical).toEqual([erin.email, alice.email]);
    open.unmount();

    // A policy that never lets anyone be named: only the next in line is offered.
    const { user } = renderKit(<LicensePanel licenseId={BITBUCKET} />, {
      email: carol.email,
      service: createDemoService({ policy: noNamingPolicy }),
    });
    await user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    expect(successorOptions(await screen.findByRole('alertdialog'))).toEqual([alice.name]);
  });

  it('shows the policy’s refusals and reasons on the buttons', async () => {
    const policy: Policy = {
      ...defaultPolicy,
      addContact: () => deny('FROZEN', 'Contacts of this license are managed by your reseller'),
    };
    renderKit(<LicensePanel licenseId={JIRA} />, { service: createDemoService({ policy }) });
    const add = await refusedButton('Add technical contact');
    expect(add).toHaveAccessibleDescription('Contacts of this license are managed by your reseller');
    expect(await enabledButton(`Make ${carol.name} main technical contact`)).toBeInTheDocument();
  });
});
