import { createContactsStore } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import {
  LicenseContactsProvider,
  useContactActions,
  useLicense,
  useLicenses,
  useMe,
  useMessages,
  usePermissions,
} from '@license-contacts/react';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';

const JIRA = 'SEN-4821337';
const { alice, carol } = demoPeople;

function wrapperFor(email: string, locale?: string) {
  const store = createContactsStore(createDemoService().as({ email }));
  const wrapper = ({ children }: { children: ReactNode }) => (
    <LicenseContactsProvider store={store} {...(locale ? { locale } : {})}>
      {children}
    </LicenseContactsProvider>
  );
  return { store, wrapper };
}

describe('hooks', () => {
  it('useLicenses loads the first page and exposes paging', async () => {
    const { wrapper } = wrapperFor(alice.email);
    const { result } = renderHook(() => useLicenses(), { wrapper });
    expect(result.current.status).toBe('loading');
    await waitFor(() => expect(result.current.status).toBe('success'));
    expect(result.current.licenses.map((l) => l.id)).toEqual(['SEN-3141592', 'SEN-4821337', 'SEN-5550142']);
    expect(result.current.hasMore).toBe(false);
  });

  it('useLicense, usePermissions and useMe load on first use and keep their identity while unchanged', async () => {
    const { wrapper } = wrapperFor(carol.email);
    const { result, rerender } = renderHook(
      () => ({ license: useLicense(JIRA), permissions: usePermissions(JIRA), me: useMe() }),
      { wrapper },
    );
    await waitFor(() => expect(result.current.permissions.status).toBe('success'));
    await waitFor(() => expect(result.current.license.data?.product).toBe('Jira Software'));
    await waitFor(() => expect(result.current.me.data).toEqual({ email: carol.email, staff: false }));
    const before = result.current;
    rerender();
    expect(result.current.license.data).toBe(before.license.data);
    expect(result.current.permissions).toBe(before.permissions);
    expect(result.current.permissions.data?.removeContact.technical[alice.email]).toMatchObject({
      allowed: false,
      reason: 'NOT_MAIN',
    });
  });

  it('useContactActions changes the license and reports pending mutations', async () => {
    const { wrapper } = wrapperFor(alice.email);
    const { result } = renderHook(() => ({ actions: useContactActions(JIRA), license: useLicense(JIRA) }), {
      wrapper,
    });
    await waitFor(() => expect(result.current.license.data).toBeDefined());
    let done: Promise<unknown> = Promise.resolve();
    act(() => {
      done = result.current.actions.setMain('technical', carol.email);
    });
    expect(result.current.actions.pending).toMatchObject([{ type: 'setMain', email: carol.email }]);
    expect(result.current.license.data?.technical[0]).toBe(carol.email);
    await act(async () => {
      await done;
    });
    expect(result.current.actions.pending).toEqual([]);
    expect(result.current.license.data?.technical).toEqual([carol.email, alice.email]);
  });

  it('useMessages follows the locale', () => {
    const { wrapper } = wrapperFor(alice.email, 'de');
    const { result } = renderHook(() => useMessages(), { wrapper });
    expect(result.current.searchLicenses).toBe('Lizenzen durchsuchen');
    expect(result.current.makeMain('Carol', 'billing')).toBe('Carol zum kaufmännischen Hauptkontakt machen');
  });
});
