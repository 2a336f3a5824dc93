import type { StoredResponse } from '@license-contacts/core/http';
import { IdempotencyCache } from '@license-contacts/core/http';
import { describe, expect, it } from 'vitest';

const answer = (body: string, status = 200): StoredResponse => ({ status, headers: [], body });
const keepAll = () => true;

describe('IdempotencyCache', () => {
  it('runs once per actor and key and replays the first response', async () => {
    const cache = new IdempotencyCache();
    let runs = 0;
    const execute = async () => answer(String(++runs));
    expect(await cache.run('alice', 'k', 'f', execute, keepAll)).toEqual({
      kind: 'fresh',
      response: answer('1'),
    });
    expect(await cache.run('alice', 'k', 'f', execute, keepAll)).toEqual({
      kind: 'replayed',
      response: answer('1'),
    });
    expect(await cache.run('alice', 'k', 'other body', execute, keepAll)).toEqual({ kind: 'mismatch' });
    expect(await cache.run('bob', 'k', 'other body', execute, keepAll)).toEqual({
      kind: 'fresh',
      response: answer('2'),
    });
    expect(runs).toBe(2);
  });

  it('tells long requests apart as surely as short ones (those it keeps by digest), at every length', async () => {
    const cache = new IdempotencyCache();
    const execute = async () => answer('done');
    for (const length of [1, 159, 160, 161, 5000]) {
      const request = 'x'.repeat(length);
      const differs = `${'x'.repeat(length - 1)}y`;
      expect((await cache.run('alice', `k${length}`, request, execute, keepAll)).kind).toBe('fresh');
      expect((await cache.run('alice', `k${length}`, request, execute, keepAll)).kind).toBe('replayed');
      expect((await cache.run('alice', `k${length}`, differs, execute, keepAll)).kind).toBe('mismatch');
    }
    // A long request is counted by its digest, not by its text.
    const before = cache.bytes;
    await cache.run('alice', 'long', 'z'.repeat(100_000), execute, keepAll);
    expect(cache.bytes - before).toBeLessThan(1000);
  });

  it("drops an actor's own oldest entries beyond maxEntriesPerActor, never another actor's", async () => {
    const cache = new IdempotencyCache({ maxEntriesPerActor: 2 });
    let runs = 0;
    const execute = async () => answer(String(++runs));
    await cache.run('alice', 'a', 'f', execute, keepAll);
    // Someone else floods the cache with a thousand keys of their own.
    for (let i = 0; i < 1000; i++) await cache.run('mallory', `m${i}`, 'f', execute, keepAll);
    expect(cache.size).toBe(3);
    expect((await cache.run('alice', 'a', 'f', execute, keepAll)).kind).toBe('replayed');
    expect((await cache.run('mallory', 'm999', 'f', execute, keepAll)).kind).toBe('replayed');
    expect((await cache.run('mallory', 'm0', 'f', execute, keepAll)).kind).toBe('fresh');
    await cache.run('alice', 'b', 'f', execute, keepAll);
    await cache.run('alice', 'c', 'f', execute, keepAll); // alice's own oldest, a, goes
    expect((await cache.run('alice', 'a', 'f', execute, keepAll)).kind).toBe('fresh');
  });

  it('bounds what an actor keeps by bytes, and keeps no response larger than that', async () => {
    const cache = new IdempotencyCache({ maxBytesPerActor: 64 * 1024 });
    const big = answer('x'.repeat(10_000)); // about 20 kB in memory
    for (let i = 0; i < 50; i++) await cache.run('alice', `k${i}`, 'f', async () => big, keepAll);
    expect(cache.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(cache.size).toBeGreaterThanOrEqual(2);
    expect((await cache.run('alice', 'k49', 'f', async () => answer('again'), keepAll)).kind).toBe(
      'replayed',
    );
    const huge = answer('x'.repeat(40_000));
    expect((await cache.run('alice', 'huge', 'f', async () => huge, keepAll)).kind).toBe('fresh');
    expect((await cache.run('alice', 'huge', 'f', async () => answer('again'), keepAll)).kind).toBe('fresh');
    // The too large one did not push out what alice had.
    expect((await cache.run('alice', 'k49', 'f', async () => answer('again'), keepAll)).kind).toBe(
      'replayed',
    );
  });

  it("keeps no new response when the whole cache is full, rather than evict another actor's", async () => {
    const cache = new IdempotencyCache({ maxEntries: 3 });
    for (const actor of ['a', 'b', 'c']) await cache.run(actor, 'k', 'f', async () => answer(actor), keepAll);
    expect((await cache.run('d', 'k', 'f', async () => answer('d'), keepAll)).kind).toBe('fresh');
    expect((await cache.run('d', 'k', 'f', async () => answer('d2'), keepAll)).kind).toBe('fresh');
    for (const actor of ['a', 'b', 'c']) {
      expect(await cache.run(actor, 'k', 'f', async () => answer('again'), keepAll)).toEqual({
        kind: 'replayed',
        response: answer(actor),
      });
    }
    const byBytes = new IdempotencyCache({ maxBytes: 8 * 1024, maxBytesPerActor: 8 * 1024 });
    await byBytes.run('a', 'k', 'f', async () => answer('x'.repeat(3000)), keepAll);
    await byBytes.run('b', 'k', 'f', async () => answer('x'.repeat(3000)), keepAll);
    expect((await byBytes.run('a', 'k', 'f', async () => answer('again'), keepAll)).kind).toBe('replayed');
    expect((await byBytes.run('b', 'k', 'f', async () => answer('again'), keepAll)).kind).toBe('fresh');
    expect(byBytes.bytes).toBeLessThanOrEqual(8 * 1024);
  });

  it('forgets an entry after its TTL', async () => {
    let now = 1000;
    const cache = new IdempotencyCache({ ttlMs: 50, now: () => now });
    await cache.run('alice', 'a', 'f', async () => answer('1'), keepAll);
    now += 49;
    expect((await cache.run('alice', 'a', 'f', async () => answer('2'), keepAll)).kind).toBe('replayed');
    now += 2;
    expect(await cache.run('alice', 'a', 'f', async () => answer('3'), keepAll)).toEqual({
      kind: 'fresh',
      response: answer('3'),
    });
    now += 100;
    await cache.run('alice', 'b', 'f', async () => answer('4'), keepAll);
    expect(cache.size).toBe(1); // the expired one is gone, not just ignored
  });

  it('keeps neither a response `keep` refuses nor a failure, but shares them with waiting duplicates', async () => {
    const cache = new IdempotencyCache();
    let release: (value: StoredResponse) => void = () => {};
    const slow = new Promise<StoredResponse>((resolve) => {
      release = resolve;
    });
    const keep = (response: StoredResponse) => response.status < 300;
    const first = cache.run('alice', 'k', 'f', () => slow, keep);
    const second = cache.run('alice', 'k', 'f', async () => answer('never'), keep);
    release(answer('not found', 404));
    expect((await first).kind).toBe('fresh');
    expect(await second).toEqual({ kind: 'replayed', response: answer('not found', 404) });
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    await expect(cache.run('alice', 'x', 'f', () => Promise.reject(new Error('boom')), keep)).rejects.toThrow(
      'boom',
    );
    expect(cache.size).toBe(0);
  });
});
