/**
 * `pnpm bench`: runs every `bench/*.bench.ts` (or the ones named on the command line) one after the
 * other. Each file's default export measures its subject and a baseline in the same run and prints
 * their ratio. The packages measured are the built ones (`pnpm bench` builds first), as a portal runs
 * them: their source through a TypeScript loader pays for helpers the build leaves out.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => wanted.length === 0 || wanted.some((name) => file.startsWith(name)))
  .sort();

for (const file of files) {
  console.log(`\n## ${file.replace('.bench.ts', '')}\n`);
  const module = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<void> };
  await module.default();
}
// Done: sockets a benchmark's clients keep alive (HTTP keep-alive, reconnecting watches) would
// otherwise hold the process open after the last figure.
process.exit(0);
