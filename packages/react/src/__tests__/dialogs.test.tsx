import { demoPeople } from '@license-contacts/core/testing';
import {
  AddContactDialog,
  ContactList,
  en,
  LicensePanel,
  RemoveContactDialog,
  RoleSection,
} from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { enabledButton, namesIn, renderKit } from './helpers';

const JIRA = 'SEN-4821337';
const { alice, bob, carol, dan } = demoPeople;

describe('dialogs follow Radix', () => {
  it('AddContactDialog works uncontrolled from its Trigger: opens, adds, closes, returns focus', async () => {
    const { user, service } = renderKit(
      <AddContactDialog licenseId={JIRA} defaultRoles={['billing']}>
        <AddContactDialog.Trigger>Invite a colleague</AddContactDialog.Trigger>
      </AddContactDialog>,
    );
    const trigger = screen.getByRole('button', { name: 'Invite a colleague' });
    await user.click(trigger);
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    expect(dialog).toHaveAttribute('data-state', 'open');
    expect(within(dialog).getByRole('checkbox', { name: 'Billing contact' })).toBeChecked();
    await user.keyboard(`${dan.email}{Tab}${dan.name}{Enter}`);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(trigger).toHaveFocus();
    expect((await service.findLicense(JIRA))?.billing).toEqual([bob.email, dan.email]);
    // Opens again with a fresh form.
    await user.click(trigger);
    expect(within(await screen.findByRole('dialog')).getByRole('textbox', { name: 'Email' })).toHaveValue('');
  });

  it('AddContactDialog starts open with defaultOpen and closes on Cancel by itself', async () => {
    const onOpenChange = vi.fn();
    const { user } = renderKit(<AddContactDialog licenseId={JIRA} defaultOpen onOpenChange={onOpenChange} />);
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(onOpenChange).toHaveBeenCalledWith(false);
  });

  it('RemoveContactDialog works uncontrolled from its Trigger and decides successors from permissions', async () => {
    const { user, service } = renderKit(
      <RemoveContactDialog licenseId={JIRA} role="technical" contact={{ ...alice, roles: ['technical'] }}>
        <RemoveContactDialog.Trigger>I am leaving</RemoveContactDialog.Trigger>
      </RemoveContactDialog>,
    );
    await user.click(screen.getByRole('button', { name: 'I am leaving' }));
    const dialog = await screen.findByRole('alertdialog', { name: `Remove ${alice.name}?` });
    const successor = await within(dialog).findByRole('combobox', { name: 'New main contact' });
    expect(
      within(successor)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([carol.name]);
    await waitFor(() => expect(dialog).toHaveTextContent('lose access'));
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect((await service.findLicense(JIRA))?.technical).toEqual([carol.email]);
  });

  it('ContactList keeps the remove dialog mounted between removals and opens it fresh each time', async () => {
    const { user } = renderKit(<LicensePanel licenseId={JIRA} />);
    await user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    let dialog = await screen.findByRole('alertdialog', { name: `Remove ${carol.name}?` });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    await user.click(await enabledButton(`Remove ${alice.name} from technical contacts`));
    dialog = await screen.findByRole('alertdialog', { name: `Remove ${alice.name}?` });
    expect(within(dialog).getByRole('combobox', { name: 'New main contact' })).toHaveValue(carol.email);
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('exports the role sections as parts a portal arranges its own way', async () => {
    renderKit(
      <LicensePanel licenseId={JIRA}>
        <RoleSection licenseId={JIRA} role="billing" headingLevel={3} />
        <RoleSection licenseId={JIRA} role="technical" headingLevel={3} />
      </LicensePanel>,
    );
    const region = await screen.findByRole('region', { name: 'Jira Software' });
    const headings = await within(region).findAllByRole('heading', { level: 3 });
    expect(headings.map((h) => h.textContent)).toEqual(['Billing contacts', 'Technical contacts']);
    expect(within(region).queryByRole('term')).not.toBeInTheDocument();
  });
});

describe('rows keep their identity', () => {
  it('renders only the rows whose contact or position changed', async () => {
    const makeMain = vi.fn(en.makeMain);
    const { user, store } = renderKit(<ContactList licenseId={JIRA} role="technical" />, {
      messages: { makeMain },
    });
    await store.addContact(JIRA, { ...dan, roles: ['technical'] });
    const list = await screen.findByRole('list', { name: 'Technical contacts' });
    await waitFor(() => expect(namesIn(list)).toEqual([alice.name, carol.name, dan.name]));
    await waitFor(() => expect(store.getSnapshot().permissions[JIRA]?.stale).toBeFalsy());
    makeMain.mockClear();
    // A reload answering the version already held renders no row.
    await store.refreshLicense(JIRA);
    await store.refreshPermissions(JIRA);
    expect(makeMain).not.toHaveBeenCalled();
    // Promoting Dan moves him first: Alice's row gains a ↑, Dan's loses it, Carol's row is left alone.
    await user.click(screen.getByRole('button', { name: `Make ${dan.name} main technical contact` }));
    await waitFor(() => expect(store.getSnapshot().permissions[JIRA]?.stale).toBeFalsy());
    expect(makeMain.mock.calls.map(([name]) => name)).not.toContain(carol.name);
    expect(makeMain.mock.calls.map(([name]) => name)).toContain(alice.name);
  });
});
