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
