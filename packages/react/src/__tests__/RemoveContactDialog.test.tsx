import type { Role } from '@license-contacts/core';
import { demoPeople } from '@license-contacts/core/testing';
import { RemoveContactDialog } from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderKit } from './helpers';

const JIRA = 'SEN-4821337';
const { alice, carol } = demoPeople;
// A contact role (the `role` prop), not an ARIA role.
const TECHNICAL: Role = 'technical';

describe('RemoveContactDialog', () => {
  it('tells apart successors of the same name by their email', () => {
    const twin = { email: 'carol.n@acme.test', name: carol.name, roles: ['technical' as const] };
    renderKit(
      <RemoveContactDialog
        licenseId={JIRA}
        role={TECHNICAL}
        contact={{ ...alice, roles: ['technical'] }}
        successors={[
          { ...carol, roles: ['technical'] },
          twin,
          { email: 'zed@acme.test', name: 'Zed', roles: ['technical'] },
        ]}
        open
        onOpenChange={() => {}}
      />,
    );
    const dialog = screen.getByRole('alertdialog', { name: `Remove ${alice.name}?` });
    expect(
      within(dialog)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([`${carol.name} (${carol.email})`, `${carol.name} (${twin.email})`, 'Zed']);
    expect(dialog).not.toHaveTextContent('lose access');
  });

  it('works as a controlled part: Cancel asks to close and removes nothing', async () => {
    const onOpenChange = vi.fn();
    const onRemoved = vi.fn();
    const { user, service } = renderKit(
      <RemoveContactDialog
        licenseId={JIRA}
        role={TECHNICAL}
        contact={{ ...carol, roles: ['technical'] }}
        open
        onOpenChange={onOpenChange}
        onRemoved={onRemoved}
      />,
    );
    const dialog = screen.getByRole('alertdialog', { name: `Remove ${carol.name}?` });
    expect(within(dialog).queryByRole('combobox')).not.toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(onOpenChange).toHaveBeenCalledWith(false);
    expect(onRemoved).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(onRemoved).toHaveBeenCalledTimes(1));
    expect((await service.findLicense(JIRA))?.technical).toEqual([alice.email]);
  });
});
