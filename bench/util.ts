import type { Fn, FnOptions } from 'tinybench';
import { Bench } from 'tinybench';

/** One measured subject and the baseline it is compared with. */
export interface Pair {
  name: string;
  subject: [Fn, FnOptions?];
  baseline: [Fn, FnOptions?];
}

/** Median latency in microseconds of each side of each pair, measured in one run, with their ratio. */
export async function comparePairs(
  pairs: Pair[],
  time = 1500,
): Promise<Array<{ name: string; subject: number; baseline: number; ratio: number }>> {
  const bench = new Bench({ time, warmupTime: 300 });
  for (const pair of pairs) {
    bench.add(`${pair.name} (subject)`, ...pair.subject);
    bench.add(`${pair.name} (baseline)`, ...pair.baseline);
  }
  await bench.run();
  const median = (name: string) => {
    const task = bench.getTask(name);
    const result = task?.result;
    if (!result || !('latency' in result)) throw new Error(`${name} did not complete: ${result?.state}`);
    return result.latency.p50 * 1000;
  };
  return pairs.map((pair) => {
    const subject = median(`${pair.name} (subject)`);
    const baseline = median(`${pair.name} (baseline)`);
    return { name: pair.name, subject, baseline, ratio: subject / baseline };
  });
}

/** Prints a table of median latencies and ratios against the baseline, with the goal. */
export function printRatios(
  rows: Array<{ name: string; subject: number; baseline: number; ratio: number }>,
  labels: { subject: string; baseline: string; goal: string },
): void {
  console.log(`| case | ${labels.subject} µs | ${labels.baseline} µs | ratio |`);
  console.log('|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${row.subject.toFixed(1)} | ${row.baseline.toFixed(1)} | ${row.ratio.toFixed(2)}× |`,
    );
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
