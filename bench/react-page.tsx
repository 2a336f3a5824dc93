/**
 * The page `react.bench.ts` bundles and runs in Chromium: mounts and updates `ContactList` and a bare
 * React `<ul>` of the same rows, timing each with performance.now() inside the page.
 */

import type { Contact, Decision, License, LicenseContactsApi, Permissions } from '@license-contacts/core';
import { createContactsStore } from '@license-contacts/core';
import { ContactList, LicenseContactsProvider } from '@license-contacts/react';
import { useState } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';

const ID = 'SEN-BENCH';
const ALLOWED: Decision = { allowed: true };

function licenseOf(count: number): License {
  const contacts: Contact[] = Array.from({ length: count }, (_, i) => ({
    email: `person${i}@acme.test`,
    name: `Person ${i}`,
    roles: i === 0 ? ['technical', 'billing'] : ['technical'],
  }));
  return {
    id: ID,
    product: 'Jira Software',
    contacts,
    technical: contacts.map((c) => c.email),
    billing: [contacts[0]?.email ?? ''],
    version: 1,
    updatedAt: '2026-01-15T09:30:00.000Z',
  };
}

function permissionsOf(license: License): Permissions {
  const all = (emails: string[]) => Object.fromEntries(emails.map((e) => [e, ALLOWED]));
  return {
    addContact: ALLOWED,
    replaceContact: ALLOWED,
    viewHistory: ALLOWED,
    setMain: { technical: all(license.technical), billing: all(license.billing) },
    removeContact: { technical: all(license.technical), billing: all(license.billing) },
    successors: { technical: all(license.technical.slice(1)), billing: all(license.billing.slice(1)) },
    losesAccess: {
      technical: Object.fromEntries(license.technical.map((e) => [e, false])),
      billing: Object.fromEntries(license.billing.map((e) => [e, false])),
    },
    requestTransfer: { technical: all(license.technical), billing: all(license.billing) },
    invite: ALLOWED,
    directAdd: 'any',
    requests: {},
    unreachable: [],
  };
}

/** An Api whose answers never arrive: the benchmark times the optimistic render only. */
const silentApi = new Proxy({} as LicenseContactsApi, { get: () => () => new Promise(() => {}) });

/** The floor: a bare React list of the same rows (the same markup as `ContactRow`), its order in component state. */
function BareList({
  license,
  onReady,
}: {
  license: License;
  onReady: (promote: (email: string) => void) => void;
}) {
  const [order, setOrder] = useState(license.technical);
  onReady((email) => setOrder((o) => [email, ...o.filter((e) => e !== email)]));
  const byEmail = new Map(license.contacts.map((c) => [c.email, c]));
  return (
    <ul className="lc-contact-list__items" aria-label="Technical contacts" tabIndex={-1}>
      {order.map((email, index) => {
        const contact = byEmail.get(email) as Contact;
        return (
          <li
            key={email}
            tabIndex={-1}
            className="lc-contact"
            data-role="technical"
            data-main={index === 0 ? 'true' : 'false'}
            data-state="idle"
            data-email={email}
          >
            <span className="lc-contact__name">{contact.name}</span>{' '}
            <span className="lc-contact__email">{contact.email}</span>
            {index === 0 && (
              <>
                {' '}
                <span className="lc-badge">Main</span>
              </>
            )}
            <span className="lc-contact__actions">
              {index !== 0 && (
                <button
                  type="button"
                  className="lc-action lc-contact__promote"
                  data-state="enabled"
                  aria-label={`Make ${contact.name} main technical contact`}
                >
                  <span aria-hidden="true">↑</span>
                </button>
              )}
              <button
                type="button"
                className="lc-action lc-contact__remove"
                data-state="enabled"
                aria-label={`Remove ${contact.name} from technical contacts`}
                aria-haspopup="dialog"
              >
                <span aria-hidden="true">×</span>
              </button>
            </span>
          </li>
        );
      })}
    </ul>
  );
}

type Sample = { mount: number; update: number };

function once(kind: 'kit' | 'bare', license: License, permissions: Permissions): Sample {
  const host = document.createElement('div');
  document.body.appendChild(host);
  const root = createRoot(host);
  const last = license.technical[license.technical.length - 1] as string;
  let promote: (email: string) => void = () => {};
  const store = createContactsStore(silentApi, {
    initialData: {
      licenses: [license],
      permissions: { [ID]: permissions },
      me: { email: license.technical[0] as string, staff: false },
    },
  });
  const ui =
    kind === 'kit' ? (
      <LicenseContactsProvider store={store}>
        <ContactList licenseId={ID} role="technical" />
      </LicenseContactsProvider>
    ) : (
      <BareList license={license} onReady={(fn) => (promote = fn)} />
    );
  // A collection now rather than in the middle of a measured run (the page runs with --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  flushSync(() => root.render(ui));
  void document.body.offsetHeight; // include style and layout
  const t1 = performance.now();
  flushSync(() => {
    if (kind === 'kit') void store.setMain(ID, 'technical', last);
    else promote(last);
  });
  void document.body.offsetHeight;
  const t2 = performance.now();
  const first = host.querySelector('li');
  if (!first?.textContent?.includes(`Person ${license.technical.length - 1}`))
    throw new Error(`${kind}: the update did not render`);
  root.unmount();
  host.remove();
  return { mount: t1 - t0, update: t2 - t1 };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Medians (ms) of one round: `reps` runs per side, the sides alternating. */
export interface RoundResult {
  size: number;
  kitMount: number;
  bareMount: number;
  kitUpdate: number;
  bareUpdate: number;
}

/**
 * Runs `rounds` rounds per size (after warm-up); each round alternates the sides run by run and
 * answers each side's medians, so every ratio compares runs taken side by side.
 */
function run(sizes: number[], reps: number, warmup: number, rounds: number): RoundResult[] {
  const results: RoundResult[] = [];
  for (const size of sizes) {
    const license = licenseOf(size);
    const permissions = permissionsOf(license);
    for (let i = 0; i < warmup; i++) {
      once('kit', license, permissions);
      once('bare', license, permissions);
    }
    for (let round = 0; round < rounds; round++) {
      const kit: Sample[] = [];
      const bare: Sample[] = [];
      for (let i = 0; i < reps; i++) {
        if ((i + round) % 2) {
          kit.push(once('kit', license, permissions));
          bare.push(once('bare', license, permissions));
        } else {
          bare.push(once('bare', license, permissions));
          kit.push(once('kit', license, permissions));
        }
      }
      results.push({
        size,
        kitMount: median(kit.map((s) => s.mount)),
        bareMount: median(bare.map((s) => s.mount)),
        kitUpdate: median(kit.map((s) => s.update)),
        bareUpdate: median(bare.map((s) => s.update)),
      });
    }
  }
  return results;
}

(globalThis as { runBench?: typeof run }).runBench = run;
