// @vitest-environment node
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./heap/idempotencyHeap.ts', import.meta.url));
const MiB = 1024 * 1024;
/** What else a run may leave on the heap after full collections (the service's caches, code). */
const SLACK = 2 * MiB;

interface Measured {
  retained: number;
  responseBytes: number;
}

/** Runs the scenario in a fresh process with `--expose-gc`: the heap it retains, in bytes. */
async function measure(scenario: object): Promise<Measured> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      '--conditions=@license-contacts/source',
      '--import',
      'tsx',
      child,
      JSON.stringify(scenario),
    ],
    { timeout: 120_000, maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Measured;
}

describe('Idempotency-Key cache memory', () => {
  it('retains at most the per-actor byte bound for 1,000 keys answered with a license of 1,000 contacts', async () => {
    const { retained, responseBytes } = await measure({ contacts: 1000, requests: 1000, actors: 1 });
    // Every answer is large: keeping them all would retain 1,000 of them.
    expect(responseBytes).toBeGreaterThan(200_000);
    expect(retained).toBeLessThan(1 * MiB + SLACK);
  }, 120_000);

  it('retains at most maxBytes in all when many actors send such keys', async () => {
    const maxBytes = 8 * MiB;
    const { retained } = await measure({
      contacts: 1000,
      requests: 1000,
      actors: 50,
      idempotency: { maxBytes },
    });
    expect(retained).toBeLessThan(maxBytes + SLACK);
  }, 120_000);
});
