import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LicenseContactsError } from '../domain/errors';
import { defaultPolicy } from '../domain/policy';
import type { StoredRequest } from '../domain/requests';
import { summarize } from '../domain/requests';
import type { Applied, Command } from '../domain/rules';
import { applyAgreed, applyCommand, createLicenseState } from '../domain/rules';
import type { AuditEntry, CreateLicenseInput, License } from '../domain/types';
import { createLicenseContacts } from '../service/createLicenseContacts';
import type { LicenseStorage } from '../storage/types';

/** Options of `runStorageConformance`. */
export interface StorageConformanceOptions {
  /** Shown in the test names. */
  name: string;
  /** A fresh, empty storage for each test. */
  create: () => LicenseStorage | Promise<LicenseStorage>;
  /** Releases a storage after its test. */
  destroy?: (storage: LicenseStorage) => void | Promise<void>;
  /**
   * Closes a storage and opens it again on the same data (a restart), for storages that keep their
   * data; the restart promises are skipped without it.
   */
  reopen?: (storage: LicenseStorage) => LicenseStorage | Promise<LicenseStorage>;
  /** Concurrent writers in the exactly-once promise; default 20. */
  writers?: number;
  /**
   * Another instance over the same data (another process's storage), for `watch`, which must tell
   * other instances' commits too; default the storage itself.
   */
  another?: (storage: LicenseStorage) => LicenseStorage | Promise<LicenseStorage>;
}

const T0 = '2026-02-01T10:00:00.000Z';
const staff = { email: 'staff@vendor.test', staff: true };

function input(id: string, extra: Partial<CreateLicenseInput> = {}): CreateLicenseInput {
  return {
    id,
    product: 'Jira Software',
    technical: { email: `tech@${id.toLowerCase()}.test`, name: 'Tess Tech' },
    billing: { email: 'bill@acme.test', name: 'Bill Billing' },
    ...extra,
  };
}

function created(id: string, extra: Partial<CreateLicenseInput> = {}): Applied {
  return createLicenseState(input(id, extra), T0);
}

function change(license: License, command: Command, at = '2026-02-02T10:00:00.000Z'): Applied {
  const applied = applyCommand(license, command, staff, defaultPolicy, at);
  if (!applied) throw new Error('the command changed nothing');
  return applied;
}

function add(license: License, email: string, name = email.split('@')[0] as string): Applied {
  return change(license, { type: 'addContact', input: { email, name, roles: ['technical'] } });
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LicenseContactsError);
  expect((error as LicenseContactsError).code).toBe(code);
}

/** A pending invitation of `email` to a license, made by `by`. */
function invitation(
  id: string,
  licenseId: string,
  email: string,
  by: string,
  extra: Partial<StoredRequest> = {},
): StoredRequest {
  return {
    id,
    kind: 'invitation',
    licenseId,
    product: 'Jira Software',
    email,
    name: 'Ïnvitée 招待',
    roles: ['technical', 'billing'],
    requestedBy: by,
    decidedBy: [email],
    createdAt: '2026-02-02T10:00:00.000Z',
    expiresAt: '2026-02-16T10:00:00.000Z',
    state: 'pending',
    version: 1,
    ...extra,
  };
}

/** What a call answered, as compared across adapters: `ok`, or the error's code and field. */
async function outcomeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    if (!(error instanceof LicenseContactsError)) throw error;
    return error.field === undefined ? error.code : `${error.code} ${error.field}`;
  }
}

/** A plain copy, to compare stored values structurally whatever the storage returns. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * The storage contract as tests: one test per promise, a fresh storage for each. Run it on your own
 * adapter to know it works with the service.
 * @example runStorageConformance({ name: 'memoryStorage', create: () => memoryStorage() })
 */
export function runStorageConformance(options: StorageConformanceOptions): void {
  describe(`${options.name} storage conformance`, () => {
    let storage: LicenseStorage;

    beforeEach(async () => {
      storage = await options.create();
    });
    afterEach(async () => {
      await options.destroy?.(storage);
    });

    async function commitNew(...applied: Applied[]): Promise<License[]> {
      await storage.commit({
        writes: applied.map((a) => ({ license: a.license, expectedVersion: null })),
        audit: applied.map((a) => a.entry),
      });
      return applied.map((a) => a.license);
    }

    /** Every entry of the feed, paged with `after` from the start (or from `after`). */
    async function wholeFeed(
      query: { email?: string; after?: string; limit?: number } = {},
    ): Promise<AuditEntry[]> {
      const entries: AuditEntry[] = [];
      let after = query.after;
      for (let pages = 0; pages < 10_000; pages++) {
        const page = await storage.listChanges({
          limit: query.limit ?? 3,
          ...(after === undefined ? {} : { after }),
          ...(query.email === undefined ? {} : { email: query.email }),
        });
        entries.push(...page.items);
        if (page.nextCursor === undefined) return entries;
        after = page.nextCursor;
      }
      throw new Error('listChanges kept answering a nextCursor');
    }

    async function commitChange(before: License, applied: Applied): Promise<License> {
      await storage.commit({
        writes: [{ license: applied.license, expectedVersion: before.version }],
        audit: [applied.entry],
      });
      return applied.license;
    }

    it('getLicense answers null for an unknown id', async () => {
      expect(await storage.getLicense('SEN-0000000')).toBeNull();
    });

    it('getLicense with ifContact answers the license only when that email is one of its contacts', async () => {
      const [v1] = (await commitNew(created('SEN-1'), created('SEN-2'))) as [License, License];
      const v2 = await commitChange(v1, add(v1, 'carol@acme.test'));
      expect(plain(await storage.getLicense('SEN-1', { ifContact: 'carol@acme.test' }))).toEqual(plain(v2));
      expect(await storage.getLicense('SEN-2', { ifContact: 'carol@acme.test' })).toBeNull();
      expect(await storage.getLicense('SEN-404', { ifContact: 'carol@acme.test' })).toBeNull();
      expect((await storage.getLicense('SEN-2', { ifContact: 'bill@acme.test' }))?.id).toBe('SEN-2');
      await commitChange(v2, change(v2, { type: 'removeContact', email: 'carol@acme.test' }));
      expect(await storage.getLicense('SEN-1', { ifContact: 'carol@acme.test' })).toBeNull();
      expect((await storage.getLicense('SEN-1'))?.id).toBe('SEN-1');
    });

    it('commit creates a license that getLicense returns whole', async () => {
      const [license] = await commitNew(
        created('SEN-1', {
          edition: 'Data Center',
          seats: 500,
          expiresAt: '2027-03-01',
          contacts: [{ email: 'carol@acme.test', name: 'Carol', roles: ['technical', 'billing'] }],
        }),
      );
      expect(plain(await storage.getLicense('SEN-1'))).toEqual(plain(license));
    });

    it('optional fields that were absent stay absent', async () => {
      await commitNew(created('SEN-1'));
      const stored = (await storage.getLicense('SEN-1')) as License;
      expect(stored).not.toHaveProperty('edition');
      expect(stored).not.toHaveProperty('seats');
      expect(stored).not.toHaveProperty('expiresAt');
    });

    it('contact order, role order and names (unicode included) are kept', async () => {
      let license = (await commitNew(created('SEN-1')))[0] as License;
      for (const [email, name] of [
        ['zoë@acme.test', 'Zoë Ångström'],
        ['a@acme.test', '李小龙'],
        ['m@acme.test', 'Émile 🚀 Zola'],
      ] as const) {
        license = await commitChange(license, add(license, email, name));
      }
      license = await commitChange(
        license,
        change(license, { type: 'setMain', role: 'technical', email: 'm@acme.test' }),
      );
      const stored = (await storage.getLicense('SEN-1')) as License;
      expect(stored.technical).toEqual(['m@acme.test', 'tech@sen-1.test', 'zoë@acme.test', 'a@acme.test']);
      expect(stored.contacts.map((c) => c.name)).toEqual([
        'Tess Tech',
        'Bill Billing',
        'Zoë Ångström',
        '李小龙',
        'Émile 🚀 Zola',
      ]);
      expect(plain(stored)).toEqual(plain(license));
    });

    it('commit with expectedVersion null rejects an existing license with CONFLICT', async () => {
      await commitNew(created('SEN-1'));
      const again = created('SEN-1', { product: 'Other' });
      await expectCode(
        storage.commit({ writes: [{ license: again.license, expectedVersion: null }], audit: [again.entry] }),
        'CONFLICT',
      );
      expect((await storage.getLicense('SEN-1'))?.product).toBe('Jira Software');
      expect((await storage.listAudit('SEN-1', { limit: 10 })).items).toHaveLength(1);
    });

    it('commit rejects a stale version with CONFLICT and writes nothing', async () => {
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const v2 = await commitChange(v1, add(v1, 'first@acme.test'));
      const stale = add(v1, 'second@acme.test');
      await expectCode(commitChange(v1, stale), 'CONFLICT');
      expect(plain(await storage.getLicense('SEN-1'))).toEqual(plain(v2));
      expect((await storage.listAudit('SEN-1', { limit: 10 })).items.map((e) => e.version)).toEqual([2, 1]);
    });

    it('commit rejects a write to a license that does not exist with CONFLICT', async () => {
      const ghost = created('SEN-9');
      const next = add(ghost.license, 'x@acme.test');
      await expectCode(
        storage.commit({ writes: [{ license: next.license, expectedVersion: 1 }], audit: [next.entry] }),
        'CONFLICT',
      );
      expect(await storage.getLicense('SEN-9')).toBeNull();
    });

    it('a multi-license commit is all or nothing', async () => {
      const [a, b] = (await commitNew(created('SEN-A'), created('SEN-B'))) as [License, License];
      const bNow = await commitChange(b, add(b, 'moved@acme.test'));
      const aNext = add(a, 'new@acme.test');
      const bStale = add(b, 'new@acme.test');
      await expectCode(
        storage.commit({
          writes: [
            { license: aNext.license, expectedVersion: a.version },
            { license: bStale.license, expectedVersion: b.version },
          ],
          audit: [aNext.entry, bStale.entry],
        }),
        'CONFLICT',
      );
      expect(plain(await storage.getLicense('SEN-A'))).toEqual(plain(a));
      expect(plain(await storage.getLicense('SEN-B'))).toEqual(plain(bNow));
      expect((await storage.listAudit('SEN-A', { limit: 10 })).items).toHaveLength(1);
      expect((await storage.listLicenses({ email: 'new@acme.test', limit: 10 })).items).toEqual([]);
    });

    it('a multi-license commit applies every write and entry', async () => {
      const [a, b] = (await commitNew(created('SEN-A'), created('SEN-B'))) as [License, License];
      const aNext = add(a, 'new@acme.test');
      const bNext = add(b, 'new@acme.test');
      await storage.commit({
        writes: [
          { license: aNext.license, expectedVersion: 1 },
          { license: bNext.license, expectedVersion: 1 },
        ],
        audit: [aNext.entry, bNext.entry],
      });
      const page = await storage.listLicenses({ email: 'new@acme.test', limit: 10 });
      expect(page.items.map((l) => l.id)).toEqual(['SEN-A', 'SEN-B']);
      expect((await storage.listAudit('SEN-B', { limit: 1 })).items[0]?.version).toBe(2);
    });

    it('of two concurrent commits on the same version exactly one wins', async () => {
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const results = await Promise.allSettled(
        ['x@acme.test', 'y@acme.test', 'z@acme.test'].map((email) => commitChange(v1, add(v1, email))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as LicenseContactsError).code).toBe('CONFLICT');
      }
      const stored = (await storage.getLicense('SEN-1')) as License;
      expect(stored.version).toBe(2);
      expect(stored.contacts).toHaveLength(3);
      expect((await storage.listAudit('SEN-1', { limit: 10 })).items).toHaveLength(2);
    });

    it('audit entries are committed with their license and come back whole', async () => {
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const v2 = await commitChange(v1, add(v1, 'carol@acme.test', 'Carol'));
      const removal = change(v2, {
        type: 'removeContact',
        email: 'tech@sen-1.test',
        successor: 'carol@acme.test',
      });
      await commitChange(v2, removal);
      const { items } = await storage.listAudit('SEN-1', { limit: 10 });
      expect(items.map((e) => e.action)).toEqual(['removeContact', 'addContact', 'createLicense']);
      expect(plain(items[0])).toEqual({ ...plain(removal.entry), seq: items[0]?.seq });
      expect(items[2]?.changes.map((c) => c.before)).toEqual([null, null]);
      expect(items[2]?.actor).toBeNull();
    });

    it('listAudit answers newest first and pages with beforeVersion', async () => {
      let license = (await commitNew(created('SEN-1')))[0] as License;
      for (let i = 0; i < 6; i++) license = await commitChange(license, add(license, `p${i}@acme.test`));
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page: { items: AuditEntry[]; nextCursor?: string } = await storage.listAudit('SEN-1', {
          limit: 3,
          ...(cursor === undefined ? {} : { beforeVersion: Number(cursor) }),
        });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((e) => e.version));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
      expect(
        (await storage.listAudit('SEN-1', { limit: 2, beforeVersion: 3 })).items.map((e) => e.version),
      ).toEqual([2, 1]);
      expect((await storage.listAudit('SEN-404', { limit: 5 })).items).toEqual([]);
    });

    it('listLicenses orders by id and pages completely and stably', async () => {
      const ids = Array.from({ length: 23 }, (_, i) => `SEN-${String(1000 + ((i * 7) % 23))}`);
      await commitNew(...ids.map((id) => created(id)));
      for (const limit of [1, 4, 10, 23, 50]) {
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await storage.listLicenses({ limit, ...(after === undefined ? {} : { after }) });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(...page.items.map((l) => l.id));
          after = page.nextCursor;
          pages++;
        } while (after !== undefined && pages < 100);
        expect(seen).toEqual([...ids].sort());
      }
    });

    it('listLicenses pages stay stable when licenses are added between pages', async () => {
      await commitNew(created('SEN-B'), created('SEN-D'), created('SEN-F'));
      const first = await storage.listLicenses({ limit: 2 });
      expect(first.items.map((l) => l.id)).toEqual(['SEN-B', 'SEN-D']);
      await commitNew(created('SEN-A'), created('SEN-E'));
      const second = await storage.listLicenses({ limit: 2, after: first.nextCursor as string });
      expect(second.items.map((l) => l.id)).toEqual(['SEN-E', 'SEN-F']);
    });

    it('listLicenses by email finds exactly that person’s licenses, case-insensitively', async () => {
      const [a, , c] = (await commitNew(created('SEN-A'), created('SEN-B'), created('SEN-C'))) as License[];
      await commitChange(a as License, add(a as License, 'carol@acme.test'));
      await commitChange(c as License, add(c as License, 'carol@acme.test'));
      expect(
        (await storage.listLicenses({ email: 'carol@acme.test', limit: 10 })).items.map((l) => l.id),
      ).toEqual(['SEN-A', 'SEN-C']);
      expect(
        (await storage.listLicenses({ email: 'Carol@ACME.test', limit: 10 })).items.map((l) => l.id),
      ).toEqual(['SEN-A', 'SEN-C']);
      expect((await storage.listLicenses({ email: 'bill@acme.test', limit: 10 })).items).toHaveLength(3);
      expect((await storage.listLicenses({ email: 'nobody@acme.test', limit: 10 })).items).toEqual([]);
    });

    it('listLicenses by email follows removals at once', async () => {
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const v2 = await commitChange(v1, add(v1, 'carol@acme.test'));
      await commitChange(v2, change(v2, { type: 'removeContact', email: 'carol@acme.test' }));
      expect((await storage.listLicenses({ email: 'carol@acme.test', limit: 10 })).items).toEqual([]);
      expect((await storage.listLicenses({ email: 'tech@sen-1.test', limit: 10 })).items).toHaveLength(1);
    });

    it('listLicenses by email pages with after', async () => {
      await commitNew(...['SEN-1', 'SEN-2', 'SEN-3', 'SEN-4', 'SEN-5'].map((id) => created(id)));
      const first = await storage.listLicenses({ email: 'bill@acme.test', limit: 2 });
      const second = await storage.listLicenses({
        email: 'bill@acme.test',
        limit: 2,
        after: first.nextCursor as string,
      });
      const third = await storage.listLicenses({
        email: 'bill@acme.test',
        limit: 2,
        after: second.nextCursor as string,
      });
      expect([...first.items, ...second.items, ...third.items].map((l) => l.id)).toEqual([
        'SEN-1',
        'SEN-2',
        'SEN-3',
        'SEN-4',
        'SEN-5',
      ]);
      expect(third.nextCursor).toBeUndefined();
    });

    it('listLicenses query matches id, product, contact email and name, case-insensitively', async () => {
      const [a] = (await commitNew(
        created('SEN-AAA', { product: 'Confluence' }),
        created('SEN-BBB', { product: 'Jira Software' }),
        created('SEN-CCC', { product: 'Bitbucket' }),
      )) as License[];
      await commitChange(a as License, add(a as License, 'zed@globex.test', 'Zoë Quinn'));
      const ids = async (query: string, email?: string) =>
        (
          await storage.listLicenses({ query, limit: 10, ...(email === undefined ? {} : { email }) })
        ).items.map((l) => l.id);
      expect(await ids('sen-bbb')).toEqual(['SEN-BBB']);
      expect(await ids('BUCKET')).toEqual(['SEN-CCC']);
      expect(await ids('GLOBEX')).toEqual(['SEN-AAA']);
      expect(await ids('zoë q')).toEqual(['SEN-AAA']);
      expect(await ids('tech@sen-c')).toEqual(['SEN-CCC']);
      expect(await ids('nothing-like-this')).toEqual([]);
      expect(await ids('sen-', 'zed@globex.test')).toEqual(['SEN-AAA']);
      expect(await ids('%')).toEqual([]);
      expect(await ids('_')).toEqual([]);
    });

    it('listLicenses with a query pages completely', async () => {
      await commitNew(
        ...Array.from({ length: 9 }, (_, i) =>
          created(`SEN-${i}`, { product: i % 2 ? 'Jira' : 'Confluence' }),
        ),
      );
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await storage.listLicenses({
          query: 'jira',
          limit: 2,
          ...(after === undefined ? {} : { after }),
        });
        seen.push(...page.items.map((l) => l.id));
        after = page.nextCursor;
      } while (after !== undefined);
      expect(seen).toEqual(['SEN-1', 'SEN-3', 'SEN-5', 'SEN-7']);
    });

    it('returned objects are copies: changing them changes nothing stored', async () => {
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const read = (await storage.getLicense('SEN-1')) as License;
      const listed = (await storage.listLicenses({ limit: 1 })).items[0] as License;
      const entry = (await storage.listAudit('SEN-1', { limit: 1 })).items[0] as AuditEntry;
      for (const target of [read, listed]) {
        try {
          target.technical.push('evil@acme.test');
          (target.contacts[0] as { name: string }).name = 'Evil';
          target.version = 99;
        } catch {
          // frozen objects refuse changes, which keeps the promise too
        }
      }
      try {
        (entry.changes[0] as { email: string }).email = 'evil@acme.test';
        entry.changes.push({ email: 'evil@acme.test', name: 'Evil', before: null, after: null });
      } catch {
        // frozen
      }
      expect(plain(await storage.getLicense('SEN-1'))).toEqual(plain(v1));
      const again = (await storage.listAudit('SEN-1', { limit: 1 })).items[0];
      expect(again?.changes.map((c) => c.email)).toEqual(['tech@sen-1.test', 'bill@acme.test']);
    });

    it('committed objects are copied: changing them afterwards changes nothing stored', async () => {
      const applied = created('SEN-1');
      const license = structuredClone(applied.license);
      await storage.commit({
        writes: [{ license, expectedVersion: null }],
        audit: [structuredClone(applied.entry)],
      });
      license.technical.push('evil@acme.test');
      license.product = 'Evil';
      expect(plain(await storage.getLicense('SEN-1'))).toEqual(plain(applied.license));
    });

    it('the same hostile input gets the same answer on every adapter: refused before the driver, or kept as is', async () => {
      const service = createLicenseContacts({ storage, retryDelay: () => 0, cacheSize: 0 });
      const person = (email: string, name = 'Person') => ({ email, name, roles: ['technical' as const] });
      await service.createLicense(input('SEN-H'));
      const tess = service.as({ email: 'tech@sen-h.test' });
      const cases: [string, () => Promise<unknown>, string][] = [
        [
          'a lone surrogate in a name',
          () => tess.addContact('SEN-H', person('x@acme.test', 'X\ud800')),
          'VALIDATION name',
        ],
        [
          'a lone surrogate in an email',
          () => tess.addContact('SEN-H', person('x\udc00@acme.test')),
          'VALIDATION email',
        ],
        [
          "a lone surrogate in a successor's name",
          () => tess.replaceContact('bill@acme.test', { email: 'new@acme.test', name: 'N\udbff' }),
          'VALIDATION successor.name',
        ],
        [
          "a lone surrogate in a successor's email",
          () => tess.removeContact('SEN-H', 'tech@sen-h.test', { successor: 's\ud800@acme.test' }),
          'VALIDATION successor',
        ],
        [
          'a lone surrogate in a product',
          () => service.createLicense(input('SEN-P', { product: 'Jira \udfff' })),
          'VALIDATION product',
        ],
        ['a NUL in a search', () => tess.listLicenses({ query: 'a\u0000b' }), 'VALIDATION query'],
        ['a lone surrogate in a search', () => tess.listLicenses({ query: '\ud800' }), 'VALIDATION query'],
        [
          'a bidi override in a name',
          () => tess.addContact('SEN-H', person('eve@acme.test', 'Eve\u202Etxt.exe')),
          'VALIDATION name',
        ],
        [
          'a name of invisible characters only',
          () => tess.addContact('SEN-H', person('z@acme.test', '\u200B\u3164')),
          'VALIDATION name',
        ],
        [
          'a zero width space in an email',
          () => tess.addContact('SEN-H', person('alice\u200B@acme.test')),
          'VALIDATION email',
        ],
        [
          'a history cursor past the integer range',
          () => tess.history('SEN-H', { cursor: '2147483648' }),
          'ok',
        ],
        ['a history cursor of 16 digits', () => tess.history('SEN-H', { cursor: '9999999999999999' }), 'ok'],
        ['a history page of 2^53 - 1', () => tess.history('SEN-H', { limit: Number.MAX_SAFE_INTEGER }), 'ok'],
        [
          'an expected version past the integer range',
          () => tess.addContact('SEN-H', person('v@acme.test'), { expectedVersion: 2 ** 40 }),
          'CONFLICT',
        ],
        ['a search with LIKE wildcards and a backslash', () => tess.listLicenses({ query: '%_\\' }), 'ok'],
        [
          'seats of 2^53 - 1',
          () => service.createLicense(input('SEN-S', { seats: Number.MAX_SAFE_INTEGER })),
          'ok',
        ],
        [
          'a Kelvin sign and a full-width domain',
          () => tess.addContact('SEN-H', person('\u212Aelly@ＡＣＭＥ.test', 'Kelly')),
          'ok',
        ],
        [
          'joiners inside an emoji and a word',
          () => tess.addContact('SEN-H', person('zoe@acme.test', 'Zoë 👩\u200D💻 می\u200Cخواهم')),
          'ok',
        ],
      ];
      const answers = [];
      for (const [name, call] of cases) answers.push([name, await outcomeOf(call)]);
      expect(answers).toEqual(cases.map(([name, , expected]) => [name, expected]));

      expect((await tess.history('SEN-H', { cursor: '2147483648' })).items.map((e) => e.action)).toEqual([
        'addContact',
        'addContact',
        'createLicense',
      ]);
      expect((await storage.getLicense('SEN-S'))?.seats).toBe(Number.MAX_SAFE_INTEGER);
      const stored = (await storage.getLicense('SEN-H')) as License;
      expect(stored.technical).toEqual(['tech@sen-h.test', 'kelly@acme.test', 'zoe@acme.test']);
      expect(stored.contacts.at(-1)?.name).toBe('Zoë 👩\u200D💻 می\u200Cخواهم');
      expect(
        (await storage.listLicenses({ email: 'kelly@acme.test', limit: 5 })).items.map((l) => l.id),
      ).toEqual(['SEN-H']);
      expect(await storage.getLicense('SEN-P')).toBeNull();
    });

    it('history pages answer at most 1 MiB of JSON whatever the limit, through the service (R15)', async () => {
      const service = createLicenseContacts({ storage, retryDelay: () => 0 });
      const long = 'n'.repeat(180);
      // Created with 4,000 contacts of long names: an entry over 1 MiB, whatever the entry format.
      const contacts = Array.from({ length: 4000 }, (_, i) => ({
        email: `p${String(i).padStart(4, '0')}@acme.test`,
        name: `${long} ${i}`,
        roles: ['technical' as const],
      }));
      await service.createLicense(input('SEN-BIG', { contacts }));
      const api = service.as(staff);
      for (let i = 0; i < 5; i++) {
        await api.addContact('SEN-BIG', {
          email: `late${i}@acme.test`,
          name: `Late ${i}`,
          roles: ['billing'],
        });
      }
      const pages: { versions: number[]; bytes: number; next: boolean }[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.history('SEN-BIG', {
          limit: 200,
          ...(cursor === undefined ? {} : { cursor }),
        });
        pages.push({
          versions: page.items.map((e) => e.version),
          bytes: new TextEncoder().encode(JSON.stringify(page)).byteLength,
          next: page.nextCursor !== undefined,
        });
        cursor = page.nextCursor;
      } while (cursor !== undefined && pages.length < 10);
      // The small entries first, cut short before the large one, which then comes alone.
      expect(pages.map((p) => [p.versions, p.next])).toEqual([
        [[6, 5, 4, 3, 2], true],
        [[1], false],
      ]);
      expect(pages[0]?.bytes).toBeLessThanOrEqual(1024 * 1024);
      expect(pages[1]?.bytes).toBeGreaterThan(1024 * 1024);
    }, 60_000);

    it('a license with 300 contacts round-trips in order', async () => {
      const contacts = Array.from({ length: 299 }, (_, i) => ({
        email: `p${String(i).padStart(3, '0')}@acme.test`,
        name: `Person ${i}`,
        roles: (i % 3 === 0 ? ['technical', 'billing'] : i % 3 === 1 ? ['technical'] : ['billing']) as (
          | 'technical'
          | 'billing'
        )[],
      }));
      const [license] = await commitNew(created('SEN-BIG', { contacts }));
      expect(plain(await storage.getLicense('SEN-BIG'))).toEqual(plain(license));
    });

    it('commit answers its entries with a seq that sorts after every earlier one', async () => {
      const [a, b] = (await commitNew(created('SEN-B'), created('SEN-A'))) as [License, License];
      const first = await storage.commit({
        writes: [{ license: add(a, 'x@acme.test').license, expectedVersion: 1 }],
        audit: [add(a, 'x@acme.test').entry],
      });
      const second = await storage.commit({
        writes: [{ license: add(b, 'y@acme.test').license, expectedVersion: 1 }],
        audit: [add(b, 'y@acme.test').entry],
      });
      const seqs = (await wholeFeed()).map((e) => e.seq);
      expect(seqs).toHaveLength(4);
      expect([...seqs].sort()).toEqual(seqs);
      expect(new Set(seqs).size).toBe(4);
      expect([first[0]?.seq, second[0]?.seq]).toEqual(seqs.slice(2));
      expect(first[0]).toMatchObject({ licenseId: 'SEN-B', version: 2 });
      expect(typeof first[0]?.seq).toBe('string');
    });

    it('listChanges answers every entry of every license in seq order, paging with after', async () => {
      let [a, b] = (await commitNew(created('SEN-A'), created('SEN-B'))) as [License, License];
      for (let i = 0; i < 4; i++) {
        a = await commitChange(a, add(a, `a${i}@acme.test`));
        b = await commitChange(b, add(b, `b${i}@acme.test`));
      }
      const all = await wholeFeed({ limit: 100 });
      expect(all.map((e) => e.id)).toEqual([
        'SEN-A:1',
        'SEN-B:1',
        ...[2, 3, 4, 5].flatMap((v) => [`SEN-A:${v}`, `SEN-B:${v}`]),
      ]);
      expect(await wholeFeed({ limit: 3 })).toEqual(all);
      const page = await storage.listChanges({ limit: 4, after: all[5]?.seq as string });
      expect(page.items.map((e) => e.id)).toEqual(all.slice(6).map((e) => e.id));
      expect(page.nextCursor).toBeUndefined();
      expect((await storage.listChanges({ limit: 2 })).nextCursor).toBe(all[1]?.seq);
      expect((await storage.listChanges({ limit: 5, after: all.at(-1)?.seq as string })).items).toEqual([]);
      if (storage.headSeq) expect(await storage.headSeq()).toBe(all.at(-1)?.seq);
      expect(plain(all[2])).toEqual(
        plain((await storage.listAudit('SEN-A', { limit: 1, beforeVersion: 3 })).items[0]),
      );
    });

    it('listChanges of an empty storage is empty', async () => {
      expect(await storage.listChanges({ limit: 10 })).toEqual({ items: [] });
      expect(await storage.listChanges({ limit: 10, email: 'nobody@acme.test' })).toEqual({ items: [] });
      if (storage.headSeq) expect(await storage.headSeq()).toBeUndefined();
    });

    it('listChanges by email follows a person from the entry adding them to the one removing them', async () => {
      let [a] = (await commitNew(created('SEN-A'), created('SEN-B'))) as [License, License];
      a = await commitChange(a, add(a, 'other@acme.test')); // 2: before carol
      a = await commitChange(a, add(a, 'carol@acme.test', 'Carol')); // 3: carol joins
      a = await commitChange(a, change(a, { type: 'setMain', role: 'technical', email: 'other@acme.test' })); // 4
      a = await commitChange(a, change(a, { type: 'removeContact', email: 'carol@acme.test' })); // 5: carol leaves
      a = await commitChange(a, add(a, 'late@acme.test')); // 6: after carol
      a = await commitChange(a, add(a, 'carol@acme.test', 'Carol')); // 7: carol is back
      const ids = async (email: string) => (await wholeFeed({ email, limit: 2 })).map((e) => e.id);
      expect(await ids('carol@acme.test')).toEqual(['SEN-A:3', 'SEN-A:4', 'SEN-A:5', 'SEN-A:7']);
      expect(await ids('bill@acme.test')).toEqual([
        'SEN-A:1',
        'SEN-B:1',
        ...[2, 3, 4, 5, 6, 7].map((v) => `SEN-A:${v}`),
      ]);
      expect(await ids('tech@sen-b.test')).toEqual(['SEN-B:1']);
      expect(await ids('nobody@acme.test')).toEqual([]);
      const fromMiddle = await storage.listChanges({
        email: 'carol@acme.test',
        limit: 10,
        after: (await wholeFeed()).find((e) => e.id === 'SEN-A:4')?.seq as string,
      });
      expect(fromMiddle.items.map((e) => e.id)).toEqual(['SEN-A:5', 'SEN-A:7']);
    });

    it('a refused commit leaves nothing in the feed', async () => {
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      await commitChange(v1, add(v1, 'x@acme.test'));
      const stale = add(v1, 'y@acme.test');
      await expectCode(
        storage.commit({ writes: [{ license: stale.license, expectedVersion: 1 }], audit: [stale.entry] }),
        'CONFLICT',
      );
      const ids = (await wholeFeed()).map((e) => e.id);
      expect(ids).toEqual(['SEN-1:1', 'SEN-1:2']);
      const next = add((await storage.getLicense('SEN-1')) as License, 'z@acme.test');
      const [entry] = await storage.commit({
        writes: [{ license: next.license, expectedVersion: 2 }],
        audit: [next.entry],
      });
      expect((await wholeFeed()).map((e) => e.seq).at(-1)).toBe(entry?.seq);
    });

    it(`never skips, never repeats: a reader paging with after while ${options.writers ?? 20} writers commit gets every entry exactly once`, async () => {
      const writers = options.writers ?? 20;
      const perWriter = 5;
      const licenses = (await commitNew(
        ...Array.from({ length: writers }, (_, w) => created(`SEN-W${w}`)),
        created('SEN-HOT'),
      )) as License[];
      const committed: string[] = licenses.map((l) => `${l.id}:1`);
      let writing = true;
      const seen: AuditEntry[] = [];
      let after: string | undefined;
      const readOnce = async () => {
        const page = await storage.listChanges({ limit: 7, ...(after === undefined ? {} : { after }) });
        seen.push(...page.items);
        if (page.items.length > 0) after = (page.items.at(-1) as AuditEntry).seq;
        return page.items.length;
      };
      const reader = (async () => {
        while (writing) {
          await readOnce();
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        // Drain what is left; a feed that never ends fails instead of spinning.
        for (let reads = 0; (await readOnce()) > 0; reads++) {
          if (reads > 10_000) throw new Error('listChanges never stopped answering entries after `after`');
        }
      })();
      const write = async (w: number) => {
        let own = licenses[w] as License;
        for (let i = 0; i < perWriter; i++) {
          // Alternately the writer's own license and one license that every writer fights over.
          for (;;) {
            const target = i % 2 === 0 ? own : ((await storage.getLicense('SEN-HOT')) as License);
            const next = add(target, `w${w}-${i}@acme.test`);
            try {
              await storage.commit({
                writes: [{ license: next.license, expectedVersion: target.version }],
                audit: [next.entry],
              });
            } catch (error) {
              if (error instanceof LicenseContactsError && error.code === 'CONFLICT') continue;
              throw error;
            }
            committed.push(next.entry.id);
            if (i % 2 === 0) own = next.license;
            break;
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: writers }, (_, w) => write(w)));
      } finally {
        writing = false;
        await reader;
      }
      const seqs = seen.map((e) => e.seq);
      expect(new Set(seqs).size).toBe(seqs.length); // never twice
      expect([...seqs].sort()).toEqual(seqs); // in seq order
      expect(seen.map((e) => e.id).sort()).toEqual([...committed].sort()); // none missing
      expect(seen).toHaveLength(writers * (perWriter + 1) + 1);
    }, 120_000);

    /** Commits a request with its license's new version and entry (as the service does). */
    async function commitRequest(
      license: License,
      request: StoredRequest,
      expectedVersion: number | null,
      at = '2026-02-02T10:00:00.000Z',
    ): Promise<License> {
      const applied = applyAgreed(
        license,
        null,
        staff,
        at,
        expectedVersion === null ? 'invite' : 'cancelRequest',
        {
          email: request.email,
          requests: [summarize(request)],
        },
      );
      await storage.commit({
        writes: [{ license: applied.license, expectedVersion: license.version }],
        audit: [applied.entry],
        requests: [{ request, expectedVersion }],
      });
      return applied.license;
    }

    it('commit writes a request with its license and entry; getRequest returns it whole', async () => {
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const request = invitation('req_1', 'SEN-1', 'gina@partner.test', 'bill@acme.test');
      await commitRequest(v1, request, null);
      expect(plain(await storage.getRequest('req_1'))).toEqual(plain(request));
      expect(await storage.getRequest('req_404')).toBeNull();
      const transfer: StoredRequest = {
        ...invitation('req_2', 'SEN-1', 'bill@acme.test', 'bill@acme.test'),
        kind: 'transfer',
        roles: ['technical'],
        decidedBy: ['tech@sen-1.test'],
        currentMain: 'tech@sen-1.test',
      };
      const v2 = (await storage.getLicense('SEN-1')) as License;
      await commitRequest(v2, transfer, null);
      const closed = {
        ...transfer,
        state: 'accepted' as const,
        closedBy: 'x@acme.test',
        closedAt: '2026-02-03T00:00:00.000Z',
        version: 2,
      };
      await commitRequest((await storage.getLicense('SEN-1')) as License, closed, 1);
      expect(plain(await storage.getRequest('req_2'))).toEqual(plain(closed));
      const [entry] = (await storage.listAudit('SEN-1', { limit: 1 })).items;
      expect(plain(entry?.requests)).toEqual(plain([summarize(closed)]));
      expect(plain((await wholeFeed()).at(-1))).toEqual(plain(entry));
    });

    it('commit rejects a request at a stale version, or a new one whose id exists, with CONFLICT and writes nothing', async () => {
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const request = invitation('req_1', 'SEN-1', 'gina@partner.test', 'bill@acme.test');
      const v2 = await commitRequest(v1, request, null);
      await expectCode(commitRequest(v2, request, null), 'CONFLICT');
      await expectCode(commitRequest(v2, { ...request, state: 'cancelled', version: 3 }, 2), 'CONFLICT');
      // the license write of the refused commit did not happen either
      expect((await storage.getLicense('SEN-1'))?.version).toBe(2);
      expect((await storage.listAudit('SEN-1', { limit: 10 })).items.map((e) => e.version)).toEqual([2, 1]);
      expect(plain(await storage.getRequest('req_1'))).toEqual(plain(request));
      // and a stale license version refuses its request write
      await expectCode(commitRequest(v1, { ...request, state: 'cancelled', version: 2 }, 1), 'CONFLICT');
      expect((await storage.getRequest('req_1'))?.state).toBe('pending');
    });

    it('listRequests filters by license, person, party, subject, kind and state at a time, and pages by id', async () => {
      let [a, b] = (await commitNew(created('SEN-A'), created('SEN-B'))) as [License, License];
      const requests = [
        invitation('req_1', 'SEN-A', 'gina@partner.test', 'bill@acme.test'),
        invitation('req_2', 'SEN-B', 'gina@partner.test', 'tech@sen-b.test', {
          expiresAt: '2026-02-03T00:00:00.000Z',
        }),
        invitation('req_3', 'SEN-A', 'hugo@partner.test', 'tech@sen-a.test', { state: 'declined' }),
        {
          ...invitation('req_4', 'SEN-B', 'tech@sen-b.test', 'tech@sen-b.test'),
          kind: 'transfer' as const,
          roles: ['billing' as const],
          decidedBy: ['bill@acme.test'],
        },
      ];
      for (const request of requests) {
        if (request.licenseId === 'SEN-A') a = await commitRequest(a, request, null);
        else b = await commitRequest(b, request, null);
      }
      const now = '2026-02-05T00:00:00.000Z';
      const ids = async (query: Partial<Parameters<LicenseStorage['listRequests']>[0]>) => {
        const found: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await storage.listRequests({
            now,
            limit: 2,
            ...query,
            ...(after === undefined ? {} : { after }),
          });
          found.push(...page.items.map((r) => r.id));
          if (page.nextCursor === undefined) return found;
          after = page.nextCursor;
        }
      };
      expect(await ids({})).toEqual(['req_1', 'req_2', 'req_3', 'req_4']);
      expect(await ids({ licenseId: 'SEN-A' })).toEqual(['req_1', 'req_3']);
      expect(await ids({ subject: 'gina@partner.test' })).toEqual(['req_1', 'req_2']);
      expect(await ids({ kind: 'transfer' })).toEqual(['req_4']);
      expect(await ids({ state: 'pending' })).toEqual(['req_1', 'req_4']);
      expect(await ids({ state: 'expired' })).toEqual(['req_2']);
      expect(await ids({ state: 'declined' })).toEqual(['req_3']);
      expect(await ids({ state: 'pending', now: '2026-02-02T12:00:00.000Z' })).toEqual([
        'req_1',
        'req_2',
        'req_4',
      ]);
      // a party: made it, is its subject, or decides it
      expect(await ids({ party: 'bill@acme.test' })).toEqual(['req_1', 'req_4']);
      expect(await ids({ party: 'tech@sen-a.test' })).toEqual(['req_3']);
      // a person: a party, or a contact of its license now (tech@sen-a.test is one of SEN-A only)
      expect(await ids({ email: 'tech@sen-a.test' })).toEqual(['req_1', 'req_3']);
      expect(await ids({ email: 'gina@partner.test', licenseId: 'SEN-B' })).toEqual(['req_2']);
      expect(await ids({ email: 'nobody@nowhere.test' })).toEqual([]);
      expect(await ids({ after: 'req_2' })).toEqual(['req_3', 'req_4']);
    });

    it('commit creates and updates address records with a compare-and-set; getAddresses answers those that exist', async () => {
      const first = {
        email: 'bob@acme.test',
        bounces: 1,
        permanent: false,
        reason: '452 4.2.2 mailbox full',
        bouncedAt: '2026-02-02T10:00:00.000Z',
        version: 1,
      };
      expect(
        await storage.commit({
          writes: [],
          audit: [],
          addresses: [{ address: first, expectedVersion: null }],
        }),
      ).toEqual([]);
      await expectCode(
        storage.commit({ writes: [], audit: [], addresses: [{ address: first, expectedVersion: null }] }),
        'CONFLICT',
      );
      const second = {
        email: 'bob@acme.test',
        bounces: 0,
        permanent: false,
        confirmedAt: '2026-02-03T10:00:00.000Z',
        version: 2,
      };
      await storage.commit({ writes: [], audit: [], addresses: [{ address: second, expectedVersion: 1 }] });
      await expectCode(
        storage.commit({
          writes: [],
          audit: [],
          addresses: [{ address: { ...second, version: 3 }, expectedVersion: 1 }],
        }),
        'CONFLICT',
      );
      expect(
        plain(await storage.getAddresses(['bob@acme.test', 'nobody@acme.test', 'bob@acme.test'])),
      ).toEqual([plain(second)]);
      expect(await storage.getAddresses([])).toEqual([]);
      expect((await wholeFeed()).length).toBe(0);
    });

    it.runIf(options.reopen !== undefined)('requests and addresses survive a restart', async () => {
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const request = invitation('req_1', 'SEN-1', 'gina@partner.test', 'bill@acme.test');
      await commitRequest(v1, request, null);
      const address = { email: 'bob@acme.test', bounces: 0, permanent: true, version: 1 };
      await storage.commit({ writes: [], audit: [], addresses: [{ address, expectedVersion: null }] });
      storage = await (options.reopen as NonNullable<typeof options.reopen>)(storage);
      expect(plain(await storage.getRequest('req_1'))).toEqual(plain(request));
      expect(plain(await storage.getAddresses(['bob@acme.test']))).toEqual([plain(address)]);
    });

    it.runIf(options.reopen !== undefined)('after cursors and seqs stay valid across a restart', async () => {
      let [a] = (await commitNew(created('SEN-A'))) as [License];
      for (let i = 0; i < 3; i++) a = await commitChange(a, add(a, `a${i}@acme.test`));
      const before = await wholeFeed();
      const middle = before[1]?.seq as string;
      storage = await (options.reopen as NonNullable<typeof options.reopen>)(storage);
      expect(await wholeFeed()).toEqual(before);
      const latest = (await storage.getLicense('SEN-A')) as License;
      const [entry] = await storage.commit({
        writes: [{ license: add(latest, 'after@acme.test').license, expectedVersion: latest.version }],
        audit: [add(latest, 'after@acme.test').entry],
      });
      const resumed = await wholeFeed({ after: middle });
      expect(resumed.map((e) => e.id)).toEqual([...before.slice(2).map((e) => e.id), 'SEN-A:5']);
      expect(resumed.at(-1)?.seq).toBe(entry?.seq);
      expect((entry?.seq as string) > (before.at(-1)?.seq as string)).toBe(true);
    });

    /** Waits until `predicate` holds (a watch tells asynchronously), failing after a while. */
    async function eventually(predicate: () => boolean, what: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    it('watch tells every entry committed after it started, by this instance or another, once each, in seq order', async (ctx) => {
      if (!storage.watch) return ctx.skip();
      const [a] = (await commitNew(created('SEN-A'))) as [License];
      const other = options.another ? await options.another(storage) : storage;
      const told: AuditEntry[] = [];
      const watch = await storage.watch((entry) => told.push(entry));
      try {
        expect(watch.position).toBe((await wholeFeed()).at(-1)?.seq);
        let license = a;
        const committed: AuditEntry[] = [];
        for (let i = 0; i < 6; i++) {
          const target = i % 2 === 0 ? storage : other;
          const next = add(license, `p${i}@acme.test`);
          committed.push(
            ...(await target.commit({
              writes: [{ license: next.license, expectedVersion: license.version }],
              audit: [next.entry],
            })),
          );
          license = next.license;
        }
        const [b] = await other.commit({
          writes: [{ license: created('SEN-B').license, expectedVersion: null }],
          audit: [created('SEN-B').entry],
        });
        committed.push(b as AuditEntry);
        await eventually(() => told.length >= committed.length, 'the watch to tell every commit');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(plain(told)).toEqual(plain(committed));
      } finally {
        watch.close();
        if (other !== storage) await options.destroy?.(other);
      }
    });

    it('watch from after catches up from there first, then goes on, and a closed watch tells nothing more', async (ctx) => {
      if (!storage.watch) return ctx.skip();
      let [a] = (await commitNew(created('SEN-A'))) as [License];
      for (let i = 0; i < 3; i++) a = await commitChange(a, add(a, `a${i}@acme.test`));
      const feed = await wholeFeed();
      const told: string[] = [];
      const watch = await storage.watch((entry) => told.push(entry.id), { after: feed[1]?.seq as string });
      expect(watch.position).toBe(feed[1]?.seq);
      await eventually(() => told.length >= 2, 'the catch-up');
      a = await commitChange(a, add(a, 'late@acme.test'));
      await eventually(() => told.length >= 3, 'the next commit');
      expect(told).toEqual(['SEN-A:3', 'SEN-A:4', 'SEN-A:5']);
      watch.close();
      await commitChange(a, add(a, 'after-close@acme.test'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(told).toEqual(['SEN-A:3', 'SEN-A:4', 'SEN-A:5']);
    });

    it('feed cursors: one holder at a time, and only the holder moves the cursor', async (ctx) => {
      const cursors = storage.feedCursors;
      if (!cursors) return ctx.skip();
      expect(await cursors.read('mailer')).toBeNull();
      const first = await cursors.lease('mailer', 'worker-1', 60_000);
      expect(first).toMatchObject({ cursor: undefined, holder: 'worker-1' });
      expect(Date.parse(first?.expiresAt as string)).toBeGreaterThan(Date.now() - 5_000);
      expect(await cursors.lease('mailer', 'worker-2', 60_000)).toBeNull();
      expect(await cursors.advance('mailer', 'worker-2', '0000000000000007')).toBe(false);
      expect(await cursors.advance('mailer', 'worker-1', '0000000000000007')).toBe(true);
      // Renewing keeps the cursor; another name is another cursor.
      expect(await cursors.lease('mailer', 'worker-1', 60_000)).toMatchObject({
        cursor: '0000000000000007',
        holder: 'worker-1',
      });
      expect(await cursors.lease('webhooks', 'worker-2', 60_000)).toMatchObject({
        cursor: undefined,
        holder: 'worker-2',
      });
      expect(await cursors.read('mailer')).toMatchObject({ cursor: '0000000000000007', holder: 'worker-1' });
      await cursors.release('mailer', 'worker-2'); // not theirs: nothing happens
      expect(await cursors.lease('mailer', 'worker-2', 60_000)).toBeNull();
      await cursors.release('mailer', 'worker-1');
      expect(await cursors.read('mailer')).toEqual({ cursor: '0000000000000007' });
      expect(await cursors.lease('mailer', 'worker-2', 60_000)).toMatchObject({
        cursor: '0000000000000007',
        holder: 'worker-2',
      });
    });

    it('feed cursors: an expired lease goes to the next who asks, and its old holder can no longer move the cursor', async (ctx) => {
      const cursors = storage.feedCursors;
      if (!cursors) return ctx.skip();
      expect(await cursors.lease('mailer', 'worker-1', 150)).not.toBeNull();
      expect(await cursors.lease('mailer', 'worker-2', 150)).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await cursors.read('mailer')).toEqual({ cursor: undefined });
      expect(await cursors.lease('mailer', 'worker-2', 60_000)).toMatchObject({ holder: 'worker-2' });
      expect(await cursors.advance('mailer', 'worker-1', '0000000000000003')).toBe(false);
      expect((await cursors.read('mailer'))?.cursor).toBeUndefined();
    });

    /** The `locked` ability of a storage that declares it. */
    const lockedOf = (s: LicenseStorage) => (s.locked as NonNullable<LicenseStorage['locked']>).bind(s);

    /** A write of `next` over `before`, as the work of `locked` answers it. */
    function over(before: License, next: Applied) {
      return { writes: [{ license: next.license, expectedVersion: before.version }], audit: [next.entry] };
    }

    it('locked reads the licenses as they are and commits what its work answers, entries with their seqs', async (ctx) => {
      if (!storage.locked) return ctx.skip();
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const { value, entries } = await storage.locked(['SEN-1', 'SEN-X'], (read) => {
        expect(read.get('SEN-X')).toBeNull();
        const license = read.get('SEN-1') as License;
        expect(plain(license)).toEqual(plain(v1));
        return { value: 'done', commit: over(license, add(license, 'carol@acme.test')) };
      });
      expect(value).toBe('done');
      expect(entries.map((e) => e.id)).toEqual(['SEN-1:2']);
      expect((await wholeFeed()).map((e) => e.seq)).toEqual([expect.any(String), entries[0]?.seq]);
      expect((await storage.getLicense('SEN-1'))?.version).toBe(2);
      const read = await storage.locked(['SEN-1'], (licenses) => ({ value: licenses.get('SEN-1')?.version }));
      expect(read).toEqual({ value: 2, entries: [] });
    });

    it('multiVersionWrites: several commands on one license in one commit (locked and commit), one write and an entry per version', async (ctx) => {
      if (!storage.multiVersionWrites) return ctx.skip();
      const firsts = (await commitNew(created('SEN-1'), created('SEN-2'))) as [License, License];
      for (const [v1, through] of [
        [firsts[0], storage.locked ? 'locked' : 'commit'],
        [firsts[1], 'commit'],
      ] as const) {
        const id = v1.id;
        // carol joins and leaves within the commit; dave joins and stays.
        const steps: Applied[] = [];
        let license = v1;
        for (const next of [
          (l: License) => add(l, 'carol@acme.test', 'Carol'),
          (l: License) => add(l, 'dave@acme.test', 'Dave'),
          (l: License) => change(l, { type: 'removeContact', email: 'carol@acme.test' }),
        ]) {
          const step = next(license);
          steps.push(step);
          license = step.license;
        }
        const batch = { writes: [{ license, expectedVersion: 1 }], audit: steps.map((s) => s.entry) };
        const entries =
          through === 'locked'
            ? (await lockedOf(storage)([id], () => ({ value: null, commit: batch }))).entries
            : await storage.commit(batch);
        expect(entries.map((e) => [e.id, e.version])).toEqual([
          [`${id}:2`, 2],
          [`${id}:3`, 3],
          [`${id}:4`, 4],
        ]);
        expect(plain(await storage.getLicense(id))).toEqual(plain(license));
        const later = await commitChange(license, add(license, `late@${id.toLowerCase()}.test`));
        expect(later.version).toBe(5);
      }
      const seen = async (email: string) =>
        (await storage.listChanges({ limit: 20, email })).items.map((e) => e.id);
      // carol's stretches closed with the entries removing her; dave's stay open.
      expect(await seen('carol@acme.test')).toEqual([
        'SEN-1:2',
        'SEN-1:3',
        'SEN-1:4',
        'SEN-2:2',
        'SEN-2:3',
        'SEN-2:4',
      ]);
      expect(await seen('dave@acme.test')).toEqual([
        'SEN-1:3',
        'SEN-1:4',
        'SEN-1:5',
        'SEN-2:3',
        'SEN-2:4',
        'SEN-2:5',
      ]);
    });

    it('locked with ifContact reads a license that person is not a contact of as null', async (ctx) => {
      if (!storage.locked) return ctx.skip();
      await commitNew(created('SEN-1'), created('SEN-2'));
      const { value } = await storage.locked(
        ['SEN-1', 'SEN-2'],
        (read) => ({ value: [...read.entries()].map(([id, l]) => [id, l?.id ?? null]) }),
        { ifContact: 'tech@sen-2.test' },
      );
      expect(value).toEqual([
        ['SEN-1', null],
        ['SEN-2', 'SEN-2'],
      ]);
    });

    it('locked work that throws changes nothing and lets the licenses go', async (ctx) => {
      if (!storage.locked) return ctx.skip();
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const boom = new Error('refused by the rules');
      await expect(
        storage.locked(['SEN-1'], () => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(plain(await storage.getLicense('SEN-1'))).toEqual(plain(v1));
      expect((await wholeFeed()).map((e) => e.id)).toEqual(['SEN-1:1']);
      // Let go: a plain commit and another holder get the license at once.
      await commitChange(v1, add(v1, 'next@acme.test'));
      const { value } = await storage.locked(['SEN-1'], (read) => ({ value: read.get('SEN-1')?.version }));
      expect(value).toBe(2);
    });

    it('locked: a compare-and-set that fails inside is CONFLICT and changes nothing', async (ctx) => {
      if (!storage.locked) return ctx.skip();
      const [v1] = (await commitNew(created('SEN-1'))) as [License];
      const feed = await wholeFeed();
      const stale = { ...v1, version: 7 };
      await expectCode(
        storage.locked(['SEN-1'], () => ({ value: 0, commit: over(stale, add(v1, 'x@acme.test')) })),
        'CONFLICT',
      );
      expect(plain(await storage.getLicense('SEN-1'))).toEqual(plain(v1));
      expect(await wholeFeed()).toEqual(feed);
    });

    it('locked: 20 concurrent read-change-writes of one license, through two instances, lose no update', async (ctx) => {
      if (!storage.locked) return ctx.skip();
      await commitNew(created('SEN-1'));
      const other = options.another ? await options.another(storage) : storage;
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            lockedOf(i % 2 === 0 ? storage : other)(['SEN-1'], (read) => {
              const license = read.get('SEN-1') as License;
              return { value: i, commit: over(license, add(license, `p${i}@acme.test`)) };
            }),
          ),
        );
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        const stored = (await storage.getLicense('SEN-1')) as License;
        expect(stored.version).toBe(21);
        expect(
          stored.contacts
            .map((c) => c.email)
            .filter((e) => e.startsWith('p'))
            .sort(),
        ).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}@acme.test`).sort());
        const seqs = (await wholeFeed()).map((e) => e.seq);
        expect(seqs).toEqual([...seqs].sort());
        expect(new Set(seqs).size).toBe(21);
      } finally {
        if (other !== storage) await options.destroy?.(other);
      }
    });

    it('locked: commands over two licenses named in opposite orders cannot deadlock', async (ctx) => {
      if (!storage.locked) return ctx.skip();
      await commitNew(created('SEN-A'), created('SEN-B'));
      const other = options.another ? await options.another(storage) : storage;
      try {
        const runs = Array.from({ length: 12 }, (_, i) =>
          lockedOf(i % 2 === 0 ? storage : other)(
            i % 3 === 0 ? ['SEN-B', 'SEN-A'] : ['SEN-A', 'SEN-B'],
            (read) => {
              const a = read.get('SEN-A') as License;
              const b = read.get('SEN-B') as License;
              const nextA = add(a, `a${i}@acme.test`);
              const nextB = add(b, `b${i}@acme.test`);
              return {
                value: i,
                commit: {
                  writes: [
                    { license: nextB.license, expectedVersion: b.version },
                    { license: nextA.license, expectedVersion: a.version },
                  ],
                  audit: [nextB.entry, nextA.entry],
                },
              };
            },
          ),
        );
        const results = await Promise.allSettled(runs);
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        expect((await storage.getLicense('SEN-A'))?.version).toBe(13);
        expect((await storage.getLicense('SEN-B'))?.version).toBe(13);
      } finally {
        if (other !== storage) await options.destroy?.(other);
      }
    });

    it('idempotency keys: one claim per actor and key, its answer kept for others, no actor evicting another', async (ctx) => {
      const keys = storage.idempotencyKeys;
      if (!keys) return ctx.skip();
      const limits = { runningMs: 60_000, maxPerActor: 3 };
      const answer = {
        status: 200,
        headers: [['Content-Type', 'application/json']] as [string, string][],
        body: '{"ok":1}',
        licenses: ['SEN-1'],
      };
      expect(await keys.claim('alice', 'k1', 'f1', limits)).toEqual({ state: 'claimed' });
      expect(await keys.claim('alice', 'k1', 'f1', limits)).toEqual({ state: 'running', fingerprint: 'f1' });
      expect(await keys.claim('bob', 'k1', 'f1', limits)).toEqual({ state: 'claimed' }); // keys are per actor
      await keys.keep('alice', 'k1', 'f1', answer, 60_000);
      expect(await keys.claim('alice', 'k1', 'f1', limits)).toEqual({
        state: 'done',
        fingerprint: 'f1',
        response: answer,
      });
      expect(await keys.claim('alice', 'k1', 'other', limits)).toMatchObject({
        state: 'done',
        fingerprint: 'f1',
      });
      // Lengths of time beyond 32-bit milliseconds (here 60 days) are kept too.
      await keys.claim('carol', 'long', 'f1', limits);
      await keys.keep('carol', 'long', 'f1', answer, 60 * 24 * 3_600_000);
      expect(await keys.claim('carol', 'long', 'f1', limits)).toMatchObject({
        state: 'done',
        response: answer,
      });
      await keys.claim('carol', 'claimed-long', 'f1', { runningMs: 40 * 24 * 3_600_000, maxPerActor: 3 });
      expect(await keys.claim('carol', 'claimed-long', 'f1', limits)).toMatchObject({ state: 'running' });
      // Released without an answer: the next claim runs again.
      await keys.release('bob', 'k1', 'f1');
      expect(await keys.claim('bob', 'k1', 'f1', limits)).toEqual({ state: 'claimed' });
      // Bob fills his quota many times over: Alice's key stays.
      for (let i = 0; i < 10; i++)
        expect(await keys.claim('bob', `flood-${i}`, 'f', limits)).toEqual({ state: 'claimed' });
      expect(await keys.claim('alice', 'k1', 'f1', limits)).toMatchObject({ state: 'done' });
      expect(await keys.claim('bob', 'flood-9', 'f', limits)).toMatchObject({ state: 'running' });
      expect(await keys.claim('bob', 'flood-0', 'f', limits)).toEqual({ state: 'claimed' }); // his oldest went
    });

    it('idempotency keys: a kept answer expires, and so does a claim whose request never finished', async (ctx) => {
      const keys = storage.idempotencyKeys;
      if (!keys) return ctx.skip();
      const answer = { status: 200, headers: [] as [string, string][], body: '{}' };
      expect(await keys.claim('alice', 'k', 'f', { runningMs: 100, maxPerActor: 10 })).toEqual({
        state: 'claimed',
      });
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await keys.claim('alice', 'k', 'f', { runningMs: 60_000, maxPerActor: 10 })).toEqual({
        state: 'claimed',
      });
      await keys.keep('alice', 'k', 'f', answer, 100);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await keys.claim('alice', 'k', 'f', { runningMs: 60_000, maxPerActor: 10 })).toEqual({
        state: 'claimed',
      });
    });
  });
}
