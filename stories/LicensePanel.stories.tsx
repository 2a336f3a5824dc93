import { LicensePanel } from '@license-contacts/react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, screen, waitFor, within } from 'storybook/test';
import {
  demoPeople,
  jiraWithDan,
  type KitLoaded,
  type KitParameters,
  longNamesLicenses,
  manyContacts,
  manyContactsActor,
  neverResolving,
  rejecting,
} from './kit';

const meta = {
  title: 'Components/LicensePanel',
  component: LicensePanel,
  args: { licenseId: 'SEN-4821337' },
  parameters: {
    docs: {
      description: {
        component: `One license: its details (product, edition, seats, expiry, SEN) and both role lists,
as a region named by the product heading. Works with no other props inside a provider:

\`\`\`tsx
<LicenseContactsProvider api={api}>
  <LicensePanel licenseId="SEN-4821337" headingLevel={2} />
</LicenseContactsProvider>
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof LicensePanel>;

export default meta;
type Story = StoryObj<typeof meta>;

const kit = (parameters: KitParameters) => ({ kit: parameters });

/** The names in a role's list, in order (the first is main). */
function names(list: HTMLElement): string[] {
  return within(list)
    .getAllByRole('listitem')
    .map((item) => item.querySelector('.lc-contact__name')?.firstChild?.textContent ?? '');
}

/** A button once the core's permissions allow its action. */
async function enabledButton(root: HTMLElement, name: string): Promise<HTMLElement> {
  const button = await within(root).findByRole('button', { name });
  await waitFor(() => expect(button).not.toHaveAttribute('aria-disabled'));
  return button;
}

/** Jira Software as Alice, its main technical contact, sees it. */
export const Default: Story = {
  play: async ({ canvas }) => {
    const region = await canvas.findByRole('region', { name: 'Jira Software' });
    await expect(within(region).getByRole('heading', { name: 'Technical contacts' })).toBeInTheDocument();
    await expect(within(region).getByRole('heading', { name: 'Billing contacts' })).toBeInTheDocument();
  },
};

/** One person in both roles: Alice is the only technical and the only billing contact of Confluence. */
export const OnePersonInBothRoles: Story = {
  args: { licenseId: 'SEN-5550142' },
  play: async ({ canvas }) => {
    const technical = await canvas.findByRole('list', { name: 'Technical contacts' });
    const billing = canvas.getByRole('list', { name: 'Billing contacts' });
    await expect(names(technical)).toEqual(['Alice Johnson']);
    await expect(names(billing)).toEqual(['Alice Johnson']);
    // The last contact of a role cannot be removed: the × says why.
    const remove = canvas.getByRole('button', { name: 'Remove Alice Johnson from billing contacts' });
    await waitFor(() => expect(remove).toHaveAttribute('aria-disabled', 'true'));
  },
};

/** 200 technical contacts. */
export const ManyContacts: Story = {
  args: { licenseId: 'SEN-9000200' },
  parameters: kit({ licenses: manyContacts, actor: manyContactsActor }),
  play: async ({ canvas }) => {
    const technical = await canvas.findByRole('list', { name: 'Technical contacts' });
    await expect(within(technical).getAllByRole('listitem')).toHaveLength(200);
  },
};

/** Names and addresses as long as the rules allow wrap inside the panel. */
export const LongNamesAndAddresses: Story = {
  args: { licenseId: 'SEN-LONG_NAMES-2026-ENTERPRISE-SUBSCRIPTION-0000000000000000001' },
  parameters: kit({ licenses: longNamesLicenses }),
};

/** Signed in as Erin, a contractor on a public mail domain: the actions she may not take say why. */
export const DisabledWithReason: Story = {
  args: { licenseId: 'SEN-3141592' },
  parameters: kit({ actor: demoPeople.erin }),
  play: async ({ canvas }) => {
    const promote = await canvas.findByRole('button', { name: 'Make Alice Johnson main technical contact' });
    await waitFor(() => expect(promote).toHaveAttribute('aria-disabled', 'true'));
    await expect(promote).toHaveAccessibleDescription(/.+/);
    const removeMain = canvas.getByRole('button', { name: 'Remove Carol Nguyen from technical contacts' });
    await expect(removeMain).toHaveAttribute('aria-disabled', 'true');
    await expect(removeMain).toHaveAccessibleDescription(/main technical contact/);
  },
};

/** The license is on its way. */
export const Loading: Story = {
  parameters: kit({ api: neverResolving() }),
  play: async ({ canvas }) => {
    await expect(await canvas.findByText('Loading license…')).toBeInTheDocument();
  },
};

/** The storage is down. */
export const StorageError: Story = {
  parameters: kit({ api: rejecting('STORAGE') }),
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('alert')).toHaveTextContent('The storage is unavailable');
  },
};

/** A license the signed-in person may not see answers as if it did not exist. */
export const NotFound: Story = {
  parameters: kit({ actor: demoPeople.outsider }),
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('alert')).toBeInTheDocument();
    await expect(canvas.queryByRole('button', { name: 'Try again' })).toBeNull();
  },
};

/** Someone else changed the license at the same moment: the promotion is rolled back and explained. */
export const Conflict: Story = {
  parameters: kit({ api: rejecting('CONFLICT', 'mutations') }),
  play: async ({ canvas, userEvent }) => {
    const region = await canvas.findByRole('region', { name: 'Jira Software' });
    const technical = within(region).getByRole('list', { name: 'Technical contacts' });
    await userEvent.click(await enabledButton(region, 'Make Carol Nguyen main technical contact'));
    await expect(await within(region).findByRole('alert')).toHaveTextContent('changed by someone else');
    await waitFor(() => expect(names(technical)).toEqual(['Alice Johnson', 'Carol Nguyen']));
  },
};

/** Main flow: Alice adds a colleague as technical contact. */
export const AddColleague: Story = {
  play: async ({ canvas, userEvent, loaded }) => {
    const region = await canvas.findByRole('region', { name: 'Jira Software' });
    await userEvent.click(await enabledButton(region, 'Add technical contact'));
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await waitFor(() => expect(email).toHaveFocus());
    await expect(within(dialog).getByRole('checkbox', { name: 'Technical contact' })).toBeChecked();
    await userEvent.type(email, 'priya@acme.test');
    await userEvent.tab();
    await expect(within(dialog).getByRole('textbox', { name: 'Name' })).toHaveFocus();
    await userEvent.keyboard('Priya Patel{Enter}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const technical = canvas.getByRole('list', { name: 'Technical contacts' });
    await waitFor(() => expect(names(technical)).toEqual(['Alice Johnson', 'Carol Nguyen', 'Priya Patel']));
    await waitFor(() =>
      expect(canvas.getByRole('status')).toHaveTextContent('Priya Patel was added as a technical contact'),
    );
    // The service, not only the screen, has the new contact.
    const { service } = loaded as KitLoaded;
    await expect((await service.findLicense('SEN-4821337'))?.technical).toContain('priya@acme.test');
  },
};

/** Main flow: Alice makes Carol the main technical contact with the up arrow. */
export const Promote: Story = {
  play: async ({ canvas, userEvent, loaded }) => {
    await canvas.findByRole('region', { name: 'Jira Software' });
    const technical = canvas.getByRole('list', { name: 'Technical contacts' });
    await userEvent.click(await enabledButton(technical, 'Make Carol Nguyen main technical contact'));
    await waitFor(() => expect(names(technical)).toEqual(['Carol Nguyen', 'Alice Johnson']));
    await expect(
      within(within(technical).getAllByRole('listitem')[0] as HTMLElement).getByText('Main'),
    ).toBeVisible();
    await waitFor(() =>
      expect(canvas.getByRole('status')).toHaveTextContent('Carol Nguyen is now the main technical contact'),
    );
    const { service } = loaded as KitLoaded;
    await expect((await service.findLicense('SEN-4821337'))?.technical[0]).toBe('carol@acme.test');
  },
};

/** Main flow: Alice removes herself as main technical contact, choosing who takes over. */
export const RemoveSelfChoosingSuccessor: Story = {
  // A third technical contact, so the choice is more than the next in line.
  parameters: kit({ licenses: jiraWithDan }),
  play: async ({ canvas, userEvent, loaded }) => {
    const region = await canvas.findByRole('region', { name: 'Jira Software' });
    await userEvent.click(await enabledButton(region, 'Remove Alice Johnson from technical contacts'));
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Alice Johnson?' });
    await expect(dialog).toHaveTextContent('lose access');
    const successor = within(dialog).getByRole('combobox', { name: 'New main contact' });
    await expect(
      within(successor)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([expect.stringContaining('Carol Nguyen'), expect.stringContaining('Dan Okafor')]);
    await userEvent.selectOptions(successor, 'dan@acme.test');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    const { service } = loaded as KitLoaded;
    const license = await service.findLicense('SEN-4821337');
    await expect(license?.technical).toEqual(['dan@acme.test', 'carol@acme.test']);
  },
};

/** The dark custom properties of the stylesheet. */
export const Dark: Story = { globals: { theme: 'dark' } };

/** German messages. */
export const German: Story = {
  globals: { locale: 'de' },
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('heading', { name: 'Technische Kontakte' })).toBeInTheDocument();
  },
};

/** A phone-sized screen. */
export const Narrow: Story = {
  parameters: kit({ width: 320 }),
  globals: { viewport: { value: 'mobile1', isRotated: false } },
};
