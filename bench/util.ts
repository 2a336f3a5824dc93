import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import type { Fn, FnOptions } from 'tinybench';
import { Bench } from 'tinybench';
import { startThrowawayServer } from '../tests/postgres/server';

/** One measured subject and the baseline it is compared with. */
export interface Pair {
  name: string;
  subject: [Fn, FnOptions?];
  baseline: [Fn, FnOptions?];
  /** Brings the subject's state back before each round (a round may stop between its hooks). */
  reset?: () => Promise<void>;
}

/** Each side's median latency (µs) in every round, and their ratio per round. */
export interface PairResult {
  name: string;
  subject: number[];
  baseline: number[];
  ratios: number[];
}

/** Rounds of every benchmark (at least 3): `BENCH_ROUNDS` in the environment, default 5. */
export const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 5));

/**
 * Median latency of each side of each pair in `rounds` interleaved rounds (the subject and its
 * baseline run back to back, their order turning each round), so that load from elsewhere on the
 * machine hits both alike; the ratio is taken within each round.
 */
export async function comparePairs(
  pairs: Pair[],
  { rounds = ROUNDS, time = 300 }: { rounds?: number; time?: number } = {},
): Promise<PairResult[]> {
  const results = pairs.map(
    (pair) => ({ name: pair.name, subject: [], baseline: [], ratios: [] }) as PairResult,
  );
  for (let round = 0; round < rounds; round++) {
    for (const [i, pair] of pairs.entries()) {
      const bench = new Bench({ time, warmupTime: round === 0 ? 300 : 50 });
      const sides = round % 2 === 0 ? (['subject', 'baseline'] as const) : (['baseline', 'subject'] as const);
      for (const side of sides) bench.add(side, ...pair[side]);
      await pair.reset?.();
      await bench.run();
      const median = (name: string) => {
        const result = bench.getTask(name)?.result;
        if (!result || !('latency' in result)) {
          throw new Error(
            `${pair.name} ${name} did not complete in round ${round}: ${JSON.stringify(result)}`,
          );
        }
        return result.latency.p50 * 1000;
      };
      const row = results[i] as PairResult;
      row.subject.push(median('subject'));
      row.baseline.push(median('baseline'));
      row.ratios.push(median('subject') / median('baseline'));
    }
  }
  return results;
}

/** Prints median latencies and the ratio against the baseline as min / median / max of the rounds. */
export function printRatios(
  rows: PairResult[],
  labels: { subject: string; baseline: string; goal: string },
): void {
  const rounds = rows[0]?.ratios.length ?? 0;
  console.log(`${rounds} interleaved rounds; latencies are the median of the rounds' medians`);
  console.log(`| case | ${labels.subject} µs | ${labels.baseline} µs | ratio min / median / max |`);
  console.log('|---|---|---|---|');
  for (const row of rows) {
    const subject = spread(row.subject).median.toFixed(1);
    const baseline = spread(row.baseline).median.toFixed(1);
    console.log(`| ${row.name} | ${subject} | ${baseline} | ${formatSpread(row.ratios)} |`);
  }
  console.log(`goal: ${labels.goal}`);
}

/** The smallest, middle and largest of some measurements (rounds of a benchmark). */
export function spread(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { min: sorted[0] as number, median, max: sorted.at(-1) as number };
}

/** `min / median / max` of some ratios, as printed by the benchmarks. */
export function formatSpread(values: readonly number[], digits = 2): string {
  const { min, median, max } = spread(values);
  return `${min.toFixed(digits)} / ${median.toFixed(digits)} / ${max.toFixed(digits)}`;
}

/** The PostgreSQL server a benchmark runs on: its URL, whether it is a throwaway one, and how to let it go. */
export interface BenchDatabase {
  url: string;
  throwaway: boolean;
  /** Stops and deletes the throwaway server (nothing for DATABASE_URL). */
  release(): Promise<void>;
}

/**
 * DATABASE_URL, or a throwaway PostgreSQL 15 started for the benchmark; `undefined` (saying why,
 * under `label`) when neither is possible.
 */
export async function benchDatabase(label: string): Promise<BenchDatabase | undefined> {
  const url = process.env.DATABASE_URL;
  if (url) return { url, throwaway: false, release: async () => {} };
  try {
    const server = await startThrowawayServer();
    return { url: server.url, throwaway: true, release: () => server.destroy() };
  } catch (error) {
    console.log(
      `${label}: skipped, DATABASE_URL is unset and no throwaway server could start (${(error as Error).message.split('\n')[0]})`,
    );
    return undefined;
  }
}

/** Runs `fn` on one connection of `pool` between BEGIN and COMMIT (ROLLBACK when it throws), as hand-written baselines do. */
export async function inTransaction(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await fn(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** Listens on a free loopback port; answers the server's origin (`http://127.0.0.1:<port>`). */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
