import type { StoredResponse } from '@license-contacts/core/http';
import { IdempotencyCache } from '@license-contacts/core/http';
import { describe, expect, it } from 'vitest';

const answer = (body: string, status = 200): StoredResponse => ({ status, headers: [], body });
const keepAll = () => true;

describe('IdempotencyCache', () => {
  it('runs once per key and replays the first response', async () => {
    const cache = new IdempotencyCache();
    let runs = 0;
    const execute = async () => answer(String(++runs));
    expect(await cache.run('k', 'f', execute, keepAll)).toEqual({ kind: 'fresh', response: answer('1') });
    expect(await cache.run('k', 'f', execute, keepAll)).toEqual({ kind: 'replayed', response: answer('1') });
    expect(await cache.run('k', 'other body', execute, keepAll)).toEqual({ kind: 'mismatch' });
    expect(runs).toBe(1);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const cache = new IdempotencyCache({ maxEntries: 2 });
    let runs = 0;
    const execute = async () => answer(String(++runs));
    await cache.run('a', 'f', execute, keepAll);
    await cache.run('b', 'f', execute, keepAll);
    await cache.run('a', 'f', execute, keepAll); // a is now the most recently used
    await cache.run('c', 'f', execute, keepAll); // evicts b
    expect(cache.size).toBe(2);
    expect((await cache.run('a', 'f', execute, keepAll)).kind).toBe('replayed');
    expect((await cache.run('b', 'f', execute, keepAll)).kind).toBe('fresh');
    expect(runs).toBe(4);
  });

  it('forgets an entry after its TTL', async () => {
    let now = 1000;
    const cache = new IdempotencyCache({ ttlMs: 50, now: () => now });
    await cache.run('a', 'f', async () => answer('1'), keepAll);
    now += 49;
    expect((await cache.run('a', 'f', async () => answer('2'), keepAll)).kind).toBe('replayed');
    now += 2;
    expect(await cache.run('a', 'f', async () => answer('3'), keepAll)).toEqual({
      kind: 'fresh',
      response: answer('3'),
    });
  });

  it('keeps neither a response `keep` refuses nor a failure, but shares them with waiting duplicates', async () => {
    const cache = new IdempotencyCache();
    let release: (value: StoredResponse) => void = () => {};
    const slow = new Promise<StoredResponse>((resolve) => {
      release = resolve;
    });
    const keep = (response: StoredResponse) => response.status < 500;
    const first = cache.run('k', 'f', () => slow, keep);
    const second = cache.run('k', 'f', async () => answer('never'), keep);
    release(answer('down', 503));
    expect((await first).kind).toBe('fresh');
    expect(await second).toEqual({ kind: 'replayed', response: answer('down', 503) });
    expect(cache.size).toBe(0);
    await expect(cache.run('x', 'f', () => Promise.reject(new Error('boom')), keep)).rejects.toThrow('boom');
    expect(cache.size).toBe(0);
  });
});
