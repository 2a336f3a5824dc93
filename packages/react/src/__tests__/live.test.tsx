import type { LicenseContactsApi } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { LicenseContactsProvider, LicenseList, LicensePanel } from '@license-contacts/react';
import { render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { announcement, namesIn, renderKit } from './helpers';

const JIRA = 'SEN-4821337';
const { alice, carol, dan } = demoPeople;

/** The api with its `watch` counted: how many were started and how many stopped. */
function countedWatch(api: LicenseContactsApi) {
  const counts = { started: 0, stopped: 0 };
  const wrapped: LicenseContactsApi = {
    ...api,
    watch(listener, options) {
      counts.started++;
      const stop = api.watch(listener, options);
      return () => {
        counts.stopped++;
        stop();
      };
    },
  };
  return { api: wrapped, counts };
}

describe('live screens', () => {
  it("shows a colleague's change on the open page and announces it politely", async () => {
    const { service, user } = renderKit(<LicenseList />, { email: carol.email });
    await user.click(await screen.findByRole('button', { name: /^Jira Software SEN-4821337/ }));
    const panel = await screen.findByRole('region', { name: 'Jira Software' });
    const billing = await within(panel).findByRole('list', { name: 'Billing contacts' });
    expect(namesIn(billing)).toEqual(['Bob Martinez']);

    await service.as({ email: alice.email }).addContact(JIRA, { ...dan, roles: ['billing'] });

    await waitFor(() => expect(namesIn(billing)).toEqual(['Bob Martinez', 'Dan Okafor']));
    await waitFor(() =>
      expect(announcement()).toBe(
        'Jira Software SEN-4821337: Alice Johnson added Dan Okafor as a billing contact',
      ),
    );
    const region = document.querySelector('[data-lc-announcer]');
    expect(region).toHaveAttribute('aria-live', 'polite');
  });

  it('takes a license the person lost access to out of their list at once, and says so (German too)', async () => {
    const { service } = renderKit(<LicenseList />, { email: carol.email, locale: 'de' });
    expect(await screen.findByRole('button', { name: /^Jira Software SEN-4821337/ })).toBeInTheDocument();

    await service.as({ email: alice.email }).removeContact(JIRA, carol.email, { role: 'technical' });

    await waitFor(() =>
      expect(screen.queryByRole('button', { name: /^Jira Software SEN-4821337/ })).not.toBeInTheDocument(),
    );
    expect(screen.getByRole('button', { name: /^Bitbucket SEN-3141592/ })).toBeInTheDocument();
    await waitFor(() =>
      expect(announcement()).toBe('Sie haben keinen Zugriff mehr auf Jira Software SEN-4821337'),
    );
  });

  it('stays as loaded with live={false}, and never watches', async () => {
    const service = createDemoService();
    const { api, counts } = countedWatch(service.as({ email: carol.email }));
    render(
      <LicenseContactsProvider api={api} live={false}>
        <LicensePanel licenseId={JIRA} />
      </LicenseContactsProvider>,
    );
    const billing = await screen.findByRole('list', { name: 'Billing contacts' });
    await service.as({ email: alice.email }).addContact(JIRA, { ...dan, roles: ['billing'] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(namesIn(billing)).toEqual(['Bob Martinez']);
    expect(counts.started).toBe(0);
    expect(announcement()).toBe('');
  });

  it('starts and stops following when live changes, keeping the same store', async () => {
    const service = createDemoService();
    const { api, counts } = countedWatch(service.as({ email: carol.email }));
    const ui = (live: boolean) => (
      <LicenseContactsProvider api={api} live={live}>
        <LicensePanel licenseId={JIRA} />
      </LicenseContactsProvider>
    );
    const view = render(ui(false));
    const billing = await screen.findByRole('list', { name: 'Billing contacts' });
    expect(counts.started).toBe(0);
    view.rerender(ui(true));
    await waitFor(() => expect(counts).toEqual({ started: 1, stopped: 0 }));
    // The same list element: the store (and its cache) stayed.
    expect(screen.getByRole('list', { name: 'Billing contacts' })).toBe(billing);
    await service.as({ email: alice.email }).addContact(JIRA, { ...dan, roles: ['billing'] });
    await waitFor(() => expect(namesIn(billing)).toEqual(['Bob Martinez', 'Dan Okafor']));
    view.rerender(ui(false));
    await waitFor(() => expect(counts).toEqual({ started: 1, stopped: 1 }));
  });

  it('watches once while mounted, however many views, and stops when they unmount', async () => {
    const service = createDemoService();
    const { api, counts } = countedWatch(service.as({ email: carol.email }));
    const view = render(
      <LicenseContactsProvider api={api}>
        <LicenseList />
        <LicensePanel licenseId={JIRA} />
      </LicenseContactsProvider>,
    );
    await screen.findByRole('list', { name: 'Billing contacts' });
    expect(counts).toEqual({ started: 1, stopped: 0 });
    view.unmount();
    await waitFor(() => expect(counts).toEqual({ started: 1, stopped: 1 }));
  });
});
