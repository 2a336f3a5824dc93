import type {
  ContactsStore,
  ContactsStoreOptions,
  LicenseContacts,
  LicenseContactsApi,
} from '@license-contacts/core';
import { createContactsStore } from '@license-contacts/core';
import { createDemoService } from '@license-contacts/core/testing';
import { LicenseContactsProvider, type Messages } from '@license-contacts/react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { expect } from 'vitest';

/** Options of `renderKit`. */
export interface RenderKitOptions {
  /** Who is signed in; default Alice. */
  email?: string;
  service?: LicenseContacts;
  /** Wraps the signed-in person's Api (to make it fail or wait). */
  wrapApi?: (api: LicenseContactsApi) => LicenseContactsApi;
  storeOptions?: ContactsStoreOptions;
  locale?: string;
  messages?: Partial<Messages>;
}

/** Renders `ui` inside a provider over the demo service as a signed-in person. */
export function renderKit(ui: ReactElement, options: RenderKitOptions = {}) {
  const service = options.service ?? createDemoService();
  const base = service.as({ email: options.email ?? 'alice@acme.test' });
  const api = options.wrapApi ? options.wrapApi(base) : base;
  const store: ContactsStore = createContactsStore(api, options.storeOptions ?? {});
  const user = userEvent.setup();
  const result = render(
    <LicenseContactsProvider
      store={store}
      {...(options.locale ? { locale: options.locale } : {})}
      {...(options.messages ? { messages: options.messages } : {})}
    >
      {ui}
    </LicenseContactsProvider>,
  );
  return { ...result, service, api, store, user };
}

/** The button named `name`, once the core's permissions allow it. */
export async function enabledButton(name: string | RegExp): Promise<HTMLElement> {
  const button = await screen.findByRole('button', { name });
  await waitFor(() => expect(button).not.toHaveAttribute('aria-disabled'));
  return button;
}

/** The button named `name`, once permissions have loaded and refused it. */
export async function refusedButton(name: string | RegExp): Promise<HTMLElement> {
  const button = await screen.findByRole('button', { name });
  await waitFor(() => expect(button).toHaveAttribute('data-state', 'disabled'));
  return button;
}

/** The names of the contacts in a role's list, in order. */
export function namesIn(list: HTMLElement): string[] {
  return Array.from(list.querySelectorAll(':scope > li .lc-contact__name')).map(
    (el) => el.firstChild?.textContent ?? '',
  );
}

/** A promise and the functions that settle it. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The text of the polite live region. */
export function announcement(): string {
  return document.querySelector('[data-lc-announcer]')?.textContent ?? '';
}

/** Records what the live region says, and whether it was hidden from assistive technology right then. */
export function recordAnnouncements(): Array<{ text: string; hidden: boolean }> {
  const region = document.querySelector('[data-lc-announcer]');
  const said: Array<{ text: string; hidden: boolean }> = [];
  if (!region) throw new Error('no live region rendered');
  new MutationObserver(() => {
    const text = region.textContent ?? '';
    if (text) said.push({ text, hidden: region.closest('[aria-hidden="true"]') !== null });
  }).observe(region, { childList: true, subtree: true, characterData: true });
  return said;
}
