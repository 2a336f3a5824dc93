import { validationError } from '../domain/errors';
import type { AuditEntry } from '../domain/types';
import type { FeedWorker, RetryOptions } from '../service/createFeedWorker';
import { createFeedWorker } from '../service/createFeedWorker';
import type { LicenseContacts } from '../service/createLicenseContacts';
import type { IdempotencyKeyStore } from '../storage/types';
import type { NotificationBuilderOptions } from './createNotificationBuilder';
import { createNotificationBuilder } from './createNotificationBuilder';
import type { Notification } from './notifications';

/**
 * Remembers which mails were delivered, by id, so that an entry handled again (after a failed send, a
 * crash, another process taking the lease over) sends nobody twice.
 */
export interface DeliveredMails {
  /**
   * Claims `id` for sending: `'send'` when it was not delivered (the caller sends, then `delivered` or
   * `failed`), `'skip'` when it was, `'busy'` while another sender holds it (try again later).
   */
  claim(id: string): Promise<'send' | 'skip' | 'busy'>;
  /** `id` was delivered: never send it again. */
  delivered(id: string): Promise<void>;
  /** Sending `id` failed: a later claim sends it. */
  failed(id: string): Promise<void>;
}

/** Options of `createNotifier`. */
export interface NotifierOptions extends NotificationBuilderOptions {
  service: NotificationBuilderOptions['service'] & Pick<LicenseContacts, 'storage' | 'changes' | 'subscribe'>;
  /** Delivers one mail (e.g. `smtpTransport(…)`); a rejection makes the feed try the entry again later. */
  send?: (message: Notification) => Promise<unknown>;
  /** Another name of `send`. */
  transport?: (message: Notification) => Promise<unknown>;
  /** The feed worker's name (its cursor and lease in the storage); default `notifier`. */
  name?: string;
  /** Where mails delivered are remembered; default the storage's idempotency keys, else this process. */
  deliveredMails?: DeliveredMails;
  /** How long a delivered id is remembered in the storage; default 14 days, at most 24 days. */
  rememberMs?: number;
  /** How long a claimed, unfinished send blocks others (a crashed sender's claim ends after it); default 60 s. */
  sendingMs?: number;
  retry?: RetryOptions;
  leaseMs?: number;
  pollMs?: number;
  /** Where a notifier that never ran starts: `'latest'` (from now, the default: old changes are not mailed) or `'oldest'`. */
  start?: 'oldest' | 'latest';
  holder?: string;
  onError?: (error: unknown, entry: AuditEntry | undefined) => void;
}

/** A running notifier: a feed worker; `handle(entry)` is what it does with each entry. */
export interface Notifier extends FeedWorker {
  /** Sends the mails of one audit entry, each at most once as `deliveredMails` remembers. */
  handle(entry: AuditEntry): Promise<void>;
}

const ACTOR = (name: string) => `notifier:${name}`;
const MAX_IDS = 1_000_000;
/** The longest time to live the idempotency key store takes (milliseconds as a 32-bit integer). */
const MAX_TTL_MS = 2_147_483_647;

/** Delivered ids kept as idempotency keys of the notifier's own actor (shared by every process on the storage). */
export function storedDeliveredMails(
  keys: IdempotencyKeyStore,
  name: string,
  { rememberMs, sendingMs }: { rememberMs: number; sendingMs: number },
): DeliveredMails {
  const actor = ACTOR(name);
  return {
    async claim(id) {
      const claim = await keys.claim(actor, id, id, { runningMs: sendingMs, maxPerActor: MAX_IDS });
      return claim.state === 'claimed' ? 'send' : claim.state === 'done' ? 'skip' : 'busy';
    },
    delivered: (id) =>
      keys.keep(actor, id, id, { status: 250, headers: [], body: '' }, Math.min(rememberMs, MAX_TTL_MS)),
    failed: (id) => keys.release(actor, id, id),
  };
}

/** Delivered ids kept in this process, the last `limit` of them. */
export function memoryDeliveredMails(limit = 100_000): DeliveredMails {
  const done = new Set<string>();
  const sending = new Set<string>();
  return {
    async claim(id) {
      if (done.has(id)) return 'skip';
      if (sending.has(id)) return 'busy';
      sending.add(id);
      return 'send';
    },
    async delivered(id) {
      sending.delete(id);
      done.add(id);
      if (done.size > limit) done.delete(done.values().next().value as string);
    },
    async failed(id) {
      sending.delete(id);
    },
  };
}

/**
 * Turns audit entries into mail (§7) as a feed worker: the change feed is read in `seq` order with a
 * cursor and a lease kept in the storage under `name` (one process at a time sends; another takes over
 * after a crash), and each mail goes to `send` at most once as far as `deliveredMails` remembers. By
 * default that is the storage's idempotency keys (PostgreSQL: shared by every process, surviving a
 * restart), so an entry handled again after a failure or a crash skips the mails already delivered;
 * storages without them (memory, browser) remember in this process only.
 * @example
 * const notifier = createNotifier({ service, baseUrl: 'https://portal.example.com',
 *   send: smtpTransport({ host, port, from: 'Licenses <licenses@vendor.example>', bounces: service }) });
 * // later: await notifier.stop();
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const given = options.send ?? options.transport;
  if (typeof given !== 'function') throw validationError('send', 'send must be a function');
  const send: (message: Notification) => Promise<unknown> = given;
  const name = options.name ?? 'notifier';
  const mailsOf = createNotificationBuilder(options);
  const keys = options.service.storage.idempotencyKeys;
  const delivered =
    options.deliveredMails ??
    (keys
      ? storedDeliveredMails(keys, name, {
          rememberMs: options.rememberMs ?? 14 * 24 * 3600 * 1000,
          sendingMs: options.sendingMs ?? 60_000,
        })
      : memoryDeliveredMails());

  async function handle(entry: AuditEntry): Promise<void> {
    for (const mail of await mailsOf(entry)) {
      const claim = await delivered.claim(mail.id);
      if (claim === 'skip') continue;
      if (claim === 'busy') throw new Error(`Mail ${mail.id} is being sent elsewhere; trying again later`);
      try {
        await send(mail);
      } catch (error) {
        await delivered.failed(mail.id).catch(() => {});
        throw error;
      }
      await delivered.delivered(mail.id);
    }
  }

  const worker = createFeedWorker({
    service: options.service,
    name,
    handle,
    start: options.start ?? 'latest',
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.holder === undefined ? {} : { holder: options.holder }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  return { name: worker.name, status: () => worker.status(), stop: () => worker.stop(), handle };
}
