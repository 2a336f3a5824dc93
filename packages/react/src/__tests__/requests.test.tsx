import { defaultPolicy, deny, type Policy } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { LicenseHistory, LicenseList, LicensePanel, RequestList } from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { announcement, enabledButton, refusedButton, renderKit } from './helpers';

const JIRA = 'SEN-4821337'; // technical: alice, carol; billing: bob
const BITBUCKET = 'SEN-3141592'; // technical: carol, alice, erin (gmail); billing: bob
const { alice, bob, carol, erin } = demoPeople;
const contractor = { email: 'sam.contractor@gmail.com', name: 'Sam Rivera' };

const technical = () => screen.findByRole('list', { name: 'Technical contacts' });

describe('invitations in the kit (§7)', () => {
  it('invites a person of another company from the add dialog, lists them as Pending, and cancels', async () => {
    const service = createDemoService({ invitations: 'otherDomains' });
    const { user } = renderKit(<LicensePanel licenseId={JIRA} />, { service });
    await user.click(await enabledButton('Add technical contact'));
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await user.type(email, contractor.email);
    // The core's directAdd says in advance that this address is invited, not added.
    expect(email).toHaveAccessibleDescription(
      `${contractor.email} will be invited and becomes a contact on accepting`,
    );
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), contractor.name);
    await user.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());

    const row = await within(await technical()).findByText(contractor.name);
    const item = row.closest('li') as HTMLElement;
    expect(item).toHaveTextContent('Pending');
    await waitFor(() => expect(announcement()).toBe(`Invitation sent to ${contractor.name}`));
    // Not a contact: no access, not on the license.
    const license = await service.findLicense(JIRA);
    expect(license?.contacts.map((c) => c.email)).not.toContain(contractor.email);
    const [request] = (await service.as(contractor).requests()).items;
    expect(request).toMatchObject({ kind: 'invitation', state: 'pending', roles: ['technical'] });

    const cancel = within(item).getByRole('button', { name: 'Cancel invitation' });
    expect(cancel).toHaveAccessibleDescription(contractor.name);
    await user.click(cancel);
    await waitFor(() =>
      expect(
        within(screen.getByRole('list', { name: 'Technical contacts' })).queryByText(contractor.name),
      ).toBeNull(),
    );
    expect((await service.as(contractor).requests()).items[0]?.state).toBe('cancelled');
  });

  it('adds a colleague directly under otherDomains, with no invitation note', async () => {
    const service = createDemoService({ invitations: 'otherDomains' });
    const { user } = renderKit(<LicensePanel licenseId={JIRA} />, { service });
    await user.click(await enabledButton('Add billing contact'));
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    const email = within(dialog).getByRole('textbox', { name: 'Email' });
    await user.type(email, 'dana@acme.test');
    expect(email).not.toHaveAccessibleDescription();
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Dana');
    await user.click(within(dialog).getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect((await service.findLicense(JIRA))?.billing).toEqual([bob.email, 'dana@acme.test']);
  });

  it('leads the invitee’s license list with the invitation; accepting shows the license', async () => {
    const service = createDemoService({ invitations: 'otherDomains' });
    await service.as(alice).invite(JIRA, { ...contractor, roles: ['technical'] });
    const { user } = renderKit(<LicenseList />, { service, email: contractor.email });
    const requests = await screen.findByRole('list', { name: 'Pending requests' });
    const [item] = within(requests).getAllByRole('listitem') as [HTMLElement];
    expect(item).toHaveTextContent(
      `${alice.email} invites you to become a technical contact of Jira Software ${JIRA}`,
    );
    expect(within(item).getByRole('button', { name: 'Decline' })).toBeInTheDocument();
    expect(within(item).queryByRole('button', { name: 'Cancel invitation' })).toBeNull();
    expect(screen.getByText('No licenses')).toBeInTheDocument();

    await user.click(within(item).getByRole('button', { name: 'Accept' }));
    expect(await screen.findByRole('button', { name: /^Jira Software SEN-4821337/ })).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('list', { name: 'Pending requests' })).toBeNull());
    await waitFor(() => expect(announcement()).toBe(`You are now a contact of Jira Software ${JIRA}`));
    expect((await service.findLicense(JIRA))?.technical).toContain(contractor.email);
  });

  it('declines an invitation: it leaves the list and nothing is added', async () => {
    const service = createDemoService();
    await service.as(alice).invite(JIRA, { ...contractor, roles: ['billing'] });
    const { user } = renderKit(<RequestList />, { service, email: contractor.email });
    await user.click(await screen.findByRole('button', { name: 'Decline' }));
    expect(await screen.findByText('No pending requests')).toBeInTheDocument();
    expect((await service.findLicense(JIRA))?.billing).toEqual([bob.email]);
  });

  it('shows the inviter their invitation with Cancel invitation, and nobody else’s choices', async () => {
    const service = createDemoService();
    await service.as(alice).invite(JIRA, { ...contractor, roles: ['technical'] });
    renderKit(<RequestList />, { service });
    const [item] = within(await screen.findByRole('list', { name: 'Pending requests' })).getAllByRole(
      'listitem',
    ) as [HTMLElement];
    expect(item).toHaveTextContent(`You invited ${contractor.name} (${contractor.email})`);
    expect(within(item).getByRole('button', { name: 'Cancel invitation' })).toBeInTheDocument();
    expect(within(item).queryByRole('button', { name: 'Accept' })).toBeNull();
  });

  it('leaves a colleague’s invitation out of a person’s own list, and shows it in the license’s', async () => {
    const service = createDemoService();
    await service
      .as(alice)
      .invite(JIRA, { email: 'gina@partner.test', name: 'Gina Park', roles: ['technical'] });
    // Carol sees the invitation (a contact of the license); she may withdraw it, but it is not about her.
    const [seen] = (await service.as(carol).requests()).items;
    expect(seen?.actions?.cancel).toEqual({ allowed: true });
    const own = renderKit(<RequestList />, { service, email: carol.email });
    expect(await screen.findByText('No pending requests')).toBeInTheDocument();
    own.unmount();
    renderKit(<RequestList licenseId={JIRA} />, { service, email: carol.email });
    const list = await screen.findByRole('list', { name: 'Pending requests' });
    expect(list).toHaveTextContent(`${alice.email} invites Gina Park (gina@partner.test)`);
    expect(
      within(list)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Cancel invitation']);
  });

  it('says an expired invitation is gone when it is accepted too late', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const service = createDemoService({ clock: () => new Date(now) });
    await service.as(alice).invite(JIRA, { ...contractor, roles: ['technical'] });
    const { user } = renderKit(<RequestList />, { service, email: contractor.email });
    const accept = await screen.findByRole('button', { name: 'Accept' });
    now += 15 * 24 * 3600 * 1000;
    await user.click(accept);
    expect(await screen.findByRole('alert')).toHaveTextContent('This request has expired; ask for a new one');
    expect(await screen.findByText('No pending requests')).toBeInTheDocument();
  });
});

describe('transfer requests in the kit (R13)', () => {
  it('turns the up arrow across companies into a request the main contact accepts', async () => {
    const service = createDemoService();
    const erinView = renderKit(<LicensePanel licenseId={BITBUCKET} />, { service, email: erin.email });
    const up = await enabledButton(`Make ${erin.name} main technical contact`);
    expect(up).toHaveAccessibleDescription(
      `${erin.email} is with another company than the main technical contact ${carol.email}: this needs a transfer request that the other side accepts`,
    );
    await erinView.user.click(up);
    await waitFor(() =>
      expect(announcement()).toBe(
        `Asked for ${erin.name} to become the main technical contact; the other side decides`,
      ),
    );
    // Nothing changed yet: the license waits for the other side.
    expect((await service.findLicense(BITBUCKET))?.technical[0]).toBe(carol.email);
    const row = within(await technical())
      .getByText(erin.name)
      .closest('li') as HTMLElement;
    await waitFor(() => expect(row).toHaveTextContent('Main position requested'));
    erinView.unmount();

    const carolView = renderKit(<RequestList />, { service, email: carol.email });
    const item = (await screen.findByText(/asks to become/)).closest('li') as HTMLElement;
    expect(item).toHaveTextContent(
      `${erin.email} asks to become the main technical contact of Bitbucket ${BITBUCKET}`,
    );
    await carolView.user.click(within(item).getByRole('button', { name: 'Accept' }));
    await waitFor(() => expect(announcement()).toBe(`${erin.name} is now the main technical contact`));
    expect((await service.findLicense(BITBUCKET))?.technical[0]).toBe(erin.email);
  });

  it('shows a request opened elsewhere at once, live, without announcing the person’s own', async () => {
    const service = createDemoService();
    const { user } = renderKit(<RequestList />, { service, email: carol.email });
    expect(await screen.findByText('No pending requests')).toBeInTheDocument();
    await service.as(erin).requestTransfer(BITBUCKET, 'technical', erin.email);
    const accept = await screen.findByRole('button', { name: 'Accept' });
    await user.click(accept);
    await waitFor(() => expect(announcement()).toBe(`${erin.name} is now the main technical contact`));
    expect(await screen.findByText('No pending requests')).toBeInTheDocument();
  });

  it('keeps the up arrow refused when the portal’s policy allows no transfer request', async () => {
    const policy: Policy = {
      ...defaultPolicy,
      requestTransfer: () => deny('NO_TRANSFERS', 'Main positions move only through your account manager'),
    };
    const service = createDemoService({ policy });
    const { user } = renderKit(<LicensePanel licenseId={BITBUCKET} />, { service, email: erin.email });
    const up = await refusedButton(`Make ${erin.name} main technical contact`);
    // Refused for want of consent, and no request offered instead.
    expect(up).toHaveAccessibleDescription(/needs a transfer request/);
    await user.click(up);
    expect((await service.as(erin).requests()).items).toEqual([]);
    expect(
      (await service.as(erin).permissions(BITBUCKET)).requestTransfer.technical[erin.email],
    ).toMatchObject({ allowed: false, reason: 'NO_TRANSFERS' });
  });
});

describe('requests in the history', () => {
  /** The history's sentences, newest first. */
  const sentences = (region: HTMLElement) =>
    within(region)
      .getAllByRole('listitem')
      .map((item) => item.querySelector('.lc-history__sentence')?.textContent ?? '');

  it('tells each request and its decision, in English and German', async () => {
    const service = createDemoService();
    const invited = await service.as(alice).invite(JIRA, { ...contractor, roles: ['technical'] });
    await service.as(contractor).acceptRequest(invited.id);
    const again = await service
      .as(alice)
      .invite(JIRA, { email: 'gina@partner.test', name: 'Gina Park', roles: ['billing'] });
    await service.as(alice).cancelRequest(again.id);
    const transfer = await service.as(contractor).requestTransfer(JIRA, 'technical', contractor.email);
    await service.as(alice).acceptRequest(transfer.id);
    const english = renderKit(<LicenseHistory licenseId={JIRA} />, { service });
    const region = await screen.findByRole('region', { name: 'History' });
    await waitFor(() => expect(within(region).getAllByRole('listitem')).toHaveLength(6));
    expect(sentences(region)).toEqual([
      `${alice.name} accepted the request for ${contractor.name} to become the main technical contact; ${contractor.name} became the main technical contact`,
      `${contractor.name} asked for ${contractor.name} to become the main technical contact`,
      `${alice.name} withdrew the invitation of Gina Park`,
      `${alice.name} invited Gina Park to become a billing contact`,
      `${contractor.name} accepted the invitation`,
      `${alice.name} invited ${contractor.name} to become a technical contact`,
    ]);
    english.unmount();
    renderKit(<LicenseHistory licenseId={JIRA} />, { service, locale: 'de' });
    const verlauf = await screen.findByRole('region', { name: 'Verlauf' });
    await waitFor(() => expect(within(verlauf).getAllByRole('listitem')).toHaveLength(6));
    expect(sentences(verlauf).slice(4, 6)).toEqual([
      `${contractor.name} hat die Einladung angenommen`,
      `${alice.name} hat ${contractor.name} als technischen Kontakt eingeladen`,
    ]);
  });
});

describe('addresses that bounce (§7)', () => {
  it('marks a contact whose mail bounces, from permissions.unreachable', async () => {
    const service = createDemoService();
    await service.reportBounce(bob.email, { permanent: true, reason: '550 no such user' });
    renderKit(<LicensePanel licenseId={JIRA} />, { service });
    const billing = await screen.findByRole('list', { name: 'Billing contacts' });
    const row = within(billing).getByText(bob.name).closest('li') as HTMLElement;
    await waitFor(() => expect(row).toHaveTextContent('Mail to this address bounces'));
    const tech = await technical();
    expect(tech).not.toHaveTextContent('Mail to this address bounces');
  });
});

describe('RequestList states', () => {
  it('says when there are none, fails visibly, and speaks German', async () => {
    const empty = renderKit(<RequestList />);
    expect(await screen.findByText('No pending requests')).toBeInTheDocument();
    empty.unmount();

    const failing = renderKit(<RequestList />, {
      wrapApi: (api) => ({ ...api, requests: () => Promise.reject(new Error('offline')) }),
    });
    expect(await screen.findByRole('alert')).toHaveTextContent('offline');
    failing.unmount();

    const service = createDemoService();
    await service.as(alice).invite(JIRA, { ...contractor, roles: ['technical', 'billing'] });
    renderKit(<RequestList />, { service, email: contractor.email, locale: 'de' });
    const list = await screen.findByRole('list', { name: 'Offene Anfragen' });
    expect(list).toHaveTextContent(
      `${alice.email} hat Sie eingeladen, technischer und kaufmännischer Kontakt von Jira Software ${JIRA} zu werden`,
    );
    expect(within(list).getByRole('button', { name: 'Annehmen' })).toBeInTheDocument();
    expect(within(list).getByRole('button', { name: 'Ablehnen' })).toBeInTheDocument();
  });
});
