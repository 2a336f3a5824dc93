import { ReplaceContactDialog } from '@license-contacts/react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, screen, waitFor, within } from 'storybook/test';
import { controlledDialog, demoPeople, type KitLoaded, type KitParameters, rejecting } from './kit';

const { alice, carol, dan } = demoPeople;
const GINA = { email: 'gina@partner.test', name: 'Gina Park' };
const TITLE = 'Replace a person on every license';

const meta = {
  title: 'Components/ReplaceContactDialog',
  component: ReplaceContactDialog,
  args: { open: true, onOpenChange: fn(), onReplaced: fn() },
  render: controlledDialog(ReplaceContactDialog, 'Open the offboarding wizard'),
  parameters: {
    docs: {
      story: { inline: false, height: '620px' },
      description: {
        component: `The offboarding wizard: the \`Person who left\` (suggested from the licenses on
screen), the successor's \`Email\` and \`Name\`, then \`Preview\`: a table of the licenses that change
(the roles and main positions the successor takes over) and one of those skipped, with the core's
reason. \`Replace on N licenses\` applies exactly the previewed licenses in one atomic step: if one of
them may no longer be changed, nothing changes. \`LicenseList\` opens it from its
\`Replace a person on every license\` button when the core's permissions allow replacing.

\`\`\`tsx
<ReplaceContactDialog email="bob@acme.test">
  <ReplaceContactDialog.Trigger>Bob left…</ReplaceContactDialog.Trigger>
</ReplaceContactDialog>
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof ReplaceContactDialog>;

export default meta;
type Story = StoryObj<typeof meta>;

const kit = (parameters: KitParameters) => ({ kit: parameters });

async function fill(dialog: HTMLElement, user: { type: (el: Element, text: string) => Promise<void> }) {
  await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), GINA.email);
  await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), GINA.name);
}

/** Opened: focus in `Person who left`. */
export const Open: Story = {
  play: async () => {
    const dialog = await screen.findByRole('dialog', { name: TITLE });
    await waitFor(() =>
      expect(within(dialog).getByRole('combobox', { name: 'Person who left' })).toHaveFocus(),
    );
  },
};

/** Carol left; Dan takes over: both of her licenses change, one main position with them. */
export const Preview: Story = {
  args: { email: carol.email },
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: TITLE });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Email' }), dan.email);
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), dan.name);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const table = await within(dialog).findByRole('table', { name: 'Licenses changed' });
    await expect(within(table).getAllByRole('row')).toHaveLength(3);
    await expect(within(table).getByRole('rowheader', { name: 'Bitbucket SEN-3141592' })).toBeInTheDocument();
    await expect(within(dialog).getByRole('button', { name: 'Replace on 2 licenses' })).toBeInTheDocument();
  },
};

/** A successor of another company cannot take over Carol's main position: that license is skipped. */
export const PreviewWithSkipped: Story = {
  args: { email: carol.email },
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: TITLE });
    await fill(dialog, userEvent);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const skipped = await within(dialog).findByRole('table', { name: 'Licenses skipped' });
    await expect(skipped).toHaveTextContent('cannot take over a main position');
    await expect(within(dialog).getByRole('button', { name: 'Replace on 1 license' })).toBeInTheDocument();
  },
};

/** Main flow: preview, then replace in one step; the dialog closes and the licenses are changed. */
export const Replace: Story = {
  args: { email: carol.email },
  play: async ({ args, userEvent, loaded }) => {
    const dialog = await screen.findByRole('dialog', { name: TITLE });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Email' }), dan.email);
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), `${dan.name}{Enter}`);
    await userEvent.click(await within(dialog).findByRole('button', { name: 'Replace on 2 licenses' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await expect(args.onReplaced).toHaveBeenCalledOnce();
    const { service } = loaded as KitLoaded;
    await expect((await service.findLicense('SEN-4821337'))?.technical).toEqual([alice.email, dan.email]);
    await expect((await service.findLicense('SEN-3141592'))?.technical[0]).toBe(dan.email);
  },
};

/** The person who left is on no license Alice may change. */
export const NothingToReplace: Story = {
  args: { email: 'nobody@acme.test' },
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: TITLE });
    await fill(dialog, userEvent);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await expect(
      await within(dialog).findByText('nobody@acme.test is on no license you may change.'),
    ).toBeInTheDocument();
  },
};

/** The successor's address is refused: the field is marked and says why. */
export const InvalidSuccessor: Story = {
  args: { email: carol.email },
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: TITLE });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Email' }), 'dan.acme.test');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), dan.name);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
  },
};

/** The replacement fails on the server: nothing changed, the reason is shown, the dialog stays. */
export const Failed: Story = {
  args: { email: carol.email },
  parameters: kit({
    api: (api) => {
      const failing = rejecting('STORAGE', 'mutations')(api);
      // The preview still works; only the real replacement fails.
      return {
        ...failing,
        replaceContact: (email, successor, options) =>
          options?.dryRun
            ? api.replaceContact(email, successor, options)
            : failing.replaceContact(email, successor, options),
      };
    },
  }),
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: TITLE });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Email' }), dan.email);
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), `${dan.name}{Enter}`);
    await userEvent.click(await within(dialog).findByRole('button', { name: 'Replace on 2 licenses' }));
    await expect(await within(dialog).findByRole('alert')).toHaveTextContent('nothing was changed');
  },
};

/** Uncontrolled: its `Trigger` part opens it, Escape closes it and focus goes back. */
export const Uncontrolled: Story = {
  args: { email: carol.email },
  // Uncontrolled: the story's `open` is left out.
  render: ({ open: _open, ...args }) => (
    <ReplaceContactDialog {...args}>
      <ReplaceContactDialog.Trigger>Carol left…</ReplaceContactDialog.Trigger>
    </ReplaceContactDialog>
  ),
  play: async ({ canvas, userEvent }) => {
    const trigger = canvas.getByRole('button', { name: 'Carol left…' });
    await userEvent.click(trigger);
    await screen.findByRole('dialog', { name: TITLE });
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(trigger).toHaveFocus());
  },
};

/** German messages. */
export const German: Story = {
  args: { email: carol.email },
  globals: { locale: 'de' },
  play: async ({ userEvent }) => {
    const dialog = await screen.findByRole('dialog', { name: 'Eine Person auf allen Lizenzen ersetzen' });
    await expect(within(dialog).getByRole('combobox', { name: 'Ausgeschiedene Person' })).toHaveValue(
      carol.email,
    );
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'E-Mail' }), GINA.email);
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), GINA.name);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Vorschau' }));
    await expect(
      await within(dialog).findByRole('table', { name: 'Übersprungene Lizenzen' }),
    ).toBeInTheDocument();
    await expect(within(dialog).getByRole('button', { name: 'Auf 1 Lizenz ersetzen' })).toBeInTheDocument();
  },
};

/** A phone-sized screen. */
export const Narrow: Story = {
  ...PreviewWithSkipped,
  parameters: kit({ width: 320 }),
  globals: { viewport: { value: 'mobile1', isRotated: false } },
};
