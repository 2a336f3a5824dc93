// @vitest-environment jsdom
import { createContactsStore } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { LicenseContactsProvider, LicenseList } from '@license-contacts/react';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';

const JIRA = 'SEN-4821337';
const { alice, carol } = demoPeople;

describe('hydration', () => {
  let root: ReturnType<typeof hydrateRoot> | undefined;
  afterEach(() => {
    act(() => root?.unmount());
    document.body.innerHTML = '';
  });

  it('hydrates a server-rendered list with an expanded panel without mismatch warnings, then works', async () => {
    const service = createDemoService();
    const api = service.as({ email: alice.email });
    const loader = createContactsStore(api);
    await Promise.all([
      loader.ensureMe(),
      loader.ensureList(),
      loader.ensureLicense(JIRA),
      loader.ensurePermissions(JIRA),
    ]);
    const initialData = JSON.parse(JSON.stringify(loader.dehydrate()));
    const app = (store = createContactsStore(api, { initialData })) => (
      <StrictMode>
        <LicenseContactsProvider store={store}>
          <main>
            <LicenseList defaultExpanded={[JIRA]} />
          </main>
        </LicenseContactsProvider>
      </StrictMode>
    );
    const container = document.createElement('div');
    container.innerHTML = renderToString(app());
    document.body.appendChild(container);
    const serverHtml = container.innerHTML;
    expect(serverHtml).toContain(carol.name);

    const errors = vi.spyOn(console, 'error');
    const recoverable = vi.fn();
    await act(async () => {
      root = hydrateRoot(container, app(), { onRecoverableError: recoverable });
    });
    expect(errors).not.toHaveBeenCalled();
    expect(recoverable).not.toHaveBeenCalled();
    errors.mockRestore();

    const user = userEvent.setup();
    const panel = screen.getByRole('region', { name: 'Jira Software' });
    await user.click(
      within(panel).getByRole('button', { name: `Make ${carol.name} main technical contact` }),
    );
    await waitFor(async () => expect((await service.findLicense(JIRA))?.technical[0]).toBe(carol.email));
  });
});
