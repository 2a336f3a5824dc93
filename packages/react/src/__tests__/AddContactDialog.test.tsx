import { demoPeople } from '@license-contacts/core/testing';
import { AddContactDialog, LicensePanel } from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { enabledButton, renderKit } from './helpers';

const JIRA = 'SEN-4821337';
const { alice, carol, dan } = demoPeople;

/** The dialog used on its own, controlled by its parent. */
function Standalone({ onAdded }: { onAdded: () => void }) {
  const [open, setOpen] = useState(true);
  return (
    <>
      <p>{open ? 'open' : 'closed'}</p>
      <AddContactDialog
        licenseId={JIRA}
        open={open}
        onOpenChange={setOpen}
        defaultRoles={['billing']}
        onAdded={onAdded}
      />
    </>
  );
}

async function openAddDialog(role: 'technical' | 'billing' = 'technical') {
  const kit = renderKit(<LicensePanel licenseId={JIRA} />);
  await kit.user.click(await enabledButton(`Add ${role} contact`));
  const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
  return { ...kit, dialog };
}

describe('AddContactDialog', () => {
  it('opens from Add billing contact with billing checked', async () => {
    const { dialog } = await openAddDialog('billing');
    expect(within(dialog).getByRole('checkbox', { name: 'Billing contact' })).toBeChecked();
    expect(within(dialog).getByRole('checkbox', { name: 'Technical contact' })).not.toBeChecked();
    expect(within(dialog).getByRole('textbox', { name: 'Email' })).toHaveFocus();
  });

  it('marks a refused email invalid with the core message as its description and stays open', async () => {
    const { user, dialog, service } = await openAddDialog();
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await user.type(email, 'not-an-email');
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Someone');
    await user.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(email).toHaveAccessibleDescription(/email/i);
    expect(email).toHaveFocus();
    expect(screen.getByRole('dialog', { name: 'Add contact' })).toBeInTheDocument();
    expect(within(dialog).getByRole('textbox', { name: 'Name' })).not.toHaveAttribute('aria-invalid');
    expect((await service.findLicense(JIRA))?.contacts).toHaveLength(3);
  });

  it('marks an empty name invalid', async () => {
    const { user, dialog } = await openAddDialog();
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), dan.email);
    await user.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    const name = within(dialog).getByRole('textbox', { name: 'Name' });
    await waitFor(() => expect(name).toHaveAttribute('aria-invalid', 'true'));
    expect(name).toHaveAccessibleDescription(/name/i);
    expect(within(dialog).getByRole('textbox', { name: 'Email' })).not.toHaveAttribute('aria-invalid');
  });

  it('marks the roles invalid when none is checked', async () => {
    const { user, dialog } = await openAddDialog();
    await user.click(within(dialog).getByRole('checkbox', { name: 'Technical contact' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), dan.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), dan.name);
    await user.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    const technical = within(dialog).getByRole('checkbox', { name: 'Technical contact' });
    await waitFor(() => expect(technical).toHaveAttribute('aria-invalid', 'true'));
    expect(technical).toHaveAccessibleDescription(/role/i);
  });

  it('shows a duplicate on the email field', async () => {
    const { user, dialog } = await openAddDialog();
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await user.type(email, `  ${carol.email.toUpperCase()} `);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), carol.name);
    await user.keyboard('{Enter}');
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(email).toHaveAccessibleDescription(`${carol.name} is already a technical contact`);
    expect(screen.getByRole('dialog', { name: 'Add contact' })).toBeInTheDocument();
  });

  it('adds with both roles, and starts empty the next time it opens', async () => {
    const { user, dialog, service } = await openAddDialog();
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), 'x');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    await user.click(screen.getByRole('button', { name: 'Add technical contact' }));
    const again = await screen.findByRole('dialog', { name: 'Add contact' });
    expect(within(again).getByRole('textbox', { name: 'Email' })).toHaveValue('');
    await user.type(within(again).getByRole('textbox', { name: 'Email' }), dan.email);
    await user.type(within(again).getByRole('textbox', { name: 'Name' }), dan.name);
    await user.click(within(again).getByRole('checkbox', { name: 'Billing contact' }));
    await user.click(within(again).getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const stored = await service.findLicense(JIRA);
    expect(stored?.technical).toContain(dan.email);
    expect(stored?.billing).toContain(dan.email);
  });

  it('closes with Escape and works as a controlled part on its own', async () => {
    const onAdded = vi.fn();
    const { user } = renderKit(<Standalone onAdded={onAdded} />, { email: alice.email });
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    expect(within(dialog).getByRole('checkbox', { name: 'Billing contact' })).toBeChecked();
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.getByText('closed')).toBeInTheDocument());
    expect(onAdded).not.toHaveBeenCalled();
  });
});
