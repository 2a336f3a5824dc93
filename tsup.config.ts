import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { defineConfig, type Options } from 'tsup';

/** Entry points per package: output name (matching the `exports` map) -> source file. */
const packages: Record<string, Record<string, string>> = {
  core: {
    index: 'src/index.ts',
    http: 'src/http/index.ts',
    browser: 'src/storage/browser.ts',
    notifier: 'src/notifier/index.ts',
    webhooks: 'src/webhooks/index.ts',
    testing: 'src/testing/index.ts',
    fixtures: 'src/testing/fixtures.ts',
  },
  react: { index: 'src/index.ts' },
  postgres: { index: 'src/index.ts' },
};

// Never bundled: sibling packages, peers and runtime dependencies are resolved by the consumer.
const external: (string | RegExp)[] = [
  /^@license-contacts\//,
  /^react($|\/)/,
  /^react-dom($|\/)/,
  /^@radix-ui\//,
  /^valibot($|\/)/,
  /^standardwebhooks($|\/)/,
  /^eventsource-parser($|\/)/,
  /^@valibot\//,
  /^fast-check($|\/)/,
  /^pg($|\/)/,
  /^nodemailer($|\/)/,
  /^@electric-sql\/pglite($|\/)/,
  /^vitest($|\/)/,
  /^@vitest\//,
  /^node:/,
  ...builtinModules,
];

function packageConfig(name: string, entries: Record<string, string>): Options | null {
  const dir = `packages/${name}`;
  // A package is built once its main entry exists; entries that are not written yet are left out.
  if (!existsSync(`${dir}/src/index.ts`)) return null;
  const entry = Object.fromEntries(
    Object.entries(entries)
      .map(([out, src]) => [out, `${dir}/${src}`] as const)
      .filter(([, src]) => existsSync(src)),
  );
  return {
    name,
    entry,
    outDir: `${dir}/dist`,
    format: ['esm', 'cjs'],
    // One copy of each module per format, so classes such as the error class are shared by every entry.
    splitting: true,
    dts: {
      // Sibling packages are typed from their sources, so the packages build in any order.
      compilerOptions: { customConditions: ['@license-contacts/source'] },
    },
    sourcemap: true,
    target: 'es2022',
    platform: name === 'react' ? 'browser' : 'neutral',
    // The components use hooks and events: React Server Components frameworks must load them on the client.
    ...(name === 'react' ? { banner: { js: "'use client';" } } : {}),
    clean: true,
    tsconfig: 'tsconfig.build.json',
    external,
    outExtension: ({ format }) =>
      format === 'cjs' ? { js: '.cjs', dts: '.d.cts' } : { js: '.js', dts: '.d.ts' },
  };
}

const configs = Object.entries(packages)
  .map(([name, entries]) => packageConfig(name, entries))
  .filter((config): config is Options => config !== null);

if (configs.length === 0) console.warn('tsup: no package has a src/index.ts yet, nothing to build');

export default defineConfig(configs);
