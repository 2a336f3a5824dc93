import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { CHROMIUM_ARGS, chromiumPath } from './scripts/chromium';

const root = fileURLToPath(new URL('.', import.meta.url));
const at = (path: string) => `${root}${path}`;

// Packages are imported by name and resolved to their sources through this export condition: no build first.
const SOURCE_CONDITION = '@license-contacts/source';

const unit: TestProjectInlineConfiguration = {
  extends: true,
  plugins: [react()],
  test: {
    name: 'unit',
    environment: 'happy-dom',
    provide: { reactMajor: '19' },
    include: [
      'packages/*/src/**/__tests__/**/*.test.{ts,tsx}',
      'examples/*/src/**/__tests__/**/*.test.{ts,tsx}',
      'tests/**/*.test.{ts,tsx}',
    ],
    exclude: ['tests/e2e/**', '**/node_modules/**', '**/dist/**'],
    setupFiles: [at('vitest.setup.ts')],
    // A fresh PGlite instance takes 3-7 s to start on small machines.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
};

// The React tests once more against React 18: React, React DOM and the libraries that render with them
// (Radix, Testing Library) come from tests/react18, whose dependencies pnpm links to React 18.
const react18 = createRequire(at('tests/react18/package.json'));
const REACT_18_MODULES = [
  'react',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-dom',
  'react-dom/client',
  'react-dom/server',
  'react-dom/test-utils',
  '@radix-ui/react-dialog',
  '@testing-library/react',
];
const unitReact18: TestProjectInlineConfiguration = {
  extends: true,
  plugins: [react()],
  resolve: {
    alias: REACT_18_MODULES.map((id) => ({
      find: new RegExp(`^${id.replace(/[/.-]/g, '\\$&')}$`),
      replacement: react18.resolve(id),
    })),
  },
  test: {
    ...unit.test,
    name: 'react18',
    include: ['packages/react/src/**/__tests__/**/*.test.{ts,tsx}'],
    provide: { reactMajor: '18' },
    exclude: ['**/node_modules/**', '**/dist/**'],
  },
};

const projects: TestProjectInlineConfiguration[] = [unit, unitReact18];

// Stories run as tests in real Chromium once Storybook is configured.
const storybookDir = at('.storybook');
const hasStorybook =
  existsSync(storybookDir) && readdirSync(storybookDir).some((file) => /^main\.[cm]?[jt]sx?$/.test(file));
if (hasStorybook) {
  const { storybookTest } = await import('@storybook/addon-vitest/vitest-plugin');
  const { playwright } = await import('@vitest/browser-playwright');
  projects.push({
    extends: true,
    plugins: [storybookTest({ configDir: storybookDir })],
    test: {
      name: 'storybook',
      testTimeout: 30_000,
      browser: {
        enabled: true,
        headless: true,
        provider: playwright({
          launchOptions: {
            executablePath: chromiumPath(),
            args: [...CHROMIUM_ARGS],
          },
        }),
        instances: [{ browser: 'chromium' }],
      },
    },
  });
}

// End-to-end tests drive the example portal in Chromium, one file at a time.
if (existsSync(at('tests/e2e'))) {
  const globalSetup = ['tests/e2e/global-setup.ts'].map(at).filter((file) => existsSync(file));
  projects.push({
    extends: true,
    test: {
      name: 'e2e',
      environment: 'node',
      include: ['tests/e2e/**/*.test.ts'],
      globalSetup,
      fileParallelism: false,
      testTimeout: 120_000,
      hookTimeout: 180_000,
    },
  });
}

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  test: { projects },
});
