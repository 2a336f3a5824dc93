import { createContactsStore } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import {
  ContactList,
  de,
  en,
  LicenseContactsProvider,
  LicenseList,
  LicensePanel,
  resolveMessages,
  useLicenseContacts,
} from '@license-contacts/react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { announcement, enabledButton, refusedButton, renderKit } from './helpers';

const JIRA = 'SEN-4821337';
const { alice, carol, dan } = demoPeople;

/** A component that needs the provider. */
function Orphan() {
  useLicenseContacts();
  return null;
}

describe('LicenseContactsProvider', () => {
  it('makes useLicenseContacts throw a helpful error outside the provider', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => render(<Orphan />)).toThrow(/inside <LicenseContactsProvider>/);
    const role = 'technical';
    expect(() => render(<ContactList licenseId={JIRA} role={role} />)).toThrow(/LicenseContactsProvider/);
    spy.mockRestore();
  });

  it('creates its own store from an api', async () => {
    const api = createDemoService().as({ email: alice.email });
    render(
      <LicenseContactsProvider api={api}>
        <LicensePanel licenseId={JIRA} />
      </LicenseContactsProvider>,
    );
    expect(await screen.findByRole('region', { name: 'Jira Software' })).toBeInTheDocument();
  });

  it('works in StrictMode with one request per resource and a full add flow', async () => {
    const api = createDemoService().as({ email: alice.email });
    const getLicense = vi.spyOn(api, 'getLicense');
    const permissions = vi.spyOn(api, 'permissions');
    const user = userEvent.setup();
    render(
      <StrictMode>
        <LicenseContactsProvider store={createContactsStore(api)}>
          <LicensePanel licenseId={JIRA} />
        </LicenseContactsProvider>
      </StrictMode>,
    );
    await user.click(await enabledButton('Add technical contact'));
    expect(getLicense).toHaveBeenCalledTimes(1);
    expect(permissions).toHaveBeenCalledTimes(1);
    const dialog = await screen.findByRole('dialog', { name: 'Add contact' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Email' }), dan.email);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), `${dan.name}{Enter}`);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(
      within(screen.getByRole('list', { name: 'Technical contacts' })).getAllByRole('listitem'),
    ).toHaveLength(3);
    await waitFor(() => expect(announcement()).toBe(`${dan.name} was added as a technical contact`));
  });

  it('loads the list in StrictMode from an api whose requests really abort, as fetch does', async () => {
    const inner = createDemoService().as({ email: alice.email });
    // Like the HTTP client: an aborted signal rejects the pending call with an AbortError.
    const abortable = <T,>(call: () => Promise<T>, signal?: AbortSignal) =>
      new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => call().then(resolve, reject), 5);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new DOMException('aborted', 'AbortError'));
        });
      });
    const api = {
      ...inner,
      listLicenses: (o?: Parameters<typeof inner.listLicenses>[0]) =>
        abortable(() => inner.listLicenses(o), o?.signal),
      me: (o?: Parameters<typeof inner.me>[0]) => abortable(() => inner.me(o), o?.signal),
    };
    render(
      <StrictMode>
        <LicenseContactsProvider api={api}>
          <LicenseList />
        </LicenseContactsProvider>
      </StrictMode>,
    );
    expect(await screen.findByRole('button', { name: /^Jira Software SEN-4821337/ })).toBeInTheDocument();
  });

  it('speaks German with locale="de", including the reasons', async () => {
    const { user } = renderKit(<LicenseList defaultExpanded={[JIRA]} />, {
      email: carol.email,
      locale: 'de',
    });
    expect(screen.getByRole('searchbox', { name: 'Lizenzen durchsuchen' })).toBeInTheDocument();
    const region = await screen.findByRole('region', { name: 'Jira Software' });
    expect(within(region).getByRole('heading', { name: 'Technische Kontakte' })).toBeInTheDocument();
    expect(within(region).getByRole('heading', { name: 'Kaufmännische Kontakte' })).toBeInTheDocument();
    const remove = await refusedButton('Alice Johnson aus den technischen Kontakten entfernen');
    expect(remove).toHaveAccessibleDescription(
      'Nur der Hauptkontakt dieser Rolle kann den Hauptkontakt entfernen',
    );
    expect(within(region).getAllByText('Haupt')).toHaveLength(2);
    await user.click(await enabledButton('Carol Nguyen zum technischen Hauptkontakt machen'));
    await waitFor(() => expect(announcement()).toBe('Carol Nguyen ist jetzt technischer Hauptkontakt'));
    await user.click(await enabledButton('Technischen Kontakt hinzufügen'));
    const dialog = await screen.findByRole('dialog', { name: 'Kontakt hinzufügen' });
    expect(within(dialog).getByRole('textbox', { name: 'E-Mail' })).toHaveFocus();
    expect(within(dialog).getByRole('checkbox', { name: 'Technischer Kontakt' })).toBeChecked();
    await user.click(within(dialog).getByRole('button', { name: 'Kontakt hinzufügen' }));
    const email = within(dialog).getByRole('textbox', { name: 'E-Mail' });
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(email).toHaveAccessibleDescription('Bitte geben Sie eine gültige E-Mail-Adresse ein');
  });

  it('applies message overrides over the locale', async () => {
    renderKit(<LicenseList />, {
      email: 'nobody@example.test',
      messages: { noLicenses: 'Nothing here yet' },
    });
    expect(await screen.findByText('Nothing here yet')).toBeInTheDocument();
  });

  it('resolves locales by language and falls back to English', () => {
    expect(resolveMessages('de-AT')).toBe(de);
    expect(resolveMessages('fr')).toBe(en);
    expect(resolveMessages(undefined, { main: 'Primary' }).main).toBe('Primary');
    // Every English key has a German counterpart of the same kind.
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect(typeof de[key]).toBe(typeof en[key]);
  });
  it('starts a fresh store when another person signs in (a new api)', async () => {
    const service = createDemoService();
    const ui = (email: string) => (
      <LicenseContactsProvider api={service.as({ email })}>
        <LicenseList />
      </LicenseContactsProvider>
    );
    const { rerender } = render(ui(alice.email));
    expect(await screen.findByRole('button', { name: /^Jira Software/ })).toBeInTheDocument();
    rerender(ui('nobody@example.test'));
    expect(await screen.findByText('No licenses')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Jira Software/ })).not.toBeInTheDocument();
  });
});
