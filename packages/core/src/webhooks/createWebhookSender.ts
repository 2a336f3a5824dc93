import { Webhook } from 'standardwebhooks';
import { validationError } from '../domain/errors';
import type { AuditEntry } from '../domain/types';
import type { FeedWorker, FeedWorkerStatus, RetryOptions } from '../service/createFeedWorker';
import { createFeedWorker } from '../service/createFeedWorker';
import type { LicenseContacts } from '../service/createLicenseContacts';
import { fetchPoster, isNode, nodePoster } from './post';

/** A receiver of webhooks. */
export interface WebhookEndpoint {
  /** Names the endpoint (and its cursor, `webhook:<id>`): 1–64 letters, digits, `-`, `_`. */
  id: string;
  /** Where to POST, `http:` or `https:`. */
  url: string;
  /** The Standard Webhooks signing secret, `whsec_` and base64. */
  secret: string;
  /** Only these event types (e.g. `['contact.added', 'main.changed']`); default every one. */
  actions?: string[];
}

/** Options of `createWebhookSender`. */
export interface WebhookSenderOptions {
  service: Pick<LicenseContacts, 'storage' | 'changes' | 'subscribe'>;
  endpoints: WebhookEndpoint[];
  /** The fetch to POST with; default Node's own HTTP client in Node (a third of fetch's cost), else `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Milliseconds a delivery may take before it counts as failed; default 10,000. */
  timeoutMs?: number;
  /** Retries of a failed delivery; default 1 s doubling to at most 5 min, without end (in order). */
  retry?: RetryOptions;
  /** See `createFeedWorker`; default 30,000 ms (keep it well above `timeoutMs`). */
  leaseMs?: number;
  /** Where an endpoint that never received anything starts: `'oldest'` (default) or `'latest'`. */
  start?: 'oldest' | 'latest';
  /**
   * See `createFeedWorker`: how long deliveries may wait for their cursor move to be saved (one write
   * for many deliveries); default 0, a write per delivery. After a crash the new holder sends again
   * what was delivered since the last save (same `webhook-id`: receivers drop repeats).
   */
  saveMs?: number;
  /** Told of each failed delivery. */
  onError?: (error: unknown, endpoint: string, entry: AuditEntry | undefined) => void;
}

/** What `status()` reports of one endpoint. */
export interface WebhookEndpointStatus extends FeedWorkerStatus {
  id: string;
  url: string;
}

/** A running webhook sender: one feed worker per endpoint. */
export interface WebhookSender {
  /** Each endpoint's cursor, lag and last error. */
  status(): Promise<WebhookEndpointStatus[]>;
  /** Stops every endpoint after the delivery in hand. */
  stop(): Promise<void>;
}

/** The body a webhook carries: Standard Webhooks' `{ type, timestamp, data }`, `data` the audit entry. */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: AuditEntry;
}

const TYPES: Record<string, string> = {
  createLicense: 'license.created',
  addContact: 'contact.added',
  removeContact: 'contact.removed',
  setMain: 'main.changed',
  replaceContact: 'contact.replaced',
  invite: 'license.invite',
  requestTransfer: 'license.requestTransfer',
  declineRequest: 'license.declineRequest',
  cancelRequest: 'license.cancelRequest',
};

/** What an accepted request did: an invitation adds a contact, a transfer changes a main contact. */
const ACCEPTED: Record<string, string> = {
  invitation: 'contact.added',
  transfer: 'main.changed',
};

/**
 * The webhook event type of an entry, by what it changed: `contact.added` (also an accepted
 * invitation), `main.changed` (also an accepted transfer), `contact.removed`…; the other actions
 * `license.<action>`.
 */
export function webhookType(
  entry: Pick<AuditEntry, 'action'> & Partial<Pick<AuditEntry, 'requests'>>,
): string {
  const accepted = entry.action === 'acceptRequest' ? ACCEPTED[entry.requests?.[0]?.kind ?? ''] : undefined;
  return accepted ?? TYPES[entry.action] ?? `license.${entry.action}`;
}

/** Every event type an entry can have, the values `actions` accepts. */
export const WEBHOOK_TYPES: readonly string[] = Object.freeze([
  ...new Set([...Object.values(TYPES), ...Object.values(ACCEPTED), 'license.acceptRequest']),
]);

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function parseEndpoint(value: unknown, i: number, seen: Set<string>): WebhookEndpoint & { signer: Webhook } {
  const field = `endpoints.${i}`;
  if (typeof value !== 'object' || value === null) throw validationError(field, `${field} must be an object`);
  const { id, url, secret, actions } = value as Record<string, unknown>;
  if (typeof id !== 'string' || !ID.test(id)) {
    throw validationError(`${field}.id`, `${field}.id must be 1–64 letters, digits, "-" or "_"`);
  }
  if (seen.has(id)) throw validationError(`${field}.id`, `${field}.id ${id} is given twice`);
  seen.add(id);
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw validationError(`${field}.url`, `${field}.url must be an http: or https: URL`);
  }
  let signer: Webhook;
  try {
    if (typeof secret !== 'string' || !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) throw new Error('format');
    signer = new Webhook(secret);
  } catch {
    throw validationError(
      `${field}.secret`,
      `${field}.secret must be a Standard Webhooks secret: whsec_ and base64`,
    );
  }
  if (
    actions !== undefined &&
    (!Array.isArray(actions) || actions.some((a) => typeof a !== 'string' || !WEBHOOK_TYPES.includes(a)))
  ) {
    // A misspelt type would match nothing, and the endpoint would wait for events that never come.
    throw validationError(
      `${field}.actions`,
      `${field}.actions must be a list of event types: ${WEBHOOK_TYPES.join(', ')}`,
    );
  }
  return {
    id,
    url: parsed.href,
    secret,
    signer,
    ...(actions === undefined ? {} : { actions: [...(actions as string[])] }),
  };
}

/** A failed delivery: the receiver's status, never its body (it could be anything). */
class DeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/**
 * Sends every change to each endpoint per the Standard Webhooks specification: a POST of
 * `{ type, timestamp, data }` with `webhook-id` (the entry's id: the same on every retry, so a
 * receiver drops repeats), `webhook-timestamp` and `webhook-signature` (`v1,` HMAC-SHA256 of
 * `id.timestamp.body`). Each endpoint is a feed worker (`webhook:<id>`): at least once, in order, a
 * failed delivery retried with capped exponential backoff and jitter while later ones wait; one
 * process at a time sends to an endpoint. A 2xx answer is a delivery; anything else is retried.
 * @example
 * const sender = createWebhookSender({ service, endpoints: [{ id: 'crm', url: 'https://crm.example/hooks', secret }] });
 * console.log(await sender.status());
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  if (!Array.isArray(options?.endpoints)) throw validationError('endpoints', 'endpoints must be a list');
  const seen = new Set<string>();
  const endpoints = options.endpoints.map((endpoint, i) => parseEndpoint(endpoint, i, seen));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const poster =
    options.fetch === undefined && isNode()
      ? nodePoster(timeoutMs)
      : fetchPoster(options.fetch ?? globalThis.fetch, timeoutMs);

  async function deliver(endpoint: (typeof endpoints)[number], entry: AuditEntry): Promise<void> {
    const payload: WebhookPayload = { type: webhookType(entry), timestamp: entry.at, data: entry };
    const body = JSON.stringify(payload);
    const now = new Date();
    const signature = endpoint.signer.sign(entry.id, now, body);
    let status: number;
    try {
      status = await poster.post(
        endpoint.url,
        {
          'Content-Type': 'application/json',
          'webhook-id': entry.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
      );
    } catch (error) {
      throw new DeliveryError(`POST ${endpoint.url} did not complete: ${(error as Error).message}`);
    }
    if (status < 200 || status > 299) {
      throw new DeliveryError(`POST ${endpoint.url} answered HTTP ${status}`, status);
    }
  }

  const workers: [(typeof endpoints)[number], FeedWorker][] = endpoints.map((endpoint) => [
    endpoint,
    createFeedWorker({
      service: options.service,
      name: `webhook:${endpoint.id}`,
      handle: (entry) => deliver(endpoint, entry),
      ...(endpoint.actions === undefined
        ? {}
        : { filter: (entry) => (endpoint.actions as string[]).includes(webhookType(entry)) }),
      retry: { initialMs: 1_000, maxMs: 300_000, ...options.retry },
      leaseMs: options.leaseMs ?? 30_000,
      ...(options.start === undefined ? {} : { start: options.start }),
      ...(options.saveMs === undefined ? {} : { saveMs: options.saveMs }),
      onError: (error, entry) => options.onError?.(error, endpoint.id, entry),
    }),
  ]);

  return {
    async status() {
      return Promise.all(
        workers.map(async ([endpoint, worker]) => ({
          id: endpoint.id,
          url: endpoint.url,
          ...(await worker.status()),
        })),
      );
    },
    async stop() {
      await Promise.all(workers.map(([, worker]) => worker.stop()));
      poster.close();
    },
  };
}
