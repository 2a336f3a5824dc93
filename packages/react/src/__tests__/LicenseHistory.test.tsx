import {
  type AuditEntry,
  type LicenseContactsApi,
  LicenseContactsError,
  type Page,
} from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { LicenseHistory, LicensePanel } from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { enabledButton, renderKit } from './helpers';

const JIRA = 'SEN-4821337';
const { alice, bob, carol, dan } = demoPeople;
const AT = '2026-03-02T14:05:00.000Z';

/** The sentences of the history region, newest first. */
function sentences(region: HTMLElement): string[] {
  return within(region)
    .getAllByRole('listitem')
    .map((item) => item.querySelector('.lc-history__sentence')?.textContent ?? '');
}

/** A demo service where Alice made 12 changes to Jira Software. */
async function busyService() {
  const service = createDemoService();
  const api = service.as({ email: alice.email });
  await api.addContact(JIRA, { ...dan, roles: ['technical'] });
  for (let i = 0; i < 10; i++) await api.setMain(JIRA, 'technical', i % 2 === 0 ? carol.email : alice.email);
  await api.removeContact(JIRA, dan.email, { role: 'technical' });
  return service;
}

/** An entry in the change feed's shape: what changed, per contact. */
function entry(partial: Partial<AuditEntry> & Pick<AuditEntry, 'action' | 'changes'>): AuditEntry {
  return {
    id: `${JIRA}:${partial.version ?? 9}`,
    seq: String(partial.version ?? 9).padStart(16, '0'),
    licenseId: JIRA,
    version: 9,
    at: AT,
    actor: alice.email,
    staff: false,
    ...partial,
  };
}

describe('LicenseHistory', () => {
  it('shows each change as a sentence with its time, newest first, and pages with Show more', async () => {
    const service = await busyService();
    const { user } = renderKit(<LicenseHistory licenseId={JIRA} />, { service });
    const region = await screen.findByRole('region', { name: 'History' });
    await waitFor(() => expect(within(region).getAllByRole('listitem')).toHaveLength(10));
    const first = sentences(region);
    expect(first[0]).toBe(`${alice.name} removed ${dan.name} from the technical contacts`);
    expect(first[1]).toBe(`${alice.name} became the main technical contact`);
    expect(first[2]).toBe(`${alice.name} made ${carol.name} the main technical contact`);
    const stored = (await service.as({ email: alice.email }).history(JIRA, { limit: 1 }))
      .items[0] as AuditEntry;
    const time = within(region).getAllByRole('listitem')[0]?.querySelector('time');
    expect(time).toHaveAttribute('datetime', stored.at);
    expect(time?.textContent).not.toBe('');
    await user.click(within(region).getByRole('button', { name: 'Show more' }));
    await waitFor(() => expect(within(region).getAllByRole('listitem')).toHaveLength(12));
    expect(sentences(region).at(-1)).toBe(`${alice.name} added ${dan.name} as a technical contact`);
    expect(within(region).queryByRole('button', { name: 'Show more' })).not.toBeInTheDocument();
    // The keyboard goes on at the first entry that came in.
    expect(within(region).getAllByRole('listitem')[10]).toHaveFocus();
  });

  it('speaks German', async () => {
    const service = await busyService();
    renderKit(<LicenseHistory licenseId={JIRA} />, { service, locale: 'de' });
    const region = await screen.findByRole('region', { name: 'Verlauf' });
    await waitFor(() => expect(within(region).getAllByRole('listitem')).toHaveLength(10));
    expect(sentences(region).slice(0, 3)).toEqual([
      `${alice.name} hat ${dan.name} aus den technischen Kontakten entfernt`,
      `${alice.name} ist jetzt technischer Hauptkontakt`,
      `${alice.name} hat ${carol.name} zum technischen Hauptkontakt gemacht`,
    ]);
    expect(within(region).getByRole('button', { name: 'Mehr anzeigen' })).toBeInTheDocument();
  });

  it('says when nothing was recorded yet', async () => {
    renderKit(<LicenseHistory licenseId={JIRA} />);
    const region = await screen.findByRole('region', { name: 'History' });
    expect(await within(region).findByText('No changes recorded yet')).toBeInTheDocument();
    expect(within(region).queryByRole('list')).not.toBeInTheDocument();
  });

  it('shows a failed load with Try again', async () => {
    let fail = true;
    const { user } = renderKit(<LicenseHistory licenseId={JIRA} />, {
      wrapApi: (api) => ({
        ...api,
        history: async (...args) => {
          if (fail) throw new LicenseContactsError('STORAGE', 'The storage is unavailable');
          return api.history(...args);
        },
      }),
    });
    const region = await screen.findByRole('region', { name: 'History' });
    expect(await within(region).findByRole('alert')).toHaveTextContent('The storage is unavailable');
    fail = false;
    await user.click(within(region).getByRole('button', { name: 'Try again' }));
    expect(await within(region).findByText('No changes recorded yet')).toBeInTheDocument();
  });

  it('tells an action it has no sentence for from what changed, and takes a sentence per action from messages', async () => {
    const gina = { email: 'gina@partner.test', name: 'Gina Park' };
    const page: Page<AuditEntry> = {
      items: [
        entry({
          version: 3,
          action: 'acceptTransfer' as AuditEntry['action'],
          actor: bob.email,
          changes: [
            {
              email: gina.email,
              name: gina.name,
              before: { roles: ['technical'], technical: 1 },
              after: { roles: ['technical'], technical: 0 },
            },
            {
              email: alice.email,
              name: alice.name,
              before: { roles: ['technical'], technical: 0 },
              after: { roles: ['technical'], technical: 1 },
            },
          ],
        }),
        entry({
          version: 2,
          action: 'acceptInvitation' as AuditEntry['action'],
          actor: gina.email,
          changes: [
            {
              email: gina.email,
              name: gina.name,
              before: null,
              after: { roles: ['technical'], technical: 1 },
            },
          ],
        }),
      ],
    };
    renderKit(<LicenseHistory licenseId={JIRA} />, {
      wrapApi: (api: LicenseContactsApi) => ({ ...api, history: async () => page }),
      messages: {
        historySentences: { acceptInvitation: (f) => `${f.actor?.name} accepted the invitation` },
      },
    });
    const region = await screen.findByRole('region', { name: 'History' });
    await waitFor(() => expect(within(region).getAllByRole('listitem')).toHaveLength(2));
    expect(sentences(region)).toEqual([
      `${bob.name}: ${gina.name} became the main technical contact`,
      `${gina.name} accepted the invitation`,
    ]);
    expect(within(region).getAllByRole('listitem')[0]?.querySelector('time')).toHaveAttribute('datetime', AT);
  });

  it('adds a change made in the panel on top of the history shown', async () => {
    const { user } = renderKit(
      <LicensePanel licenseId={JIRA} footer={<LicenseHistory licenseId={JIRA} />} />,
    );
    // Inside a panel the region is named after the license too, so open panels do not repeat one landmark name.
    const region = await screen.findByRole('region', { name: 'History SEN-4821337' });
    expect(within(region).getByRole('heading', { level: 3, name: 'History' })).toBeInTheDocument();
    await within(region).findByText('No changes recorded yet');
    await user.click(await enabledButton(`Make ${carol.name} main technical contact`));
    await waitFor(() =>
      expect(sentences(region)).toEqual([`${alice.name} made ${carol.name} the main technical contact`]),
    );
  });
});
