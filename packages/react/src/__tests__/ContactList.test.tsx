import { LicenseContactsError } from '@license-contacts/core';
import { demoPeople } from '@license-contacts/core/testing';
import { LicensePanel } from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import {
  announcement,
  deferred,
  enabledButton,
  namesIn,
  recordAnnouncements,
  refusedButton,
  renderKit,
} from './helpers';

const JIRA = 'SEN-4821337';
const BITBUCKET = 'SEN-3141592';
const { alice, bob, carol, dan, erin } = demoPeople;

const technicalList = () => screen.getByRole('list', { name: 'Technical contacts' });
const billingList = () => screen.getByRole('list', { name: 'Billing contacts' });

describe('ContactList', () => {
  it('adds a colleague as technical contact from the add dialog, by keyboard', async () => {
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />);
    const said = recordAnnouncements();
    const add = await enabledButton('Add technical contact');
    await user.click(add);
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    expect(within(dialog).getByRole('checkbox', { name: 'Technical contact' })).toBeChecked();
    expect(within(dialog).getByRole('checkbox', { name: 'Billing contact' })).not.toBeChecked();
    expect(within(dialog).getByRole('textbox', { name: 'Email' })).toHaveFocus();
    await user.keyboard(dan.email);
    await user.tab();
    expect(within(dialog).getByRole('textbox', { name: 'Name' })).toHaveFocus();
    await user.keyboard(`${dan.name}{Enter}`);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(namesIn(technicalList())).toEqual([alice.name, carol.name, dan.name]);
    await waitFor(() => expect(announcement()).toBe(`${dan.name} was added as a technical contact`));
    // Said once the modal dialog no longer hides the rest of the page.
    expect(said).toEqual([{ text: `${dan.name} was added as a technical contact`, hidden: false }]);
    expect(add).toHaveFocus();
    expect((await service.findLicense(JIRA))?.technical).toEqual([alice.email, carol.email, dan.email]);
  });

  it('promotes a colleague with the up arrow', async () => {
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />);
    const items = await within(await screen.findByRole('list', { name: 'Technical contacts' })).findAllByRole(
      'listitem',
    );
    expect(items[0]).toHaveTextContent('Main');
    expect(within(items[0] as HTMLElement).queryByRole('button', { name: /^Make/ })).not.toBeInTheDocument();
    await user.click(await enabledButton(`Make ${carol.name} main technical contact`));
    const [first, second] = within(technicalList()).getAllByRole('listitem');
    expect(first).toHaveTextContent(carol.name);
    expect(first).toHaveTextContent('Main');
    expect(first).toHaveAttribute('data-main', 'true');
    expect(second).not.toHaveTextContent('Main');
    expect(first).toHaveFocus();
    await waitFor(() => expect(announcement()).toBe(`${carol.name} is now the main technical contact`));
    expect((await service.findLicense(JIRA))?.technical).toEqual([carol.email, alice.email]);
    expect(
      screen.getByRole('button', { name: `Make ${alice.name} main technical contact` }),
    ).toBeInTheDocument();
  });

  it('removes a contact with the x and puts focus on the list', async () => {
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />);
    await user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    const dialog = await screen.findByRole('alertdialog', { name: `Remove ${carol.name}?` });
    expect(within(dialog).queryByRole('combobox')).not.toBeInTheDocument();
    expect(dialog).not.toHaveTextContent('lose access');
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect(namesIn(technicalList())).toEqual([alice.name]);
    await waitFor(() => expect(announcement()).toBe(`${carol.name} was removed from technical contacts`));
    await waitFor(() => expect(technicalList()).toHaveFocus());
    expect((await service.findLicense(JIRA))?.contacts.map((c) => c.email)).not.toContain(carol.email);
  });

  it('returns focus to the x when the removal is cancelled, and changes nothing', async () => {
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />);
    const remove = await enabledButton(`Remove ${carol.name} from technical contacts`);
    await user.click(remove);
    const dialog = await screen.findByRole('alertdialog', { name: `Remove ${carol.name}?` });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(remove).toHaveFocus());
    expect(namesIn(technicalList())).toEqual([alice.name, carol.name]);
    expect((await service.findLicense(JIRA))?.technical).toEqual([alice.email, carol.email]);
  });

  it('adds the other role to a person already on the license, who then appears in both lists', async () => {
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />);
    await user.click(await enabledButton('Add technical contact'));
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), bob.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), bob.name);
    await user.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(namesIn(technicalList())).toContain(bob.name);
    expect(namesIn(billingList())).toEqual([bob.name]);
    const stored = await service.findLicense(JIRA);
    const bobs = stored?.contacts.filter((c) => c.email === bob.email) ?? [];
    expect(bobs).toHaveLength(1);
    expect([...(bobs[0]?.roles ?? [])].sort()).toEqual(['billing', 'technical']);
  });

  it('removes the main contact choosing a successor, and warns that removing yourself loses access', async () => {
    const service = (await import('@license-contacts/core/testing')).createDemoService();
    await service.as({ email: alice.email }).addContact(JIRA, { ...dan, roles: ['technical'] });
    const { user } = renderKit(<LicensePanel licenseId={JIRA} />, { service });
    await user.click(await enabledButton(`Remove ${alice.name} from technical contacts`));
    const dialog = await screen.findByRole('alertdialog', { name: `Remove ${alice.name}?` });
    expect(dialog).toHaveTextContent(/lose access/);
    const successor = within(dialog).getByRole('combobox', { name: 'New main contact' });
    expect(
      within(successor)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([carol.name, dan.name]);
    expect(successor).toHaveValue(carol.email);
    await user.selectOptions(successor, within(successor).getByRole('option', { name: dan.name }));
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect((await service.findLicense(JIRA))?.technical).toEqual([dan.email, carol.email]);
    // Alice held only that role: the license is gone from her view.
    expect(await screen.findByRole('alert')).toHaveTextContent(`License ${JIRA} not found`);
  });

  it('offers as new main contact only those the core lets take over', async () => {
    const { user } = renderKit(<LicensePanel licenseId={BITBUCKET} />, { email: carol.email });
    await user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    const dialog = await screen.findByRole('alertdialog', { name: `Remove ${carol.name}?` });
    // Erin uses a public mail domain: naming her is refused, so she is not offered.
    const successor = within(dialog).getByRole('combobox', { name: 'New main contact' });
    expect(
      within(successor)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([alice.name]);
  });

  it('keeps the remove dialog open with the reason when the server refuses, and rolls back', async () => {
    const { user } = renderKit(<LicensePanel licenseId={BITBUCKET} />, {
      email: carol.email,
      wrapApi: (api) => ({
        ...api,
        removeContact: async () => {
          throw new LicenseContactsError('FORBIDDEN', 'Removals are paused for maintenance', {
            reason: 'PAUSED',
          });
        },
      }),
    });
    await user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    const dialog = await screen.findByRole('alertdialog', { name: `Remove ${carol.name}?` });
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Removals are paused for maintenance');
    expect(screen.getByRole('alertdialog')).toBeInTheDocument();
    // Behind the modal dialog the list is hidden from assistive technology, so read it directly.
    const list = screen.getByRole('list', { name: 'Technical contacts', hidden: true });
    expect(namesIn(list)).toEqual([carol.name, alice.name, erin.name]);
    expect(within(dialog).getByRole('combobox', { name: 'New main contact' })).toHaveValue(alice.email);
  });

  it('shows an action the person may not take as aria-disabled with the reason, and ignores clicks', async () => {
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />, { email: carol.email });
    const remove = await refusedButton(`Remove ${alice.name} from technical contacts`);
    expect(remove).toHaveAttribute('aria-disabled', 'true');
    expect(remove).not.toBeDisabled();
    expect(remove).toHaveAccessibleDescription(
      'Only the main technical contact can remove the main technical contact',
    );
    await user.click(remove);
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    remove.focus();
    expect(remove).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect((await service.findLicense(JIRA))?.technical).toEqual([alice.email, carol.email]);
    // Her own row is hers to change.
    expect(await enabledButton(`Remove ${carol.name} from technical contacts`)).not.toHaveAttribute(
      'aria-describedby',
    );
  });

  it('explains why promoting someone of another company needs a transfer request, and offers one (R13)', async () => {
    renderKit(<LicensePanel licenseId={BITBUCKET} />, { email: carol.email });
    const promote = await enabledButton(`Make ${erin.name} main technical contact`);
    expect(promote).toHaveAccessibleDescription(
      `${erin.email} is with another company than the main technical contact ${carol.email}: this needs a transfer request that the other side accepts`,
    );
    expect(await enabledButton(`Make ${alice.name} main technical contact`)).toBeInTheDocument();
  });

  it('draws a promotion at once and rolls it back with an error when the Api fails', async () => {
    const gate = deferred();
    const { user } = renderKit(<LicensePanel licenseId={JIRA} />, {
      wrapApi: (api) => ({
        ...api,
        setMain: async () => {
          await gate.promise;
          throw new LicenseContactsError('STORAGE', 'The storage is unavailable; nothing was changed');
        },
      }),
    });
    await user.click(await enabledButton(`Make ${carol.name} main technical contact`));
    expect(namesIn(technicalList())).toEqual([carol.name, alice.name]);
    expect(within(technicalList()).getAllByRole('listitem')[0]).toHaveAttribute('data-state', 'pending');
    gate.resolve();
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The storage is unavailable; nothing was changed',
    );
    expect(namesIn(technicalList())).toEqual([alice.name, carol.name]);
    await waitFor(() => expect(announcement()).toMatch(/failed/));
  });

  it('refetches the license after a CONFLICT and shows what changed meanwhile', async () => {
    // Not live: a live store would take in Bob's change before the click, and there would be no conflict.
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />, {
      storeOptions: { versionCheck: true, live: false },
    });
    const promote = await enabledButton(`Make ${carol.name} main technical contact`);
    await service.as({ email: bob.email }).addContact(JIRA, { ...dan, roles: ['billing'] });
    await user.click(promote);
    expect(await screen.findByRole('alert')).toHaveTextContent(/version/);
    await waitFor(() => expect(namesIn(billingList())).toEqual([bob.name, dan.name]));
    expect(namesIn(technicalList())).toEqual([alice.name, carol.name]);
  });
  it('does promote, remove and add by keyboard alone', async () => {
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />);
    const promote = await enabledButton(`Make ${carol.name} main technical contact`);
    await enabledButton(`Remove ${alice.name} from technical contacts`);
    // Tab through the technical list: Alice's ×, then Carol's ↑.
    await user.tab();
    expect(
      screen.getByRole('button', { name: `Remove ${alice.name} from technical contacts` }),
    ).toHaveFocus();
    await user.tab();
    expect(promote).toHaveFocus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(namesIn(technicalList())).toEqual([carol.name, alice.name]));
    // Focus stays on Carol's row. Now main, she may only be removed by herself: her × says why and does nothing.
    await user.tab();
    const removeCarol = screen.getByRole('button', { name: `Remove ${carol.name} from technical contacts` });
    expect(removeCarol).toHaveFocus();
    await waitFor(() => expect(removeCarol).toHaveAttribute('aria-disabled', 'true'));
    await user.keyboard('{Enter}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    await user.tab();
    expect(screen.getByRole('button', { name: `Make ${alice.name} main technical contact` })).toHaveFocus();
    await user.tab();
    await user.tab();
    const add = screen.getByRole('button', { name: 'Add technical contact' });
    expect(add).toHaveFocus();
    await user.keyboard('{Enter}');
    await screen.findByRole('dialog', { name: 'Add contact' });
    await user.keyboard(`${dan.email}{Tab}${dan.name}{Enter}`);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    await waitFor(() => expect(add).toHaveFocus());
    // Back to Dan's ×, Space opens the confirmation with focus on Remove, Enter confirms.
    await user.tab({ shift: true });
    expect(screen.getByRole('button', { name: `Remove ${dan.name} from technical contacts` })).toHaveFocus();
    await user.keyboard(' ');
    const dialog = await screen.findByRole('alertdialog', { name: `Remove ${dan.name}?` });
    expect(within(dialog).getByRole('button', { name: 'Remove' })).toHaveFocus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    await waitFor(() => expect(technicalList()).toHaveFocus());
    expect((await service.findLicense(JIRA))?.technical).toEqual([carol.email, alice.email]);
  });
  it('shows one person in both lists, and removing one role keeps the other', async () => {
    const CONFLUENCE = 'SEN-5550142';
    const { user, service } = renderKit(<LicensePanel licenseId={CONFLUENCE} />);
    await screen.findByRole('region', { name: 'Confluence' });
    // Alice is the main technical and the main billing contact.
    expect(within(technicalList()).getByRole('listitem')).toHaveTextContent(`${alice.name}`);
    expect(within(technicalList()).getByRole('listitem')).toHaveTextContent('Main');
    expect(within(billingList()).getByRole('listitem')).toHaveTextContent('Main');
    await user.click(await enabledButton('Add technical contact'));
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), carol.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), carol.name);
    await user.click(within(dialog).getByRole('checkbox', { name: 'Billing contact' }));
    await user.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    await waitFor(() =>
      expect(announcement()).toBe(`${carol.name} was added as a technical and billing contact`),
    );
    expect(namesIn(technicalList())).toEqual([alice.name, carol.name]);
    expect(namesIn(billingList())).toEqual([alice.name, carol.name]);
    await user.click(await enabledButton(`Remove ${carol.name} from billing contacts`));
    const confirm = await screen.findByRole('alertdialog', { name: `Remove ${carol.name}?` });
    await user.click(within(confirm).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(namesIn(billingList())).toEqual([alice.name]));
    expect(namesIn(technicalList())).toEqual([alice.name, carol.name]);
    await waitFor(() => expect(announcement()).toBe(`${carol.name} was removed from billing contacts`));
    const stored = await service.findLicense(CONFLUENCE);
    expect(stored?.contacts.find((c) => c.email === carol.email)?.roles).toEqual(['technical']);
  });
  it('explains every action when the permissions cannot be loaded', async () => {
    renderKit(<LicensePanel licenseId={JIRA} />, {
      wrapApi: (api) => ({
        ...api,
        permissions: async () => {
          throw new LicenseContactsError('NETWORK', 'The network is down');
        },
      }),
    });
    const add = await screen.findByRole('button', { name: 'Add technical contact' });
    await waitFor(() => expect(add).toHaveAccessibleDescription('The network is down'));
    expect(add).toHaveAttribute('aria-disabled', 'true');
    expect(
      screen.getByRole('button', { name: `Make ${carol.name} main technical contact` }),
    ).toHaveAccessibleDescription('The network is down');
  });
  it('shows the actions only once the core has decided them, so a found button works at once', async () => {
    const gate = deferred();
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />, {
      wrapApi: (api) => ({
        ...api,
        permissions: async (...args) => {
          await gate.promise;
          return api.permissions(...args);
        },
      }),
    });
    await screen.findByRole('region', { name: 'Jira Software' });
    expect(
      screen.queryByRole('button', { name: `Make ${carol.name} main technical contact` }),
    ).not.toBeInTheDocument();
    gate.resolve();
    await user.click(
      await screen.findByRole('button', { name: `Make ${carol.name} main technical contact` }),
    );
    await waitFor(async () => expect((await service.findLicense(JIRA))?.technical[0]).toBe(carol.email));
  });

  it('offers the actions of a contact added a moment ago, before their permissions are known', async () => {
    const { user, service, store } = renderKit(<LicensePanel licenseId={JIRA} />);
    await enabledButton('Add technical contact');
    // Added elsewhere through the same store: the row appears before its permissions are refreshed.
    const adding = store.addContact(JIRA, { ...dan, roles: ['technical'] });
    const promote = await screen.findByRole('button', { name: `Make ${dan.name} main technical contact` });
    expect(promote).not.toHaveAttribute('aria-disabled');
    await adding;
    await user.click(promote);
    await waitFor(async () => expect((await service.findLicense(JIRA))?.technical[0]).toBe(dan.email));
  });
  it('lets the person promote back at once after a promotion, before the permissions are refreshed', async () => {
    const { user, service } = renderKit(<LicensePanel licenseId={JIRA} />);
    await user.click(await enabledButton(`Make ${carol.name} main technical contact`));
    const back = screen.getByRole('button', { name: `Make ${alice.name} main technical contact` });
    expect(back).not.toHaveAttribute('aria-disabled');
    await user.click(back);
    await waitFor(async () =>
      expect((await service.findLicense(JIRA))?.technical).toEqual([alice.email, carol.email]),
    );
    await waitFor(() => expect(namesIn(technicalList())).toEqual([alice.name, carol.name]));
  });
});
