import { AddContactDialog } from '@license-contacts/react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, screen, waitFor, within } from 'storybook/test';
import { controlledDialog, type KitLoaded, type KitParameters, rejecting } from './kit';

const meta = {
  title: 'Components/AddContactDialog',
  component: AddContactDialog,
  args: {
    licenseId: 'SEN-4821337',
    open: true,
    defaultRoles: ['technical'],
    onOpenChange: fn(),
    onAdded: fn(),
  },
  // The dialog is controlled: keep its open state here so Cancel and a successful add close it.
  render: controlledDialog(AddContactDialog, 'Open the add dialog'),
  parameters: {
    docs: {
      story: { inline: false, height: '460px' },
      description: {
        component: `The dialog that adds a person as technical and/or billing contact (or adds a role to
someone already on the license). \`ContactList\` opens it from \`Add {role} contact\` with that role
checked and focus in \`Email\`; Tab goes to \`Name\`, Enter submits. A refused field gets
\`aria-invalid\` and its error as description, and the dialog stays open.

\`\`\`tsx
const [open, setOpen] = useState(false);
<AddContactDialog licenseId="SEN-4821337" open={open} onOpenChange={setOpen} defaultRoles={['billing']} />
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof AddContactDialog>;

export default meta;
type Story = StoryObj<typeof meta>;

const kit = (parameters: KitParameters) => ({ kit: parameters });

/** Opened from `Add technical contact`: technical checked, focus in Email. */
export const Open: Story = {
  play: async () => {
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await waitFor(() => expect(within(dialog).getByRole('textbox', { name: 'Email' })).toHaveFocus());
    await expect(within(dialog).getByRole('checkbox', { name: 'Technical contact' })).toBeChecked();
    await expect(within(dialog).getByRole('checkbox', { name: 'Billing contact' })).not.toBeChecked();
  },
};

/**
 * Under `invitations: 'otherDomains'` a person of another company is invited, not added: the dialog says
 * so under `Email` (from `permissions.directAdd`), and the service holds a pending invitation.
 */
export const Invite: Story = {
  parameters: kit({ invitations: 'otherDomains' }),
  play: async ({ userEvent, loaded }) => {
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await userEvent.type(email, 'sam.contractor@gmail.com');
    await waitFor(() =>
      expect(email).toHaveAccessibleDescription(
        'sam.contractor@gmail.com will be invited and becomes a contact on accepting',
      ),
    );
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Sam Rivera');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    const { service } = loaded as KitLoaded;
    await waitFor(async () =>
      expect((await service.as({ email: 'sam.contractor@gmail.com' }).requests()).items).toHaveLength(1),
    );
    await expect((await service.findLicense('SEN-4821337'))?.technical).not.toContain(
      'sam.contractor@gmail.com',
    );
  },
};

/** Opened from `Add billing contact`. */
export const Billing: Story = {
  args: { defaultRoles: ['billing'] },
  play: async () => {
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await expect(within(dialog).getByRole('checkbox', { name: 'Billing contact' })).toBeChecked();
  },
};

/** Main flow by keyboard: Email, Tab, Name, Enter; the dialog closes and the service has the contact. */
export const AddByKeyboard: Story = {
  play: async ({ args, userEvent, loaded }) => {
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await waitFor(() => expect(email).toHaveFocus());
    await userEvent.keyboard('dan@acme.test');
    await userEvent.tab();
    await expect(within(dialog).getByRole('textbox', { name: 'Name' })).toHaveFocus();
    await userEvent.keyboard('Dan Okafor{Enter}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await expect(args.onAdded).toHaveBeenCalledOnce();
    const { service } = loaded as KitLoaded;
    await expect((await service.findLicense('SEN-4821337'))?.technical).toContain('dan@acme.test');
  },
};

/** An address the rules refuse: Email is marked invalid with its error, and the dialog stays open. */
export const InvalidEmail: Story = {
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await userEvent.type(email, 'not-an-address');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Someone');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    await expect(email).toHaveAccessibleDescription(/@/);
    await expect(screen.getByRole('dialog', { name: 'Add contact' })).toBeInTheDocument();
  },
};

/** Someone already in that role: a duplicate, on Email. */
export const Duplicate: Story = {
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await userEvent.type(email, 'Carol@acme.test');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Carol Nguyen');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
  },
};

/** Someone else changed the license at the same moment: the form says so and stays open. */
export const Conflict: Story = {
  parameters: kit({ api: rejecting('CONFLICT', 'mutations') }),
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Email' }), 'dan@acme.test');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Dan Okafor');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await expect(await within(dialog).findByRole('alert')).toHaveTextContent('changed by someone else');
  },
};

/** The storage is down while adding. */
export const StorageError: Story = {
  parameters: kit({ api: rejecting('STORAGE', 'mutations') }),
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Email' }), 'dan@acme.test');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Dan Okafor');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await expect(await within(dialog).findByRole('alert')).toHaveTextContent('storage is unavailable');
  },
};

/** The dark custom properties of the stylesheet. */
export const Dark: Story = { globals: { theme: 'dark' } };

/** German messages. */
export const German: Story = {
  globals: { locale: 'de' },
  play: async () => {
    await expect(await screen.findByRole('dialog', { name: 'Kontakt hinzufügen' })).toBeInTheDocument();
  },
};

/** A phone-sized screen. */
export const Narrow: Story = {
  parameters: kit({ width: 320 }),
  globals: { viewport: { value: 'mobile1', isRotated: false } },
};

/** Uncontrolled: its `Trigger` part opens it; adding closes it and focus returns to the trigger. */
export const Uncontrolled: Story = {
  args: { defaultRoles: ['billing'] },
  // Uncontrolled: the story's `open` is left out.
  render: ({ open: _open, ...args }) => (
    <AddContactDialog {...args}>
      <AddContactDialog.Trigger>Invite a colleague</AddContactDialog.Trigger>
    </AddContactDialog>
  ),
  play: async ({ canvas, userEvent, loaded }) => {
    const trigger = canvas.getByRole('button', { name: 'Invite a colleague' });
    await userEvent.click(trigger);
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await expect(dialog).toHaveAttribute('data-state', 'open');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Email' }), 'dan@acme.test');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Dan Okafor{Enter}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(trigger).toHaveFocus());
    const { service } = loaded as KitLoaded;
    await expect((await service.findLicense('SEN-4821337'))?.billing).toContain('dan@acme.test');
  },
};
