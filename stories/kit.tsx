import {
  type Actor,
  AUDIT_ACTIONS,
  type CreateLicenseInput,
  createLicenseContacts,
  createLicenseState,
  type ErrorCode,
  type InvitationMode,
  type License,
  type LicenseContacts,
  type LicenseContactsApi,
  LicenseContactsError,
  memoryStorage,
  type Policy,
} from '@license-contacts/core';
import {
  demoLicenseInputs,
  demoLicenses,
  demoPeople,
  FIXTURE_TIME,
  licenseWithContacts,
} from '@license-contacts/core/fixtures';
import { LicenseContactsProvider } from '@license-contacts/react';
import type { Decorator, Loader } from '@storybook/react-vite';
import { type ComponentType, type JSX, useState } from 'react';

/** What a story sets under `parameters.kit`: who is signed in, over which licenses, through which Api. */
export interface KitParameters {
  /** Who is signed in; default Alice Johnson (alice@acme.test). */
  actor?: Actor;
  /** The licenses in the story's memory storage; default the demo licenses. */
  licenses?: () => License[];
  /** Milliseconds every storage call waits; default 0. */
  latency?: number;
  /** Wraps the signed-in person's Api, to make it wait or fail. */
  api?: (api: LicenseContactsApi) => LicenseContactsApi;
  /** Width of the story's frame in pixels (a narrow screen); default the full canvas. */
  width?: number;
  /** The portal's own policy; default the core's `defaultPolicy`. */
  policy?: Policy;
  /** The service's `invitations` setting (§7); default `'never'`. */
  invitations?: InvitationMode;
  /** Changes made before the story renders (they show in the history). */
  setup?: (service: LicenseContacts) => Promise<void>;
}

/** What the loader hands to each story: its own service and Api, so stories never share state. */
export interface KitLoaded {
  service: LicenseContacts;
  api: LicenseContactsApi;
}

/** A fresh in-memory service per story, over the core's fixtures. */
export const kitLoader: Loader = async ({ parameters }) => {
  const kit = (parameters.kit ?? {}) as KitParameters;
  // A fixed clock, so the times a story shows are the same in every run.
  let tick = Date.parse('2026-03-02T09:00:00.000Z');
  const service = createLicenseContacts({
    storage: memoryStorage({
      licenses: kit.licenses?.() ?? demoLicenses(),
      ...(kit.latency === undefined ? {} : { latency: kit.latency }),
    }),
    clock: () => {
      tick += 7 * 60 * 1000;
      return new Date(tick);
    },
    ...(kit.policy === undefined ? {} : { policy: kit.policy }),
    ...(kit.invitations === undefined ? {} : { invitations: kit.invitations }),
  });
  await kit.setup?.(service);
  const base = service.as(kit.actor ?? demoPeople.alice);
  return { service, api: kit.api ? kit.api(base) : base } satisfies KitLoaded;
};

/** Sets the theme and language on the document (dialogs are portalled to its body) and provides the kit. */
export const kitDecorator: Decorator = (Story, context) => {
  const kit = (context.parameters.kit ?? {}) as KitParameters;
  const { api } = context.loaded as KitLoaded;
  const theme = context.globals.theme === 'dark' ? 'dark' : 'light';
  const locale = context.globals.locale === 'de' ? 'de' : 'en';
  if (typeof document !== 'undefined') {
    document.documentElement.dataset.theme = theme;
    document.documentElement.lang = locale;
  }
  return (
    <LicenseContactsProvider key={context.id} api={api} locale={locale}>
      <div
        className="story-frame"
        data-theme={theme}
        style={kit.width === undefined ? undefined : { maxWidth: kit.width }}
      >
        <Story />
      </div>
    </LicenseContactsProvider>
  );
};

/** The Api's methods that change something: each is named after the audit action it records. */
const MUTATIONS = new Set<string>(AUDIT_ACTIONS.filter((action) => action !== 'createLicense'));

/** An Api whose every call waits forever (loading states). */
export function neverResolving(): (api: LicenseContactsApi) => LicenseContactsApi {
  return (api) =>
    new Proxy(api, {
      get: (target, key, receiver) =>
        typeof Reflect.get(target, key, receiver) === 'function'
          ? () => new Promise<never>(() => {})
          : Reflect.get(target, key, receiver),
    });
}

/** An Api whose calls reject with `code`: every call, or only the mutations. */
export function rejecting(
  code: ErrorCode,
  which: 'all' | 'mutations' = 'all',
): (api: LicenseContactsApi) => LicenseContactsApi {
  const messages: Partial<Record<ErrorCode, string>> = {
    STORAGE: 'The storage is unavailable; nothing was changed',
    CONFLICT: 'The license was changed by someone else; nothing was changed',
  };
  return (api) =>
    new Proxy(api, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        if (which === 'mutations' && !MUTATIONS.has(String(key))) return value.bind(target);
        return () => Promise.reject(new LicenseContactsError(code, messages[code] ?? code));
      },
    });
}

/** Licenses from inputs, created at the fixtures' time. */
export function licensesFrom(...inputs: CreateLicenseInput[]): () => License[] {
  return () => inputs.map((input) => createLicenseState(input, FIXTURE_TIME).license);
}

/** Alice and one license with 200 technical contacts (she is the first of them). */
export const manyContacts = (): License[] => {
  const big = licenseWithContacts('SEN-9000200', 200, 3);
  return [big];
};

/** The person who is signed in on the 200-contact license: its main technical contact. */
export const manyContactsActor: Actor = { email: 'person0001@acme.test' };

/** People whose names and addresses are as long as the rules allow. */
export const longPeople = {
  technical: {
    email: `maximiliane.alexandra.hohenzollern-sigmaringen.${'x'.repeat(120)}@engineering.very-long-subsidiary-name.acme.test`,
    name: 'Maximiliane Alexandra Charlotte Friederike von Hohenzollern-Sigmaringen-Wittelsbach, Principal Platform Reliability Engineer, Infrastructure & Developer Tooling',
  },
  billing: {
    email: 'accounts.payable.international.subsidiaries@finance.acme-holdings-international.acme.test',
    name: 'Bartholomew Fitzwilliam Montgomery-Kensington III',
  },
};

/** One license whose contacts have very long names and addresses, with Alice among them. */
export const longNamesLicenses = licensesFrom({
  id: 'SEN-LONG_NAMES-2026-ENTERPRISE-SUBSCRIPTION-0000000000000000001',
  product: 'Jira Software Enterprise with Advanced Roadmaps, Assets and Atlassian Guard Premium',
  edition: 'Data Center, annual term, 10,000 users, premier support included',
  seats: 10000,
  expiresAt: '2029-12-31',
  technical: longPeople.technical,
  billing: longPeople.billing,
  contacts: [{ ...demoPeople.alice, roles: ['technical'] }],
});

/** The demo licenses, with Dan as a third technical contact of Jira Software (after Alice and Carol). */
export const jiraWithDan = (): License[] =>
  demoLicenseInputs.map(
    (input) =>
      createLicenseState(
        input.id === 'SEN-4821337'
          ? { ...input, contacts: [...(input.contacts ?? []), { ...demoPeople.dan, roles: ['technical'] }] }
          : input,
        FIXTURE_TIME,
      ).license,
  );

export { demoPeople };

/** A contractor on a public mail domain, invited by Alice in the stories about requests. */
export const contractor = { email: 'sam.contractor@gmail.com', name: 'Sam Rivera' };

/** Alice invites the contractor to Jira Software; Erin asks to become main technical contact of Bitbucket. */
export async function withRequests(service: LicenseContacts): Promise<void> {
  await service.as(demoPeople.alice).invite('SEN-4821337', { ...contractor, roles: ['technical'] });
  await service.as(demoPeople.erin).requestTransfer('SEN-3141592', 'technical', demoPeople.erin.email);
}

/**
 * A story render for a controlled dialog: keeps its open state in the story, so Cancel and a successful
 * change close it, and a button opens it again.
 */
export function controlledDialog<P extends { open?: boolean; onOpenChange?: (open: boolean) => void }>(
  Dialog: ComponentType<P>,
  openLabel: string,
) {
  return function Render(args: P): JSX.Element {
    const [open, setOpen] = useState(args.open ?? false);
    return (
      <>
        <button type="button" className="lc-button" onClick={() => setOpen(true)}>
          {openLabel}
        </button>
        <Dialog
          {...args}
          open={open}
          onOpenChange={(next: boolean) => {
            setOpen(next);
            args.onOpenChange?.(next);
          }}
        />
      </>
    );
  };
}
