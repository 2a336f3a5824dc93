import type { AuditEntry, LicenseContacts, LicenseContactsApi } from '@license-contacts/core';
import { LicenseHistory, LicensePanel } from '@license-contacts/react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, waitFor, within } from 'storybook/test';
import { demoPeople, type KitParameters, neverResolving, rejecting } from './kit';

const { alice, bob, carol, dan } = demoPeople;
const JIRA = 'SEN-4821337';

const meta = {
  title: 'Components/LicenseHistory',
  component: LicenseHistory,
  args: { licenseId: JIRA },
  parameters: {
    docs: {
      description: {
        component: `A license's audit history as the region \`History\`: one sentence per change in the
active language ("Alice Johnson made Carol Nguyen the main technical contact"), newest first, each
with its time in a \`<time datetime>\` element, and \`Show more\` while older changes remain. The
sentences are built from each entry's \`changes\` (who joined, left, gained or lost a role or a main
position), so actions the kit does not know yet still read sensibly; override any action's sentence
through \`messages.historySentences\`.

\`\`\`tsx
<LicenseHistory licenseId="SEN-4821337" />
// at the foot of every panel a LicenseList expands:
<LicenseList panelFooter={(license) => <LicenseHistory licenseId={license.id} />} />
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof LicenseHistory>;

export default meta;
type Story = StoryObj<typeof meta>;

const kit = (parameters: KitParameters) => ({ kit: parameters });

/** Alice hands Jira Software over: adds Dan, makes Carol main, Bob leaves billing to Dan. */
async function handOver(service: LicenseContacts): Promise<void> {
  const asAlice = service.as(alice);
  await asAlice.addContact(JIRA, { ...dan, roles: ['technical', 'billing'] });
  await asAlice.setMain(JIRA, 'technical', carol.email);
  await service.as(bob).removeContact(JIRA, bob.email, { role: 'billing' });
}

/** 25 changes: the first page, then `Show more`. */
async function busy(service: LicenseContacts): Promise<void> {
  const asAlice = service.as(alice);
  for (let i = 0; i < 25; i++) await asAlice.setMain(JIRA, 'technical', i % 2 ? alice.email : carol.email);
}

/** The sentences shown, newest first. */
function sentences(region: HTMLElement): string[] {
  return within(region)
    .queryAllByRole('listitem')
    .map((item) => item.querySelector('.lc-history__sentence')?.textContent ?? '');
}

/** A hand-over, newest first. */
export const Default: Story = {
  parameters: kit({ setup: handOver }),
  play: async ({ canvas }) => {
    const region = await canvas.findByRole('region', { name: 'History' });
    await waitFor(() =>
      expect(sentences(region)).toEqual([
        `${bob.name} left the billing contacts; ${dan.name} became the main billing contact`,
        `${alice.name} made ${carol.name} the main technical contact`,
        `${alice.name} added ${dan.name} as a technical and billing contact`,
      ]),
    );
    const time = within(region).getAllByRole('listitem')[0]?.querySelector('time');
    await expect(time).toHaveAttribute('datetime', '2026-03-02T09:21:00.000Z');
  },
};

/** Nothing recorded yet. */
export const Empty: Story = {
  play: async ({ canvas }) => {
    const region = await canvas.findByRole('region', { name: 'History' });
    await expect(await within(region).findByText('No changes recorded yet')).toBeInTheDocument();
  },
};

/** A long history: ten at a time, `Show more` for the rest. */
export const Long: Story = {
  parameters: kit({ setup: busy }),
  play: async ({ canvas, userEvent }) => {
    const region = await canvas.findByRole('region', { name: 'History' });
    await waitFor(() => expect(sentences(region)).toHaveLength(10));
    await userEvent.click(within(region).getByRole('button', { name: 'Show more' }));
    await waitFor(() => expect(sentences(region)).toHaveLength(20));
    await expect(within(region).getAllByRole('listitem')[10]).toHaveFocus();
    await userEvent.click(within(region).getByRole('button', { name: 'Show more' }));
    await waitFor(() => expect(sentences(region)).toHaveLength(25));
    await expect(within(region).queryByRole('button', { name: 'Show more' })).toBeNull();
  },
};

/** German sentences and dates. */
export const German: Story = {
  parameters: kit({ setup: handOver }),
  globals: { locale: 'de' },
  play: async ({ canvas }) => {
    const region = await canvas.findByRole('region', { name: 'Verlauf' });
    await waitFor(() =>
      expect(sentences(region)[1]).toBe(
        `${alice.name} hat ${carol.name} zum technischen Hauptkontakt gemacht`,
      ),
    );
  },
};

/** The history could not be loaded: the reason and `Try again`. */
export const LoadError: Story = {
  parameters: kit({ api: rejecting('STORAGE') }),
  play: async ({ canvas }) => {
    const region = await canvas.findByRole('region', { name: 'History' });
    await expect(await within(region).findByRole('alert')).toHaveTextContent('The storage is unavailable');
    await expect(within(region).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  },
};

/** Waiting for the first page. */
export const Loading: Story = {
  parameters: kit({ api: neverResolving() }),
  play: async ({ canvas }) => {
    await expect(await canvas.findByText('Loading history…')).toBeInTheDocument();
  },
};

/** An action this kit has no sentence for (a later version's), told from what changed. */
export const NewerAction: Story = {
  parameters: kit({
    api: (api: LicenseContactsApi) => ({
      ...api,
      history: async () => ({
        items: [
          {
            id: `${JIRA}:7`,
            seq: '0000000000000007',
            licenseId: JIRA,
            version: 7,
            at: '2026-03-02T10:00:00.000Z',
            actor: 'gina@partner.test',
            staff: false,
            action: 'acceptInvitation',
            changes: [
              {
                email: 'gina@partner.test',
                name: 'Gina Park',
                before: null,
                after: { roles: ['technical'], technical: 2 },
              },
            ],
          } as unknown as AuditEntry,
        ],
      }),
    }),
  }),
  play: async ({ canvas }) => {
    const region = await canvas.findByRole('region', { name: 'History' });
    await waitFor(() =>
      expect(sentences(region)).toEqual(['Gina Park: Gina Park joined as a technical contact']),
    );
  },
};

/** At the foot of a license panel, named after it. */
export const InAPanel: Story = {
  parameters: kit({ setup: handOver }),
  render: (args) => <LicensePanel licenseId={args.licenseId} footer={<LicenseHistory {...args} />} />,
  play: async ({ canvas }) => {
    const panel = await canvas.findByRole('region', { name: 'Jira Software' });
    const region = await within(panel).findByRole('region', { name: 'History SEN-4821337' });
    await waitFor(() => expect(sentences(region)).toHaveLength(3));
  },
};
