/**
 * `ContactList` against a bare React `<ul>` of the same rows, mounted and updated (the last contact
 * promoted) at 10, 100 and 1,000 contacts in headless Chromium, with React's production build. Both
 * sides run in the same page, alternating run by run, in several rounds; each round's ratio of medians
 * is one sample, and the table gives their min / median / max (goal ≤ 1.2 at 1,000 for both).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium';
import type { RoundResult } from './react-page';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const GOAL = 1.2;

/** Min, median and max of some numbers. */
function spread(values: number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { min: sorted[0] as number, median, max: sorted[sorted.length - 1] as number };
}

const show = (s: { min: number; median: number; max: number }, digits = 2) =>
  `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;

/** Bundles the benchmark page with esbuild: React's production build, packages from source. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(here, 'react-page.tsx')],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    conditions: ['@license-contacts/source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  return result.outputFiles[0]?.text ?? '';
}

export default async function run(): Promise<void> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: apt-get install -y --no-install-recommends chromium fonts-liberation, or set CHROMIUM_PATH`,
    );
  }
  const script = await bundle();
  const browser = await chromium.launch({
    executablePath,
    args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc'],
  });
  try {
    const page = await browser.newPage();
    await page.setContent(
      '<!doctype html><html lang="en"><head><title>bench</title></head><body></body></html>',
    );
    await page.addScriptTag({ content: script });
    const reps = Number(process.env.BENCH_REPS ?? 11);
    const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 5));
    const results = (await page.evaluate(
      ([sizes, n, r]) =>
        (
          globalThis as unknown as {
            runBench: (s: number[], reps: number, warmup: number, rounds: number) => RoundResult[];
          }
        ).runBench(sizes, n, 3, r),
      [SIZES, reps, rounds] as const,
    )) as RoundResult[];
    console.log(
      `ContactList vs bare React <ul>, headless Chromium: ${rounds} interleaved rounds of ${reps} runs per side;`,
    );
    console.log('ratio = kit median / bare median of a round; min / median / max over the rounds');
    console.log(
      '| contacts | mount kit ms | mount bare ms | mount ratio | update kit ms | update bare ms | update ratio |',
    );
    console.log('|---|---|---|---|---|---|---|');
    let worst = 0;
    for (const size of SIZES) {
      const of = results.filter((r) => r.size === size);
      const mount = spread(of.map((r) => r.kitMount / r.bareMount));
      const update = spread(of.map((r) => r.kitUpdate / r.bareUpdate));
      if (size === SIZES[SIZES.length - 1]) worst = Math.max(mount.median, update.median);
      console.log(
        `| ${size} | ${show(spread(of.map((r) => r.kitMount)), 1)} | ${show(spread(of.map((r) => r.bareMount)), 1)} | ` +
          `${show(mount)}× | ${show(spread(of.map((r) => r.kitUpdate)), 1)} | ` +
          `${show(spread(of.map((r) => r.bareUpdate)), 1)} | ${show(update)}× |`,
      );
    }
    console.log(
      `goal: median ratio ≤ ${GOAL} at 1,000 contacts, mount and update: ${worst <= GOAL ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}×)`,
    );
  } finally {
    await browser.close();
  }
}

// Run directly: node --conditions=@license-contacts/source --import tsx bench/react.bench.ts
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
