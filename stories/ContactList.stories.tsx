import { ContactList } from '@license-contacts/react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, screen, waitFor, within } from 'storybook/test';
import {
  demoPeople,
  type KitLoaded,
  type KitParameters,
  longNamesLicenses,
  manyContacts,
  manyContactsActor,
  neverResolving,
  rejecting,
  withRequests,
} from './kit';

const meta = {
  title: 'Components/ContactList',
  component: ContactList,
  args: { licenseId: 'SEN-4821337', role: 'technical' },
  argTypes: { role: { control: 'inline-radio', options: ['technical', 'billing'] } },
  parameters: {
    docs: {
      description: {
        component: `One role's ordered contacts of a license. The first is the main contact (marked
\`Main\`); the ↑ button promotes, the × button removes (asking for a successor when it is the main
contact), and \`Add {role} contact\` opens the add dialog. An action the core's policy refuses stays
visible and focusable with \`aria-disabled\` and its reason as description.

\`\`\`tsx
<ContactList licenseId="SEN-4821337" role="technical" />
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof ContactList>;

export default meta;
type Story = StoryObj<typeof meta>;

const kit = (parameters: KitParameters) => ({ kit: parameters });

async function enabledButton(name: string): Promise<HTMLElement> {
  const button = await screen.findByRole('button', { name });
  await waitFor(() => expect(button).not.toHaveAttribute('aria-disabled'));
  return button;
}

/** Alice (main) and Carol, technical contacts of Jira Software. */
export const Default: Story = {
  play: async ({ canvas }) => {
    const list = await canvas.findByRole('list', { name: 'Technical contacts' });
    const [main, second] = within(list).getAllByRole('listitem');
    await expect(main).toHaveTextContent('Main');
    await expect(second).not.toHaveTextContent('Main');
    await expect(within(main as HTMLElement).queryByRole('button', { name: /^Make .* main/ })).toBeNull();
  },
};

/** The billing list of a license where Alice holds both roles alone. */
export const OnePersonInBothRoles: Story = {
  args: { licenseId: 'SEN-5550142', role: 'billing' },
};

/** 200 contacts in one role. */
export const ManyContacts: Story = {
  args: { licenseId: 'SEN-9000200' },
  parameters: kit({ licenses: manyContacts, actor: manyContactsActor }),
  play: async ({ canvas }) => {
    const list = await canvas.findByRole('list', { name: 'Technical contacts' });
    await expect(within(list).getAllByRole('listitem')).toHaveLength(200);
    await expect(
      canvas.getByRole('button', { name: 'Make Person 200 main technical contact' }),
    ).toBeInTheDocument();
  },
};

/** Names and addresses as long as the rules allow. */
export const LongNamesAndAddresses: Story = {
  args: { licenseId: 'SEN-LONG_NAMES-2026-ENTERPRISE-SUBSCRIPTION-0000000000000000001' },
  parameters: kit({ licenses: longNamesLicenses }),
};

/** The list is on its way. */
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

/** Someone else changed the license at the same moment: the promotion is rolled back and explained. */
export const Conflict: Story = {
  parameters: kit({ api: rejecting('CONFLICT', 'mutations') }),
  play: async ({ canvas, userEvent }) => {
    const list = await canvas.findByRole('list', { name: 'Technical contacts' });
    await userEvent.click(await enabledButton('Make Carol Nguyen main technical contact'));
    await expect(await canvas.findByRole('alert')).toHaveTextContent('changed by someone else');
    await waitFor(() => expect(within(list).getAllByRole('listitem')[0]).toHaveTextContent('Alice Johnson'));
  },
};

/** Signed in as Carol, a secondary: removing the main contact is refused, with the reason. */
export const DisabledWithReason: Story = {
  parameters: kit({ actor: demoPeople.carol }),
  play: async ({ canvas }) => {
    const remove = await canvas.findByRole('button', {
      name: 'Remove Alice Johnson from technical contacts',
    });
    await waitFor(() => expect(remove).toHaveAccessibleDescription(/main technical contact/));
    await expect(remove).toHaveAttribute('aria-disabled', 'true');
  },
};

/** Main flow: promote with the up arrow; the change is announced. */
export const Promote: Story = {
  play: async ({ canvas, userEvent, loaded }) => {
    const list = await canvas.findByRole('list', { name: 'Technical contacts' });
    await userEvent.click(await enabledButton('Make Carol Nguyen main technical contact'));
    await waitFor(() => expect(within(list).getAllByRole('listitem')[0]).toHaveTextContent('Carol Nguyen'));
    const { service } = loaded as KitLoaded;
    await waitFor(async () =>
      expect((await service.findLicense('SEN-4821337'))?.technical).toEqual([
        'carol@acme.test',
        'alice@acme.test',
      ]),
    );
  },
};

/** Removing the main contact, with the successor choice open. */
export const RemovingMainWithSuccessorChoice: Story = {
  parameters: kit({ actor: demoPeople.alice }),
  play: async ({ userEvent }) => {
    await userEvent.click(await enabledButton('Remove Alice Johnson from technical contacts'));
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Alice Johnson?' });
    await expect(within(dialog).getByRole('combobox', { name: 'New main contact' })).toHaveValue(
      'carol@acme.test',
    );
  },
};

/** An invitee who has not answered yet follows the contacts, marked Pending, with Cancel invitation. */
export const PendingInvitee: Story = {
  parameters: kit({ invitations: 'otherDomains', setup: withRequests }),
  play: async ({ canvas, userEvent }) => {
    const list = await canvas.findByRole('list', { name: 'Technical contacts' });
    const invitee = (await within(list).findByText('Sam Rivera')).closest('li') as HTMLElement;
    await expect(invitee).toHaveTextContent('Pending');
    await userEvent.click(await enabledButton('Cancel invitation'));
    await waitFor(() => expect(within(list).queryByText('Sam Rivera')).toBeNull());
  },
};

/** Mail to Bob bounces: his row says so (from `permissions.unreachable`). */
export const BouncingAddress: Story = {
  args: { role: 'billing' },
  parameters: kit({
    setup: async (service) => {
      await service.reportBounce('bob@acme.test', { permanent: true, reason: '550 mailbox unavailable' });
    },
  }),
  play: async ({ canvas }) => {
    const list = await canvas.findByRole('list', { name: 'Billing contacts' });
    await waitFor(() => expect(list).toHaveTextContent('Mail to this address bounces'));
  },
};

/** Erin (gmail) on Bitbucket: across companies the up arrow asks Carol, the main, for consent (R13). */
export const TransferRequest: Story = {
  args: { licenseId: 'SEN-3141592' },
  parameters: kit({ actor: demoPeople.erin }),
  play: async ({ canvas, userEvent, loaded }) => {
    const up = await enabledButton('Make Erin Schäfer main technical contact');
    await expect(up).toHaveAccessibleDescription(/needs a transfer request/);
    await userEvent.click(up);
    const list = await canvas.findByRole('list', { name: 'Technical contacts' });
    await waitFor(() => expect(list).toHaveTextContent('Main position requested'));
    const { service } = loaded as KitLoaded;
    await expect((await service.findLicense('SEN-3141592'))?.technical[0]).toBe('carol@acme.test');
  },
};

/** The dark custom properties of the stylesheet. */
export const Dark: Story = { globals: { theme: 'dark' } };

/** German messages. */
export const German: Story = {
  globals: { locale: 'de' },
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('list', { name: 'Technische Kontakte' })).toBeInTheDocument();
  },
};

/** German, with a pending invitee. */
export const GermanPendingInvitee: Story = {
  parameters: kit({ setup: withRequests }),
  globals: { locale: 'de' },
  play: async ({ canvas }) => {
    const list = await canvas.findByRole('list', { name: 'Technische Kontakte' });
    await waitFor(() => expect(list).toHaveTextContent('Ausstehend'));
    await expect(await canvas.findByRole('button', { name: 'Einladung zurückziehen' })).toBeInTheDocument();
  },
};

/** A phone-sized screen. */
export const Narrow: Story = {
  parameters: kit({ width: 320 }),
  globals: { viewport: { value: 'mobile1', isRotated: false } },
};
