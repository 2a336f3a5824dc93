import { LicenseContactsError } from '@license-contacts/core';
import { demoPeople } from '@license-contacts/core/testing';
import { LicenseList } from '@license-contacts/react';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { deferred, enabledButton, renderKit } from './helpers';

const { alice, carol, outsider } = demoPeople;

const rowNames = () =>
  within(screen.getByRole('list'))
    .getAllByRole('button', { expanded: false })
    .concat(within(screen.getByRole('list')).queryAllByRole('button', { expanded: true }));

describe('LicenseList', () => {
  it('lists the licenses the signed-in person is associated with, each row named by product and id', async () => {
    renderKit(<LicenseList />, { email: alice.email });
    expect(await screen.findByRole('button', { name: /^Jira Software SEN-4821337/ })).toHaveAttribute(
      'aria-expanded',
      'false',
    );
    expect(screen.getByRole('button', { name: /^Confluence SEN-5550142/ })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /^Bitbucket SEN-3141592/ })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Bamboo/ })).not.toBeInTheDocument();
    expect(rowNames()).toHaveLength(3);
  });

  it('tells an outsider there are no licenses', async () => {
    renderKit(<LicenseList />, { email: outsider.email });
    expect(await screen.findByText('No licenses')).toBeInTheDocument();
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
  });

  it('expands a license panel in place and collapses it again', async () => {
    const { user } = renderKit(<LicenseList />, { email: alice.email });
    const row = await screen.findByRole('button', { name: /^Jira Software SEN-4821337/ });
    await user.click(row);
    expect(row).toHaveAttribute('aria-expanded', 'true');
    const panel = await screen.findByRole('region', { name: 'Jira Software' });
    expect(row).toHaveAttribute('aria-controls', panel.id);
    expect(within(panel).getByRole('heading', { name: 'Technical contacts' })).toBeInTheDocument();
    expect(within(panel).getByRole('heading', { name: 'Billing contacts' })).toBeInTheDocument();
    expect(panel).toHaveTextContent('SEN-4821337');
    expect(panel).toHaveTextContent('Data Center');
    expect(panel).toHaveTextContent('500');
    await user.click(row);
    expect(row).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByRole('region', { name: 'Jira Software' })).not.toBeInTheDocument();
  });

  it('searches after the person stops typing', async () => {
    const { user, api } = renderKit(<LicenseList debounceMs={50} />, { email: alice.email });
    await screen.findByRole('button', { name: /^Jira Software/ });
    const list = vi.spyOn(api, 'listLicenses');
    await user.type(screen.getByRole('searchbox', { name: 'Search licenses' }), 'conf');
    await waitFor(() =>
      expect(screen.queryByRole('button', { name: /^Jira Software/ })).not.toBeInTheDocument(),
    );
    expect(screen.getByRole('button', { name: /^Confluence SEN-5550142/ })).toBeInTheDocument();
    // One request for the settled query, not one per keystroke.
    expect(list).toHaveBeenCalledTimes(1);
    expect(list.mock.calls[0]?.[0]).toMatchObject({ query: 'conf' });
    await user.clear(screen.getByRole('searchbox', { name: 'Search licenses' }));
    await user.type(screen.getByRole('searchbox', { name: 'Search licenses' }), 'nothing-like-this');
    expect(await screen.findByText(/^No licenses/)).toBeInTheDocument();
  });

  it('loads more pages on demand', async () => {
    const { user } = renderKit(<LicenseList />, { email: alice.email, storeOptions: { pageSize: 2 } });
    await screen.findByRole('button', { name: /^Bitbucket/ });
    expect(rowNames()).toHaveLength(2);
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByRole('button', { name: /^Confluence/ });
    expect(rowNames()).toHaveLength(3);
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it('shows a load error with a retry', async () => {
    let fail = true;
    const { user } = renderKit(<LicenseList />, {
      email: alice.email,
      wrapApi: (api) => ({
        ...api,
        listLicenses: async (options) => {
          if (fail) throw new LicenseContactsError('NETWORK', 'The network is down');
          return api.listLicenses(options);
        },
      }),
    });
    expect(await screen.findByRole('alert')).toHaveTextContent('The network is down');
    fail = false;
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('button', { name: /^Jira Software/ })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('drops a license from the list when its last contact role of the person is removed', async () => {
    const { user } = renderKit(<LicenseList />, { email: carol.email });
    await user.click(await screen.findByRole('button', { name: /^Jira Software SEN-4821337/ }));
    await user.click(await enabledButton(`Remove ${carol.name} from technical contacts`));
    const dialog = await screen.findByRole('alertdialog', { name: `Remove ${carol.name}?` });
    expect(dialog).toHaveTextContent(/lose access/);
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() =>
      expect(screen.queryByRole('button', { name: /^Jira Software SEN-4821337/ })).not.toBeInTheDocument(),
    );
    expect(screen.getByRole('button', { name: /^Bitbucket SEN-3141592/ })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('searchbox', { name: 'Search licenses' })).toHaveFocus());
  });
  it('keeps the loaded rows when a later page fails, and asks for that page again', async () => {
    let failMore = true;
    const { user } = renderKit(<LicenseList />, {
      email: alice.email,
      storeOptions: { pageSize: 2 },
      wrapApi: (api) => ({
        ...api,
        listLicenses: async (options) => {
          if (options?.cursor && failMore) throw new LicenseContactsError('NETWORK', 'The network is down');
          return api.listLicenses(options);
        },
      }),
    });
    await screen.findByRole('button', { name: /^Bitbucket/ });
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The network is down');
    expect(rowNames()).toHaveLength(2);
    failMore = false;
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByRole('button', { name: /^Confluence/ });
    expect(rowNames()).toHaveLength(3);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
  it('can have its expanded rows controlled', async () => {
    const onExpandedChange = vi.fn();
    const { user } = renderKit(
      <LicenseList expanded={['SEN-5550142']} onExpandedChange={onExpandedChange} />,
      {
        email: alice.email,
      },
    );
    expect(await screen.findByRole('region', { name: 'Confluence' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /^Jira Software SEN-4821337/ }));
    expect(onExpandedChange).toHaveBeenLastCalledWith(['SEN-5550142', 'SEN-4821337']);
    // Controlled: nothing opens until the parent says so.
    expect(screen.getByRole('button', { name: /^Jira Software SEN-4821337/ })).toHaveAttribute(
      'aria-expanded',
      'false',
    );
  });
  it('keeps showing the last results, marked busy, while a new search loads', async () => {
    const gate = deferred();
    const { user } = renderKit(<LicenseList debounceMs={10} />, {
      email: alice.email,
      wrapApi: (api) => ({
        ...api,
        listLicenses: async (options) => {
          if (options?.query) await gate.promise;
          return api.listLicenses(options);
        },
      }),
    });
    await screen.findByRole('button', { name: /^Jira Software/ });
    await user.type(screen.getByRole('searchbox', { name: 'Search licenses' }), 'bit');
    await waitFor(() => expect(screen.getByRole('list')).toHaveAttribute('aria-busy', 'true'));
    expect(rowNames()).toHaveLength(3);
    expect(screen.queryByText('Loading licenses…')).not.toBeInTheDocument();
    gate.resolve();
    await waitFor(() => expect(rowNames()).toHaveLength(1));
    expect(screen.getByRole('button', { name: /^Bitbucket SEN-3141592/ })).toBeInTheDocument();
    expect(screen.getByRole('list')).not.toHaveAttribute('aria-busy');
  });
});
