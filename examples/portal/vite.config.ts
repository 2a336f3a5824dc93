import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// The library's packages resolve to their sources, so the portal runs without building them first.
export default defineConfig(({ command }) => {
  // A build is what `pnpm start` serves: React's production bundle even when the shell (or a test
  // runner that starts the portal) has NODE_ENV set to something else.
  if (command === 'build') process.env.NODE_ENV = 'production';
  return {
    root: import.meta.dirname,
    plugins: [react()],
    resolve: { conditions: ['@license-contacts/source', ...defaultClientConditions] },
    // No source maps in what is served: they would publish the sources.
    build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
    logLevel: 'warn',
  };
});
