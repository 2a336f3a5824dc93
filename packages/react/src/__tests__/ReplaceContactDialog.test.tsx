import { defaultPolicy, deny, type Policy } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { LicenseList, ReplaceContactDialog } from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { announcement, enabledButton, refusedButton, renderKit } from './helpers';

const JIRA = 'SEN-4821337';
const BITBUCKET = 'SEN-3141592';
const { alice, bob, carol, dan } = demoPeople;
const GINA = { email: 'gina@partner.test', name: 'Gina Park' };

/** The rows of a preview table: each row's header and cells as text. */
function rows(table: HTMLElement): string[][] {
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) =>
      [...within(row).queryAllByRole('rowheader'), ...within(row).queryAllByRole('cell')].map(
        (cell) => cell.textContent ?? '',
      ),
    );
}

describe('ReplaceContactDialog', () => {
  it('replaces a person who left on every license from the license list: preview, then one atomic step', async () => {
    const { user, service } = renderKit(
      <main>
        <LicenseList />
      </main>,
    );
    await user.click(await enabledButton('Replace a person on every license'));
    const dialog = await screen.findByRole('dialog', { name: 'Replace a person on every license' });
    const left = within(dialog).getByRole('combobox', { name: 'Person who left' });
    expect(left).toHaveFocus();
    await user.type(left, carol.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), dan.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), dan.name);
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const changed = await within(dialog).findByRole('table', { name: 'Licenses changed' });
    expect(rows(changed)).toEqual([
      ['Bitbucket SEN-3141592', 'Technical', 'Main technical contact'],
      ['Jira Software SEN-4821337', 'Technical', 'None'],
    ]);
    expect(within(dialog).queryByRole('table', { name: 'Licenses skipped' })).not.toBeInTheDocument();
    expect(within(dialog).getByText('2 licenses change')).toHaveFocus();
    // A preview changes nothing.
    expect((await service.findLicense(JIRA))?.technical).toEqual([alice.email, carol.email]);
    await user.click(within(dialog).getByRole('button', { name: 'Replace on 2 licenses' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect((await service.findLicense(JIRA))?.technical).toEqual([alice.email, dan.email]);
    expect((await service.findLicense(BITBUCKET))?.technical[0]).toBe(dan.email);
    await waitFor(() => expect(announcement()).toBe(`${dan.name} replaced ${carol.name} on 2 licenses`));
    expect(screen.getByRole('button', { name: 'Replace a person on every license' })).toHaveFocus();
  });

  it('lists the licenses it skips with the reason, and replaces only on the others', async () => {
    const { user, service } = renderKit(<ReplaceContactDialog defaultOpen email={carol.email} />);
    const dialog = await screen.findByRole('dialog', { name: 'Replace a person on every license' });
    expect(within(dialog).getByRole('combobox', { name: 'Person who left' })).toHaveValue(carol.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), GINA.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), `${GINA.name}{Enter}`);
    const skipped = await within(dialog).findByRole('table', { name: 'Licenses skipped' });
    // Carol is main on Bitbucket: taking it over needs a successor of Alice's company.
    expect(rows(skipped)).toEqual([
      [BITBUCKET, `${GINA.email} is not on your company domain and cannot take over a main position`],
    ]);
    expect(rows(within(dialog).getByRole('table', { name: 'Licenses changed' }))).toEqual([
      ['Jira Software SEN-4821337', 'Technical', 'None'],
    ]);
    await user.click(within(dialog).getByRole('button', { name: 'Replace on 1 license' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect((await service.findLicense(JIRA))?.technical).toEqual([alice.email, GINA.email]);
    expect((await service.findLicense(BITBUCKET))?.technical[0]).toBe(carol.email);
  });

  it('marks a refused field and keeps the dialog open; editing a field drops the preview', async () => {
    const { user } = renderKit(<ReplaceContactDialog defaultOpen />);
    const dialog = await screen.findByRole('dialog', { name: 'Replace a person on every license' });
    await user.type(within(dialog).getByRole('combobox', { name: 'Person who left' }), bob.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), 'not-an-address');
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), dan.name);
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(email).toHaveAccessibleDescription(/exactly one @/);
    expect(email).toHaveFocus();
    await user.clear(email);
    await user.type(email, dan.email);
    expect(email).not.toHaveAttribute('aria-invalid');
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await within(dialog).findByRole('table', { name: 'Licenses changed' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), ' Jr');
    expect(within(dialog).queryByRole('table')).not.toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: /^Replace on/ })).not.toBeInTheDocument();
  });

  it('says when there is nothing to replace', async () => {
    const { user } = renderKit(<ReplaceContactDialog defaultOpen email="nobody@acme.test" />);
    const dialog = await screen.findByRole('dialog', { name: 'Replace a person on every license' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), dan.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), dan.name);
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect(
      await within(dialog).findByText('nobody@acme.test is on no license you may change.'),
    ).toBeVisible();
    expect(within(dialog).queryByRole('button', { name: /^Replace on/ })).not.toBeInTheDocument();
  });

  it('changes nothing when a previewed license may no longer be changed, and says so', async () => {
    const service = createDemoService();
    const { user } = renderKit(<ReplaceContactDialog defaultOpen email={carol.email} />, { service });
    const dialog = await screen.findByRole('dialog', { name: 'Replace a person on every license' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), dan.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), dan.name);
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await within(dialog).findByRole('table', { name: 'Licenses changed' });
    // Meanwhile Alice leaves Bitbucket: it is no longer hers to change.
    await service.as({ email: alice.email }).removeContact(BITBUCKET, alice.email);
    await user.click(within(dialog).getByRole('button', { name: 'Replace on 2 licenses' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(`License ${BITBUCKET} not found`);
    expect((await service.findLicense(JIRA))?.technical).toEqual([alice.email, carol.email]);
    expect(within(dialog).queryByRole('button', { name: /^Replace on/ })).not.toBeInTheDocument();
  });

  it('works uncontrolled from its Trigger part, and tells a controlling parent', async () => {
    const onOpenChange = vi.fn();
    const { user } = renderKit(
      <ReplaceContactDialog onOpenChange={onOpenChange}>
        <ReplaceContactDialog.Trigger>Someone left</ReplaceContactDialog.Trigger>
      </ReplaceContactDialog>,
    );
    const trigger = screen.getByRole('button', { name: 'Someone left' });
    expect(trigger).toHaveAttribute('aria-haspopup', 'dialog');
    expect(trigger).toHaveAttribute('aria-expanded', 'false');
    await user.click(trigger);
    const dialog = await screen.findByRole('dialog', { name: 'Replace a person on every license' });
    expect(onOpenChange).toHaveBeenLastCalledWith(true);
    expect(dialog).toHaveAttribute('data-state', 'open');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(onOpenChange).toHaveBeenLastCalledWith(false);
    expect(trigger).toHaveFocus();
  });

  it('offers the wizard as the core decides: refused with the reason under a policy that keeps it to staff', async () => {
    const policy: Policy = {
      ...defaultPolicy,
      replaceContact: (context) =>
        context.actor.staff ? { allowed: true } : deny('STAFF_ONLY', 'Only staff replace people who left'),
    };
    const { user } = renderKit(<LicenseList />, { service: createDemoService({ policy }) });
    const button = await refusedButton('Replace a person on every license');
    expect(button).toHaveAccessibleDescription('Only staff replace people who left');
    await user.click(button);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });
});
