import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../keyedQueue';

/** A promise with its resolve, to hold a task open until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('KeyedQueue', () => {
  it('runs tasks of one key one at a time, in arrival order, and tasks of other keys meanwhile', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const first = gate();
    const a1 = queue.run(['a'], async () => {
      log.push('a1 start');
      await first.opened;
      log.push('a1 end');
    });
    const a2 = queue.run(['a'], async () => void log.push('a2'));
    const a3 = queue.run(['a'], async () => void log.push('a3'));
    const b = queue.run(['b'], async () => void log.push('b'));
    await b;
    await tick();
    expect(log).toEqual(['a1 start', 'b']);
    first.open();
    await Promise.all([a1, a2, a3]);
    expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2', 'a3']);
  });

  it('still runs one task per key at a time after many keys were used and freed, reused or not', async () => {
    const queue = new KeyedQueue();
    for (let i = 0; i < 6000; i++) await queue.run([`k${i}`], async () => {});
    for (const key of ['k0', 'k5999', 'new']) {
      const log: string[] = [];
      const first = gate();
      const one = queue.run([key], async () => {
        log.push('one start');
        await first.opened;
        log.push('one end');
      });
      const two = queue.run([key], async () => void log.push('two'));
      await tick();
      expect(log).toEqual(['one start']);
      first.open();
      await Promise.all([one, two]);
      expect(log).toEqual(['one start', 'one end', 'two']);
    }
  });

  it('frees the key when a task throws, and answers its error', async () => {
    const queue = new KeyedQueue();
    await expect(queue.run(['a'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(queue.run(['a'], async () => 'next')).resolves.toBe('next');
  });

  it('never deadlocks tasks holding several keys asked in opposite orders', async () => {
    const queue = new KeyedQueue();
    const inside: number[] = [];
    let active = 0;
    const task = (n: number) => async () => {
      active++;
      expect(active).toBe(1); // every task holds 'x' and 'y': never two at once
      await tick();
      inside.push(n);
      active--;
    };
    await Promise.all(
      Array.from({ length: 20 }, (_, n) => queue.run(n % 2 === 0 ? ['x', 'y'] : ['y', 'x', 'y'], task(n))),
    );
    expect(inside).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });
});
