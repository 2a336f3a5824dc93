import { createLicenseState, defaultPolicy, deny } from '@license-contacts/core';
import { FIXTURE_TIME, manyPeople } from '@license-contacts/core/fixtures';
import { LicenseHistory, LicenseList } from '@license-contacts/react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, screen, waitFor, within } from 'storybook/test';
import {
  contractor,
  demoPeople,
  type KitLoaded,
  type KitParameters,
  longNamesLicenses,
  neverResolving,
  rejecting,
  withRequests,
} from './kit';

const meta = {
  title: 'Components/LicenseList',
  component: LicenseList,
  parameters: {
    docs: {
      description: {
        component: `The licenses the signed-in person is a contact of: a search, one row per license that
expands its \`LicensePanel\` in place, and more pages on demand. Place it inside a
\`LicenseContactsProvider\` whose Api acts for the signed-in person (over HTTP in a portal):

\`\`\`tsx
import { createHttpClient } from '@license-contacts/core/http';
import { LicenseContactsProvider, LicenseList } from '@license-contacts/react';
import '@license-contacts/react/styles.css';

<LicenseContactsProvider api={createHttpClient({ baseUrl: '/api' })}>
  <LicenseList panelHeadingLevel={2} />
</LicenseContactsProvider>
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof LicenseList>;

export default meta;
type Story = StoryObj<typeof meta>;

const kit = (parameters: KitParameters) => ({ kit: parameters });

/** Alice's three demo licenses, collapsed. */
export const Default: Story = {
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('button', { name: /Jira Software SEN-4821337/ })).toHaveAttribute(
      'aria-expanded',
      'false',
    );
    await expect(canvas.getByRole('searchbox', { name: 'Search licenses' })).toBeInTheDocument();
  },
};

/** A row expanded in place, showing its panel. */
export const Expanded: Story = {
  args: { defaultExpanded: ['SEN-4821337'] },
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('region', { name: 'Jira Software' })).toBeInTheDocument();
  },
};

/** Someone who is a contact of no license. */
export const Empty: Story = {
  parameters: kit({ actor: demoPeople.outsider }),
  play: async ({ canvas }) => {
    await expect(await canvas.findByText('No licenses')).toBeInTheDocument();
  },
};

/** A search that matches nothing. */
export const NoMatch: Story = {
  args: { debounceMs: 0 },
  play: async ({ canvas, userEvent }) => {
    await canvas.findByRole('button', { name: /Jira Software/ });
    await userEvent.type(canvas.getByRole('searchbox', { name: 'Search licenses' }), 'Trello');
    await expect(await canvas.findByText('No licenses match “Trello”')).toBeInTheDocument();
  },
};

/** A search narrowing the list to one license. */
export const Search: Story = {
  args: { debounceMs: 0 },
  play: async ({ canvas, userEvent }) => {
    await canvas.findByRole('button', { name: /Jira Software/ });
    await userEvent.type(canvas.getByRole('searchbox', { name: 'Search licenses' }), 'confluence');
    await waitFor(() => expect(canvas.queryByRole('button', { name: /Jira Software/ })).toBeNull());
    await expect(canvas.getByRole('button', { name: /Confluence SEN-5550142/ })).toBeInTheDocument();
  },
};

/** Sixty licenses: the first page and a Load more button. */
export const ManyLicenses: Story = {
  parameters: kit({
    licenses: () =>
      Array.from(
        { length: 60 },
        (_, i) =>
          createLicenseState(
            {
              id: `SEN-${String(1000000 + i)}`,
              product: ['Jira Software', 'Confluence', 'Bitbucket'][i % 3] as string,
              edition: 'Cloud Standard',
              seats: 10 * (i + 1),
              technical: demoPeople.alice,
              billing: manyPeople(60)[i] ?? demoPeople.bob,
            },
            FIXTURE_TIME,
          ).license,
      ),
  }),
  play: async ({ canvas, userEvent }) => {
    const more = await canvas.findByRole('button', { name: 'Load more' });
    const before = canvas.getAllByRole('button', { expanded: false }).length;
    await userEvent.click(more);
    await waitFor(() =>
      expect(canvas.getAllByRole('button', { expanded: false }).length).toBeGreaterThan(before),
    );
  },
};

/** Very long product names, editions and ids wrap instead of overflowing. */
export const LongNamesAndAddresses: Story = {
  parameters: kit({ licenses: longNamesLicenses }),
  args: { defaultExpanded: ['SEN-LONG_NAMES-2026-ENTERPRISE-SUBSCRIPTION-0000000000000000001'] },
};

/** The licenses are on their way. */
export const Loading: Story = {
  parameters: kit({ api: neverResolving() }),
  play: async ({ canvas }) => {
    await expect(await canvas.findByText('Loading licenses…')).toBeInTheDocument();
  },
};

/** The contractor invited by Alice: the list leads with the invitation; accepting shows the license. */
export const InviteeWithPendingInvitation: Story = {
  parameters: kit({ actor: contractor, setup: withRequests }),
  play: async ({ canvas, userEvent }) => {
    await expect(await canvas.findByText('No licenses')).toBeInTheDocument();
    const requests = await canvas.findByRole('list', { name: 'Pending requests' });
    await userEvent.click(within(requests).getByRole('button', { name: 'Accept' }));
    await expect(
      await canvas.findByRole('button', { name: /^Jira Software SEN-4821337/ }),
    ).toBeInTheDocument();
  },
};

/** The storage is down: an alert with a way to try again. */
export const StorageError: Story = {
  parameters: kit({ api: rejecting('STORAGE') }),
  play: async ({ canvas }) => {
    const alert = await canvas.findByRole('alert');
    await expect(alert).toHaveTextContent('The storage is unavailable');
    await expect(canvas.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  },
};

/** The dark custom properties of the stylesheet. */
export const Dark: Story = {
  globals: { theme: 'dark' },
  args: { defaultExpanded: ['SEN-4821337'] },
};

/** German messages. */
export const German: Story = {
  globals: { locale: 'de' },
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('searchbox', { name: 'Lizenzen durchsuchen' })).toBeInTheDocument();
  },
};

/** A phone-sized screen. */
export const Narrow: Story = {
  parameters: kit({ width: 320 }),
  globals: { viewport: { value: 'mobile1', isRotated: false } },
  args: { defaultExpanded: ['SEN-4821337'] },
};

/** `Replace a person on every license` opens the offboarding wizard. */
export const ReplaceAPersonWhoLeft: Story = {
  play: async ({ canvas, userEvent }) => {
    const button = await canvas.findByRole('button', { name: 'Replace a person on every license' });
    await waitFor(() => expect(button).not.toHaveAttribute('aria-disabled'));
    await userEvent.click(button);
    await expect(
      await screen.findByRole('dialog', { name: 'Replace a person on every license' }),
    ).toBeInTheDocument();
  },
};

/** A portal policy that keeps offboarding to staff: the button stays, refused with the reason. */
export const ReplaceRefusedByPolicy: Story = {
  parameters: kit({
    policy: {
      ...defaultPolicy,
      replaceContact: (context) =>
        context.actor.staff ? { allowed: true } : deny('STAFF_ONLY', 'Only staff replace people who left'),
    },
  }),
  play: async ({ canvas }) => {
    const button = await canvas.findByRole('button', { name: 'Replace a person on every license' });
    await waitFor(() => expect(button).toHaveAttribute('aria-disabled', 'true'));
    await expect(button).toHaveAccessibleDescription('Only staff replace people who left');
  },
};

/** Each expanded panel ends with the license's history. */
export const WithHistory: Story = {
  args: {
    defaultExpanded: ['SEN-4821337', 'SEN-5550142'],
    panelFooter: (license) => <LicenseHistory licenseId={license.id} />,
  },
  parameters: kit({
    setup: async (service) => {
      await service.as(demoPeople.alice).setMain('SEN-4821337', 'technical', demoPeople.carol.email);
    },
  }),
  play: async ({ canvas }) => {
    const history = await canvas.findByRole('region', { name: 'History SEN-4821337' });
    await expect(
      await within(history).findByText('Alice Johnson made Carol Nguyen the main technical contact'),
    ).toBeInTheDocument();
    await expect(await canvas.findByRole('region', { name: 'History SEN-5550142' })).toBeInTheDocument();
  },
};

/**
 * Live by default: Carol has Jira Software open when her colleague Alice adds Dan as a billing contact.
 * The change reaches her page through the api's `watch` (over HTTP: `GET /events`), the panel shows
 * Dan, and the polite live region says what changed. `live={false}` on the provider turns it off.
 */
export const ColleagueChangeArrives: Story = {
  args: { defaultExpanded: ['SEN-4821337'] },
  parameters: kit({ actor: demoPeople.carol }),
  play: async ({ canvas, loaded }) => {
    const { service } = loaded as KitLoaded;
    const billing = await canvas.findByRole('list', { name: 'Billing contacts' });
    await waitFor(() => expect(within(billing).getAllByRole('listitem')).toHaveLength(1));
    await service.as(demoPeople.alice).addContact('SEN-4821337', { ...demoPeople.dan, roles: ['billing'] });
    await expect(await within(billing).findByText(demoPeople.dan.name)).toBeInTheDocument();
    await expect(
      await screen.findByText(
        'Jira Software SEN-4821337: Alice Johnson added Dan Okafor as a billing contact',
      ),
    ).toBeInTheDocument();
  },
};

/** Alice removes Carol from Jira Software: it leaves Carol's open list at once, and she is told. */
export const AccessLost: Story = {
  parameters: kit({ actor: demoPeople.carol }),
  play: async ({ canvas, loaded }) => {
    const { service } = loaded as KitLoaded;
    await canvas.findByRole('button', { name: /^Jira Software SEN-4821337/ });
    await service
      .as(demoPeople.alice)
      .removeContact('SEN-4821337', demoPeople.carol.email, { role: 'technical' });
    await waitFor(() =>
      expect(canvas.queryByRole('button', { name: /^Jira Software SEN-4821337/ })).toBeNull(),
    );
    await expect(canvas.getByRole('button', { name: /^Bitbucket SEN-3141592/ })).toBeInTheDocument();
    await expect(
      await screen.findByText('You no longer have access to Jira Software SEN-4821337'),
    ).toBeInTheDocument();
  },
};
