import { defaultPolicy } from '@license-contacts/core';
import { demoPeople } from '@license-contacts/core/fixtures';
import { RemoveContactDialog } from '@license-contacts/react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, screen, waitFor, within } from 'storybook/test';
import { controlledDialog, jiraWithDan, type KitLoaded, type KitParameters, rejecting } from './kit';

const { alice, bob, carol, dan } = demoPeople;

const meta = {
  title: 'Components/RemoveContactDialog',
  component: RemoveContactDialog,
  args: {
    licenseId: 'SEN-4821337',
    role: 'technical',
    contact: { ...carol, roles: ['technical'] },
    open: true,
    onOpenChange: fn(),
    onRemoved: fn(),
  },
  render: controlledDialog(RemoveContactDialog, 'Open the remove dialog'),
  parameters: {
    docs: {
      story: { inline: false, height: '380px' },
      description: {
        component: `The confirmation that removes a contact from one role. When the contact is the role's
main contact it asks for the \`New main contact\` (the next in line is chosen first); when the
signed-in person removes their own last role it warns that they will lose access. \`ContactList\`
opens it from the × buttons.

\`\`\`tsx
<RemoveContactDialog
  licenseId="SEN-4821337" role="technical" contact={alice}
  successors={[carol, dan]} losesAccess open={open} onOpenChange={setOpen}
/>
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof RemoveContactDialog>;

export default meta;
type Story = StoryObj<typeof meta>;

const kit = (parameters: KitParameters) => ({ kit: parameters });

/** Alice, main technical contact of Jira Software, removing herself; Carol and Dan may succeed her. */
const mainArgs = {
  contact: { ...alice, roles: ['technical'] },
  successors: [
    { ...carol, roles: ['technical'] },
    { ...dan, roles: ['technical'] },
  ],
  losesAccess: true,
} satisfies Story['args'];

/** Removing a secondary contact: no successor to choose. */
export const RemoveSecondary: Story = {
  play: async ({ args, userEvent, loaded }) => {
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Carol Nguyen?' });
    await expect(within(dialog).queryByRole('combobox')).toBeNull();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    await expect(args.onRemoved).toHaveBeenCalledOnce();
    const { service } = loaded as KitLoaded;
    await expect((await service.findLicense('SEN-4821337'))?.technical).toEqual(['alice@acme.test']);
  },
};

/** Alice removes herself as main technical contact: she picks who takes over, and is told she loses access. */
export const RemovingMainWithSuccessorChoice: Story = {
  args: mainArgs,
  parameters: kit({ licenses: jiraWithDan }),
  play: async () => {
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Alice Johnson?' });
    await expect(dialog).toHaveTextContent('lose access');
    const successor = within(dialog).getByRole('combobox', { name: 'New main contact' });
    await expect(successor).toHaveValue('carol@acme.test');
  },
};

/** Main flow: choosing Dan rather than the next in line, then removing. */
export const RemoveChoosingSuccessor: Story = {
  ...RemovingMainWithSuccessorChoice,
  play: async ({ userEvent, loaded }) => {
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Alice Johnson?' });
    await userEvent.selectOptions(
      within(dialog).getByRole('combobox', { name: 'New main contact' }),
      dan.email,
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    const { service } = loaded as KitLoaded;
    await expect((await service.findLicense('SEN-4821337'))?.technical).toEqual([
      'dan@acme.test',
      'carol@acme.test',
    ]);
  },
};

/** Cancel changes nothing. */
export const Cancel: Story = {
  play: async ({ userEvent, loaded }) => {
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Carol Nguyen?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    const { service } = loaded as KitLoaded;
    await expect((await service.findLicense('SEN-4821337'))?.technical).toHaveLength(2);
  },
};

/** Someone else changed the license at the same moment: the dialog says so and stays open. */
export const Conflict: Story = {
  parameters: kit({ api: rejecting('CONFLICT', 'mutations') }),
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Carol Nguyen?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await expect(await within(dialog).findByRole('alert')).toHaveTextContent('changed by someone else');
  },
};

/** The last billing contact cannot go: the refusal is shown in the dialog. */
export const LastContact: Story = {
  args: { role: 'billing', contact: { ...bob, roles: ['billing'] } },
  parameters: kit({ actor: bob }),
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Bob Martinez?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await expect(await within(dialog).findByRole('alert')).toBeInTheDocument();
  },
};

/** The dark custom properties of the stylesheet. */
export const Dark: Story = {
  args: mainArgs,
  parameters: kit({ licenses: jiraWithDan }),
  globals: { theme: 'dark' },
};

/** German messages. */
export const German: Story = {
  ...RemovingMainWithSuccessorChoice,
  globals: { locale: 'de' },
  play: async () => {
    await expect(
      await screen.findByRole('alertdialog', { name: 'Alice Johnson entfernen?' }),
    ).toBeInTheDocument();
  },
};

/** A phone-sized screen. */
export const Narrow: Story = {
  args: mainArgs,
  parameters: kit({ licenses: jiraWithDan, width: 320 }),
  globals: { viewport: { value: 'mobile1', isRotated: false } },
};

/** Closing stays mounted for the exit animation: the content reads `data-state="closed"` until it ends. */
export const ClosingAnimation: Story = {
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Carol Nguyen?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await expect(dialog).toHaveAttribute('data-state', 'closed');
    await expect(dialog.isConnected).toBe(true);
    await waitFor(() => expect(dialog.isConnected).toBe(false));
  },
};

/** Uncontrolled with its `Trigger` part; who may succeed and the warning come from permissions. */
export const Uncontrolled: Story = {
  args: { contact: { ...alice, roles: ['technical'] } },
  // Uncontrolled: the story's `open` is left out.
  render: ({ open: _open, ...args }) => (
    <RemoveContactDialog {...args}>
      <RemoveContactDialog.Trigger>I am leaving Jira Software</RemoveContactDialog.Trigger>
    </RemoveContactDialog>
  ),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'I am leaving Jira Software' }));
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Alice Johnson?' });
    await waitFor(() => expect(dialog).toHaveTextContent('lose access'));
    await expect(within(dialog).getByRole('combobox', { name: 'New main contact' })).toHaveValue(carol.email);
  },
};

/** A portal where company admins keep seeing their licenses: removing herself, Alice keeps access. */
export const PolicyKeepsAccess: Story = {
  args: { defaultOpen: true, contact: { ...alice, roles: ['technical'] } },
  render: ({ open: _open, ...args }) => <RemoveContactDialog {...args} />,
  parameters: kit({
    policy: {
      ...defaultPolicy,
      canView: ({ license, actor }) =>
        actor.email.endsWith('@acme.test') || license.contacts.some((c) => c.email === actor.email),
    },
  }),
  play: async () => {
    const dialog = await screen.findByRole('alertdialog', { name: 'Remove Alice Johnson?' });
    await within(dialog).findByRole('combobox', { name: 'New main contact' });
    await expect(dialog).not.toHaveTextContent('lose access');
  },
};
