/**
 * `ContactList` against a bare React `<ul>` of the same rows, mounted and updated (the last contact
 * promoted) at 10, 100 and 1,000 contacts in headless Chromium, with React's production build.
 * Both sides run in the same page, alternating, and the medians' ratio is printed (goal ≤ 1.5 at 1,000).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = [10, 100, 1000];

interface Row {
  size: number;
  kitMount: number;
  bareMount: number;
  kitUpdate: number;
  bareUpdate: number;
}

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
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  try {
    const page = await browser.newPage();
    await page.setContent(
      '<!doctype html><html lang="en"><head><title>bench</title></head><body></body></html>',
    );
    await page.addScriptTag({ content: script });
    const reps = Number(process.env.BENCH_REPS ?? 15);
    const rows = (await page.evaluate(
      ([sizes, n]) =>
        (globalThis as unknown as { runBench: (s: number[], r: number, w: number) => Row[] }).runBench(
          sizes,
          n,
          3,
        ),
      [SIZES, reps] as const,
    )) as Row[];
    console.log(`ContactList vs bare React <ul>, headless Chromium, medians of ${reps} runs (ms)`);
    console.log('| contacts | mount kit | mount bare | ratio | update kit | update bare | ratio |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.size} | ${r.kitMount.toFixed(2)} | ${r.bareMount.toFixed(2)} | ${(r.kitMount / r.bareMount).toFixed(2)}× | ` +
          `${r.kitUpdate.toFixed(2)} | ${r.bareUpdate.toFixed(2)} | ${(r.kitUpdate / r.bareUpdate).toFixed(2)}× |`,
      );
    }
    const largest = rows[rows.length - 1];
    if (largest) {
      const worst = Math.max(largest.kitMount / largest.bareMount, largest.kitUpdate / largest.bareUpdate);
      console.log(
        `goal: ratio ≤ 1.5 at 1,000 contacts: ${worst <= 1.5 ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}×)`,
      );
    }
  } finally {
    await browser.close();
  }
}

// Run directly: node --conditions=@license-contacts/source --import tsx bench/react.bench.ts
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
