import { RequestList } from '@license-contacts/react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, waitFor, within } from 'storybook/test';
import { contractor, demoPeople, type KitParameters, neverResolving, rejecting, withRequests } from './kit';

const meta = {
  title: 'Components/RequestList',
  component: RequestList,
  parameters: {
    docs: {
      description: {
        component: `The signed-in person's pending requests (§7): invitations to become a contact, and
transfers of a main position across companies (R13). The person who decides gets \`Accept\` and
\`Decline\`; the person who asked gets \`Cancel invitation\` or \`Cancel request\` — exactly the choices
each request's \`actions\` allow. \`LicenseList\` leads with it (hidden when there is nothing pending).

\`\`\`tsx
<RequestList />                      // every pending request of the signed-in person
<RequestList licenseId="SEN-4821337" /> // one license's
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof RequestList>;

export default meta;
type Story = StoryObj<typeof meta>;

const kit = (parameters: KitParameters) => ({ kit: parameters });

/** The contractor, invited by Alice, decides: Accept or Decline. */
export const Invitation: Story = {
  parameters: kit({ actor: contractor, setup: withRequests }),
  play: async ({ canvas }) => {
    const list = await canvas.findByRole('list', { name: 'Pending requests' });
    await expect(list).toHaveTextContent('invites you to become a technical contact of Jira Software');
    await expect(within(list).getByRole('button', { name: 'Accept' })).toBeInTheDocument();
    await expect(within(list).getByRole('button', { name: 'Decline' })).toBeInTheDocument();
  },
};

/** Accepting: the request leaves the list, which then says there is nothing pending. */
export const Accepting: Story = {
  parameters: kit({ actor: contractor, setup: withRequests }),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(await canvas.findByRole('button', { name: 'Accept' }));
    await expect(await canvas.findByText('No pending requests')).toBeInTheDocument();
  },
};

/** Carol, main technical contact of Bitbucket, is asked by Erin (another company) for her position. */
export const TransferToDecide: Story = {
  parameters: kit({ actor: demoPeople.carol, setup: withRequests }),
  play: async ({ canvas }) => {
    const list = await canvas.findByRole('list', { name: 'Pending requests' });
    await expect(list).toHaveTextContent('to become the main technical contact of Bitbucket');
    await expect(within(list).getByRole('button', { name: 'Accept' })).toBeInTheDocument();
  },
};

/** Alice sees the invitation she sent, and may withdraw it. */
export const SentByMe: Story = {
  parameters: kit({ setup: withRequests }),
  play: async ({ canvas }) => {
    const list = await canvas.findByRole('list', { name: 'Pending requests' });
    await expect(list).toHaveTextContent('You invited Sam Rivera');
    await expect(within(list).getByRole('button', { name: 'Cancel invitation' })).toBeInTheDocument();
    await expect(within(list).queryByRole('button', { name: 'Accept' })).toBeNull();
  },
};

/** Nothing pending. */
export const Empty: Story = {
  play: async ({ canvas }) => {
    await expect(await canvas.findByText('No pending requests')).toBeInTheDocument();
  },
};

/** The requests are on their way. */
export const Loading: Story = {
  parameters: kit({ api: neverResolving() }),
  play: async ({ canvas }) => {
    await expect(await canvas.findByText('Loading requests…')).toBeInTheDocument();
  },
};

/** The storage is down. */
export const StorageError: Story = {
  parameters: kit({ api: rejecting('STORAGE') }),
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('alert')).toHaveTextContent('The storage is unavailable');
  },
};

/** Deciding fails: the request stays, and the failure is said. */
export const DecisionFails: Story = {
  parameters: kit({ actor: contractor, setup: withRequests, api: rejecting('STORAGE', 'mutations') }),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(await canvas.findByRole('button', { name: 'Accept' }));
    await expect(await canvas.findByRole('alert')).toHaveTextContent('The storage is unavailable');
    await waitFor(() => expect(canvas.getByRole('button', { name: 'Accept' })).toBeInTheDocument());
  },
};

/** Dark theme. */
export const Dark: Story = {
  parameters: kit({ actor: contractor, setup: withRequests }),
  globals: { theme: 'dark' },
};

/** In German. */
export const German: Story = {
  parameters: kit({ actor: contractor, setup: withRequests }),
  globals: { locale: 'de' },
  play: async ({ canvas }) => {
    const list = await canvas.findByRole('list', { name: 'Offene Anfragen' });
    await expect(within(list).getByRole('button', { name: 'Annehmen' })).toBeInTheDocument();
    await expect(within(list).getByRole('button', { name: 'Ablehnen' })).toBeInTheDocument();
  },
};
